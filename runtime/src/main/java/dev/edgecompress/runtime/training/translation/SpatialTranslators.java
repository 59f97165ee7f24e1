package dev.edgecompress.runtime.training.translation;

import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Value;
import dev.edgecompress.runtime.training.TranslationException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Squeeze;
import org.tensorflow.op.core.StridedSlice;
import org.tensorflow.op.math.Mean;
import org.tensorflow.op.nn.AvgPool;
import org.tensorflow.op.nn.Conv2d;
import org.tensorflow.op.nn.Conv2dBackpropInput;
import org.tensorflow.op.nn.DepthwiseConv2dNative;
import org.tensorflow.op.nn.MaxPool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * Convolutions and pooling over 2-D images in NHWC, and over 1-D sequences [N, C, L] as images of
 * height 1. Ops whose gradient TensorFlow lacks or gets wrong are written with ones it has:
 * explicit Pad then VALID, dilations through SpaceToBatchND.
 */
final class SpatialTranslators {

    private SpatialTranslators() {
    }

    static void register(Map<String, OperatorTranslator> registry) {
        registry.put("Conv", SpatialTranslators::spatial);
        registry.put("MaxPool", SpatialTranslators::spatial);
        registry.put("AveragePool", SpatialTranslators::spatial);
        registry.put("ConvTranspose", (node, c) -> c.define(node, convTranspose(node, c), true));
        registry.put("GlobalAveragePool", (node, c) -> c.define(node, c.tf.math.mean(
                c.layout.channelsLast(node.input(0)), c.tf.constant(new int[] {1, 2}), Mean.keepDims(true)), true));
    }

    /**
     * Conv, MaxPool and AveragePool over 2-D images in NHWC; over 1-D sequences [N, C, L] as
     * images of height 1 ([N, 1, L, C] in NHWC), turned back to [N, C', L'] after.
     */
    private static void spatial(Node node, TranslationContext c) {
        Ops tf = c.tf;
        boolean conv = node.opType().equals("Conv");
        int dims = conv ? weightRank(node, c) - 2 : node.attribute("kernel_shape").asInts().length;
        long[] pads = TranslationContext.pads(node);
        if (dims == 2) {
            Operand<TFloat32> image = c.layout.channelsLast(node.input(0));
            long[] strides = TranslationContext.ints(node, "strides", new long[] {1, 1});
            c.define(node, conv ? conv(node, c, image, c.value(node.input(1)), kernel(node, c), strides, pads,
                    TranslationContext.ints(node, "dilations", new long[] {1, 1}))
                    : pool(node, tf, image, node.attribute("kernel_shape").asInts(), strides, pads), true);
            return;
        }
        if (dims != 1) {
            throw new TranslationException(node.describe() + ": only 1-D and 2-D " + node.opType()
                    + " is supported for training");
        }
        Operand<TFloat32> sequence = tf.linalg.transpose(tf.expandDims(c.layout.nchw(node.input(0)), tf.constant(2)),
                tf.constant(new int[] {0, 2, 3, 1}));
        long[] pads2 = pads.length == 2 ? new long[] {0, pads[0], 0, pads[1]} : new long[4];
        long[] strides = {1, TranslationContext.ints(node, "strides", new long[] {1})[0]};
        Operand<TFloat32> y = conv
                ? conv(node, c, sequence, tf.expandDims(c.value(node.input(1)), tf.constant(2)), new long[] {1,
                    kernel(node, c)[0]}, strides, pads2, new long[] {1,
                    TranslationContext.ints(node, "dilations", new long[] {1})[0]})
                : pool(node, tf, sequence, new long[] {1, node.attribute("kernel_shape").asInts()[0]}, strides, pads2);
        c.define(node, tf.squeeze(tf.linalg.transpose(y, tf.constant(new int[] {0, 3, 1, 2})),
                Squeeze.axis(List.of(2L))), false);
    }

    private static int weightRank(Node node, TranslationContext c) {
        Value weight = node.input(1);
        return weight.constValue() != null ? weight.constValue().rank() : c.value(weight).shape().numDimensions();
    }

    /** The spatial dims of a Conv's kernel. */
    private static long[] kernel(Node node, TranslationContext c) {
        Value weight = node.input(1);
        long[] dims = weight.constValue() != null ? weight.constValue().dims() : c.value(weight).shape().asArray();
        return Arrays.copyOfRange(dims, 2, dims.length);
    }

