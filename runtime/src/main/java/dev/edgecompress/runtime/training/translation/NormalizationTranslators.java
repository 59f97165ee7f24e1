package dev.edgecompress.runtime.training.translation;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.runtime.training.TranslationException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.math.Mean;
import org.tensorflow.types.TFloat32;

/**
 * BatchNormalization (its running statistics trained as PyTorch's {@code train()} does, see
 * {@link BatchNormStatistics}) and LayerNormalization.
 */
final class NormalizationTranslators {

    private NormalizationTranslators() {
    }

    static void register(Map<String, OperatorTranslator> registry) {
        registry.put("BatchNormalization", NormalizationTranslators::batchNorm);
        registry.put("LayerNormalization", NormalizationTranslators::layerNorm);
    }

    /** BatchNormalization over the channel axis (last in NHWC, 1 for [N, C]). */
    private static void batchNorm(Node node, TranslationContext c) {
        Ops tf = c.tf;
        Value x = node.input(0);
        if (node.outputs().size() > 1 && node.outputs().subList(1, node.outputs().size()).stream()
                .anyMatch(o -> o != null && (!o.uses().isEmpty() || o.isGraphOutput()))) {
            throw new TranslationException(node.describe() + ": BatchNormalization's running-statistic outputs"
                    + " (training mode) are not supported for training");
        }
        int rank = c.layout.isNhwc(x) ? 4 : c.value(x).shape().numDimensions();
        if (rank < 2) {
            throw new TranslationException(node.describe() + ": BatchNormalization of an input of unknown rank");
        }
        float epsilon = TranslationContext.floatAttribute(node, "epsilon", 1e-5f);
        // Channels last (NHWC images, [N, C]) broadcast [C] as they are; others ([N, C, L], 3-D
        // images) in ONNX's layout against [C, 1, ...].
        boolean channelsLast = rank == 4;
        Operand<TFloat32> in = channelsLast ? c.layout.channelsLast(x) : c.layout.nchw(x);
        Operand<TFloat32> mean = statistic(c, node.input(3));
        Operand<TFloat32> variance = statistic(c, node.input(4));
        if (mean instanceof Variable<TFloat32> runningMean && variance instanceof Variable<TFloat32> runningVariance) {
            // Training mode: this batch's statistics (population variance, as ONNX's training mode),
            // and the running ones move towards them by (1 - momentum).
            int[] axes = new int[rank - 1];
            for (int a = 0, k = 0; a < rank; a++) {
                if (a != (channelsLast || rank == 2 ? rank - 1 : 1)) {
                    axes[k++] = a;
                }
            }
            Operand<TFloat32> batchMean = tf.math.mean(in, tf.constant(axes));
            Operand<TFloat32> centered = tf.math.sub(in, rank > 2 && !channelsLast
                    ? tf.reshape(batchMean, tf.constant(channelColumn(rank))) : batchMean);
            Operand<TFloat32> batchVariance = tf.math.mean(tf.math.mul(centered, centered), tf.constant(axes));
            float momentum = TranslationContext.floatAttribute(node, "momentum", 0.9f);
            c.statistics.addUpdate(tf.assign(runningMean, blend(tf, runningMean, batchMean, momentum)));
            c.statistics.addUpdate(tf.assign(runningVariance, blend(tf, runningVariance, batchVariance, momentum)));
            Operand<TFloat32> batchStatistics = c.statistics.batchStatistics();
            Operand<TFloat32> running = tf.math.sub(tf.constant(1f), batchStatistics);
            mean = tf.math.add(tf.math.mul(batchStatistics, batchMean), tf.math.mul(running, runningMean));
            variance = tf.math.add(tf.math.mul(batchStatistics, batchVariance), tf.math.mul(running, runningVariance));
        }
        Operand<TFloat32> scale = tf.math.div(c.value(node.input(1)), tf.math.sqrt(tf.math.add(variance,
                tf.constant(epsilon))));
        Operand<TFloat32> bias = c.value(node.input(2));
        if (rank > 2 && !channelsLast) {
            long[] column = channelColumn(rank);
            scale = tf.reshape(scale, tf.constant(column));
            mean = tf.reshape(mean, tf.constant(column));
            bias = tf.reshape(bias, tf.constant(column));
        }
        c.define(node, tf.math.add(tf.math.mul(tf.math.sub(in, mean), scale), bias), channelsLast);
    }

    /** The shape [C, 1, ...] that broadcasts per channel against an NCHW tensor of {@code rank}. */
    private static long[] channelColumn(int rank) {
        long[] column = new long[rank - 1];
        Arrays.fill(column, 1);
        column[0] = -1;
        return column;
    }

    private static Operand<TFloat32> blend(Ops tf, Operand<TFloat32> running, Operand<TFloat32> batch,
            float momentum) {
        return tf.math.add(tf.math.mul(running, tf.constant(momentum)), tf.math.mul(batch, tf.constant(1 - momentum)));
    }

    /** A running statistic: a variable where it is a float initializer (trained in training mode). */
    private static Operand<TFloat32> statistic(TranslationContext c, Value value) {
        Tensor constant = value.constValue();
        if (constant == null || constant.type() != DataType.FLOAT || !value.isInitializer()) {
            return c.value(value);
        }
        return c.statistics.variable(value, () -> c.tf.withInitScope().variable(c.tf.constant(
                Shape.of(constant.dims()), DataBuffers.of(constant.toFloatArray()))));
    }

    /**
     * LayerNormalization over the axes from {@code axis} on, in ONNX's layout; its optional
     * outputs Mean and InvStdDev too.
     */
    private static void layerNorm(Node node, TranslationContext c) {
        Ops tf = c.tf;
        Operand<TFloat32> x = c.layout.nchw(node.input(0));
        int rank = x.shape().numDimensions();
        int first = TranslationContext.normalize(node.intAttribute("axis", -1), rank);
        int[] axes = new int[rank - first];
        for (int a = first; a < rank; a++) {
            axes[a - first] = a;
        }
        Operand<TFloat32> mean = tf.math.mean(x, tf.constant(axes), Mean.keepDims(true));
        Operand<TFloat32> centered = tf.math.sub(x, mean);
        Operand<TFloat32> variance = tf.math.mean(tf.math.mul(centered, centered), tf.constant(axes),
                Mean.keepDims(true));
        Operand<TFloat32> inverseDeviation = tf.math.rsqrt(tf.math.add(variance,
                tf.constant(TranslationContext.floatAttribute(node, "epsilon", 1e-5f))));
        Operand<TFloat32> y = tf.math.mul(tf.math.mul(centered, inverseDeviation), c.value(node.input(1)));
        c.define(node, node.input(2) == null ? y : tf.math.add(y, c.value(node.input(2))), false);
        List<Operand<TFloat32>> extra = List.of(mean, inverseDeviation);
        for (int i = 1; i < node.outputs().size() && i <= extra.size(); i++) {
            if (node.output(i) != null) {
                c.defineExtra(node.output(i), extra.get(i - 1));
            }
        }
    }
}
