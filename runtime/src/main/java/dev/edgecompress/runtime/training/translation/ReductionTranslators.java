package dev.edgecompress.runtime.training.translation;

import dev.edgecompress.runtime.training.TranslationException;
import java.util.Arrays;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.op.math.Mean;
import org.tensorflow.types.TFloat32;

/** ReduceMean, and Softmax and LogSoftmax over the last axis, in ONNX's layout. */
final class ReductionTranslators {

    private ReductionTranslators() {
    }

    static void register(Map<String, OperatorTranslator> registry) {
        registry.put("ReduceMean", (node, c) -> {
            long[] axes = TranslationContext.axes(node, 1);
            Operand<TFloat32> in = c.layout.nchw(node.input(0));
            int rank = in.shape().numDimensions();
            int[] reduced = axes == null ? TranslationContext.allAxes(rank)
                    : Arrays.stream(axes).mapToInt(a -> TranslationContext.normalize(a, rank)).toArray();
            c.define(node, c.tf.math.mean(in, c.tf.constant(reduced), Mean.keepDims(
                    node.intAttribute("keepdims", 1) == 1)), false);
        });
        OperatorTranslator softmax = (node, c) -> {
            Operand<TFloat32> in = c.layout.nchw(node.input(0));
            int rank = in.shape().numDimensions();
            long axis = node.intAttribute("axis", c.opset >= 13 ? -1 : 1);
            if (TranslationContext.normalize(axis, rank) != rank - 1) {
                throw new TranslationException(node.describe() + ": " + node.opType()
                        + " over an axis other than the last");
            }
            c.define(node, node.opType().equals("Softmax") ? c.tf.nn.softmax(in) : c.tf.nn.logSoftmax(in), false);
        };
        registry.put("Softmax", softmax);
        registry.put("LogSoftmax", softmax);
    }
}