    /**
     * Conv of an NHWC image by an OIHW weight: explicit pads then VALID (TensorFlow's EXPLICIT
     * padding has a broken gradient, TF_NOTES), groups as one convolution per group, dilations
     * through SpaceToBatchND / BatchToSpaceND (dilated Conv2D's gradient is broken too).
     */
    private static Operand<TFloat32> conv(Node node, TranslationContext c, Operand<TFloat32> image,
            Operand<TFloat32> weight, long[] kernel, long[] strides, long[] pads, long[] dilations) {
        Ops tf = c.tf;
        boolean dilated = dilations[0] != 1 || dilations[1] != 1;
        if (dilated && (strides[0] != 1 || strides[1] != 1)) {
            throw new TranslationException(node.describe() + ": a convolution both dilated and strided is not"
                    + " supported for training");
        }
        Operand<TFloat32> x = padded(tf, image, pads, 0f);
        Operand<TFloat32> hwio = tf.linalg.transpose(weight, tf.constant(new int[] {2, 3, 1, 0}));
        int group = (int) node.intAttribute("group", 1);
        List<Long> stride = List.of(1L, strides[0], strides[1], 1L);
        Shape undilated = x.shape();
        if (dilated) {
            x = toBatches(tf, x, dilations);
        }
        long channels = x.shape().get(3);
        Operand<TFloat32> y;
        if (group == 1) {
            y = tf.nn.conv2d(x, hwio, stride, "VALID", Conv2d.dataFormat("NHWC"));
        } else if (group == channels && hwio.shape().get(2) == 1) {
            // Depthwise: ONNX [C * m, 1, kH, kW] is [kH, kW, C, m] for TensorFlow (output c * m + j).
            Operand<TFloat32> filter = tf.reshape(hwio, tf.constant(new long[] {hwio.shape().get(0),
                hwio.shape().get(1), channels, -1}));
            y = tf.nn.depthwiseConv2dNative(x, filter, stride, "VALID", DepthwiseConv2dNative.dataFormat("NHWC"));
        } else {
            List<Operand<TFloat32>> outputs = new ArrayList<>();
            List<Output<TFloat32>> xs = tf.split(tf.constant(3), x, (long) group).output();
            List<Output<TFloat32>> ws = tf.split(tf.constant(3), hwio, (long) group).output();
            for (int g = 0; g < group; g++) {
                outputs.add(tf.nn.conv2d(xs.get(g), ws.get(g), stride, "VALID", Conv2d.dataFormat("NHWC")));
            }
            y = tf.concat(outputs, tf.constant(3));
        }
        if (dilated) {
            y = fromBatches(tf, y, undilated, dilations, kernel);
        }
        return node.input(2) == null ? y : tf.nn.biasAdd(y, c.value(node.input(2)));
    }

    /**
     * ConvTranspose over 2-D images (group 1, no dilation): Conv2DBackpropInput to the full output
     * ((H - 1) stride + kernel + output_padding), then the pads cropped off.
     */
    private static Operand<TFloat32> convTranspose(Node node, TranslationContext c) {
        Ops tf = c.tf;
        if (weightRank(node, c) != 4 || node.intAttribute("group", 1) != 1 || node.attribute("output_shape") != null
                || Arrays.stream(TranslationContext.ints(node, "dilations", new long[] {1, 1})).anyMatch(d -> d != 1)) {
            throw new TranslationException(node.describe() + ": only 2-D ConvTranspose with group 1, no dilation"
                    + " and no output_shape is supported for training");
        }
        long[] strides = TranslationContext.ints(node, "strides", new long[] {1, 1});
        long[] pads = TranslationContext.pads(node);
        long[] extra = TranslationContext.ints(node, "output_padding", new long[] {0, 0});
        long[] kernel = kernel(node, c);
        Operand<TFloat32> x = c.layout.channelsLast(node.input(0));
        long h = x.shape().get(1);
        long w = x.shape().get(2);
        if (h < 0 || w < 0 || extra[0] >= strides[0] || extra[1] >= strides[1]) {
            throw new TranslationException(node.describe() + ": ConvTranspose needs static image sizes and"
                    + " output_padding below the stride for training");
        }
        long fullH = (h - 1) * strides[0] + kernel[0] + extra[0];
        long fullW = (w - 1) * strides[1] + kernel[1] + extra[1];
        Value weight = node.input(1);
        long outChannels = weight.constValue() != null ? weight.constValue().dim(1) : c.value(weight).shape().get(1);
        Operand<TInt32> batch = tf.slice(tf.shape(x), tf.constant(new int[] {0}), tf.constant(new int[] {1}));
        Operand<TInt32> sizes = tf.concat(List.of(batch, tf.constant(new int[] {(int) fullH, (int) fullW,
            (int) outChannels})), tf.constant(0));
        // ONNX [C_in, C_out, kH, kW] -> TensorFlow's [kH, kW, C_out, C_in]
        Operand<TFloat32> filter = tf.linalg.transpose(c.value(weight), tf.constant(new int[] {2, 3, 1, 0}));
        Operand<TFloat32> y = tf.nn.conv2dBackpropInput(sizes, filter, x, List.of(1L, strides[0], strides[1], 1L),
                "VALID", Conv2dBackpropInput.dataFormat("NHWC"));
        if (pads[0] + pads[1] + pads[2] + pads[3] > 0) {
            y = tf.stridedSlice(y, tf.constant(TranslationContext.ints32(new long[] {0, pads[0], pads[1], 0})),
                    tf.constant(TranslationContext.ints32(new long[] {0, fullH - pads[2], fullW - pads[3], 0})),
                    tf.constant(new int[] {1, 1, 1, 1}), StridedSlice.beginMask(0b1001L),
                    StridedSlice.endMask(0b1001L));
        }
        return node.input(2) == null ? y : tf.nn.biasAdd(y, c.value(node.input(2)));
    }

