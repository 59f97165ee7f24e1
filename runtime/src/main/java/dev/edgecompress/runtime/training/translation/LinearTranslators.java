package dev.edgecompress.runtime.training.translation;

import dev.edgecompress.ir.Node;
import dev.edgecompress.runtime.training.TranslationException;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.linalg.MatMul;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/** Gemm and MatMul, in ONNX's layout. */
final class LinearTranslators {

    private LinearTranslators() {
    }

    static void register(Map<String, OperatorTranslator> registry) {
        registry.put("Gemm", LinearTranslators::gemm);
        registry.put("MatMul", (node, c) -> c.define(node, matMul(node, c.tf, c.layout.nchw(node.input(0)),
                c.layout.nchw(node.input(1))), false));
    }

    private static void gemm(Node node, TranslationContext c) {
        Ops tf = c.tf;
        if (node.intAttribute("transA", 0) != 0) {
            throw new TranslationException(node.describe() + ": Gemm with transA");
        }
        Operand<TFloat32> y = tf.linalg.matMul(c.value(node.input(0)), c.value(node.input(1)),
                MatMul.transposeB(node.intAttribute("transB", 0) == 1));
        float alpha = TranslationContext.floatAttribute(node, "alpha", 1f);
        if (alpha != 1f) {
            y = tf.math.mul(y, tf.constant(alpha));
        }
        if (node.input(2) != null) {
            float beta = TranslationContext.floatAttribute(node, "beta", 1f);
            Operand<TFloat32> bias = c.value(node.input(2));
            y = tf.math.add(y, beta == 1f ? bias : tf.math.mul(bias, tf.constant(beta)));
        }
        c.define(node, y, false);
    }

    /**
     * MatMul: 2-D by 2-D directly; N-D by a 2-D weight as one 2-D product over the flattened
     * leading dims (whose gradient TensorFlow has); else a batched product.
     */
    private static Operand<TFloat32> matMul(Node node, Ops tf, Operand<TFloat32> a, Operand<TFloat32> b) {
        int rankA = a.shape().numDimensions();
        int rankB = b.shape().numDimensions();
        if (rankA == 2 && rankB == 2) {
            return tf.linalg.matMul(a, b);
        }
        if (rankB == 2 && rankA > 2) {
            Operand<TInt64> shapeA = tf.shape(a, TInt64.class);
            Operand<TInt64> leading = tf.slice(shapeA, tf.constant(new long[] {0}),
                    tf.constant(new long[] {rankA - 1}));
            Operand<TFloat32> flat = tf.reshape(a, tf.constant(new long[] {-1, b.shape().get(0)}));
            Operand<TFloat32> product = tf.linalg.matMul(flat, b);
            Operand<TInt64> columns = tf.slice(tf.shape(b, TInt64.class), tf.constant(new long[] {1}),
                    tf.constant(new long[] {1}));
            return tf.reshape(product, tf.concat(List.of(leading, columns), tf.constant(0)));
        }
        if (rankA < 2 || rankB < 2) {
            throw new TranslationException(node.describe() + ": MatMul of a 1-D operand is not supported for training");
        }
        return tf.train.batchMatMul(a, b, TFloat32.class);
    }
}