    /** Splits an NHWC image into d x d phase images (atrous convolution), padding H and W to multiples of d. */
    private static Operand<TFloat32> toBatches(Ops tf, Operand<TFloat32> x, long[] dilations) {
        long h = x.shape().get(1);
        long w = x.shape().get(2);
        if (h < 0 || w < 0) {
            throw new TranslationException("dilated convolutions need static image sizes for training");
        }
        long extraH = (dilations[0] - h % dilations[0]) % dilations[0];
        long extraW = (dilations[1] - w % dilations[1]) % dilations[1];
        return tf.spaceToBatchNd(x, tf.constant(new long[] {dilations[0], dilations[1]}),
                tf.constant(new long[][] {{0, extraH}, {0, extraW}}));
    }

    /** Merges the phase images back and crops what the padding to multiples of d added. */
    private static Operand<TFloat32> fromBatches(Ops tf, Operand<TFloat32> y, Shape input, long[] dilations,
            long[] kernel) {
        long h = input.get(1);
        long w = input.get(2);
        long outH = h - dilations[0] * (kernel[0] - 1);
        long outW = w - dilations[1] * (kernel[1] - 1);
        long paddedH = h + (dilations[0] - h % dilations[0]) % dilations[0];
        long paddedW = w + (dilations[1] - w % dilations[1]) % dilations[1];
        long cropH = paddedH - dilations[0] * (kernel[0] - 1) - outH;
        long cropW = paddedW - dilations[1] * (kernel[1] - 1) - outW;
        return tf.batchToSpaceNd(y, tf.constant(new long[] {dilations[0], dilations[1]}),
                tf.constant(new long[][] {{0, cropH}, {0, cropW}}));
    }

    private static Operand<TFloat32> padded(Ops tf, Operand<TFloat32> x, long[] pads, float fill) {
        if (pads[0] + pads[1] + pads[2] + pads[3] == 0) {
            return x;
        }
        return tf.pad(x, tf.constant(new int[][] {{0, 0}, {(int) pads[0], (int) pads[2]}, {(int) pads[1],
            (int) pads[3]}, {0, 0}}), tf.constant(fill));
    }

    /** MaxPool (pads filled with the lowest float) and AveragePool (pads counted only when count_include_pad). */
    private static Operand<TFloat32> pool(Node node, Ops tf, Operand<TFloat32> image, long[] kernel, long[] strides,
            long[] pads) {
        if (node.intAttribute("ceil_mode", 0) != 0 || node.attribute("dilations") != null
                && Arrays.stream(node.attribute("dilations").asInts()).anyMatch(d -> d != 1)) {
            throw new TranslationException(node.describe() + ": ceil-mode or dilated pooling is not supported for"
                    + " training");
        }
        boolean max = node.opType().equals("MaxPool");
        boolean isPadded = pads[0] + pads[1] + pads[2] + pads[3] > 0;
        if (!max && isPadded && node.intAttribute("count_include_pad", 0) == 0) {
            throw new TranslationException(node.describe() + ": padded AveragePool that leaves the pads out of the"
                    + " average is not supported for training");
        }
        Operand<TFloat32> x = padded(tf, image, pads, max ? -Float.MAX_VALUE : 0f);
        if (max) {
            return tf.nn.maxPool(x, tf.constant(new int[] {1, (int) kernel[0], (int) kernel[1], 1}),
                    tf.constant(new int[] {1, (int) strides[0], (int) strides[1], 1}), "VALID",
                    MaxPool.dataFormat("NHWC"));
        }
        return tf.nn.avgPool(x, List.of(1L, kernel[0], kernel[1], 1L), List.of(1L, strides[0], strides[1], 1L),
                "VALID", AvgPool.dataFormat("NHWC"));
    }
}
