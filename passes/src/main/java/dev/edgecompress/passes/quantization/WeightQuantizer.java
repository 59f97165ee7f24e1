package dev.edgecompress.passes.quantization;

/**
 * Symmetric int8 quantization of a float weight: one scale per index along {@code axis} (per
 * channel) or one for the tensor; q = round(w / scale) in [-127, 127], scale = max|w| / 127.
 */
final class WeightQuantizer {

    /** The int8 values and their scales. */
    record Quantized(byte[] values, float[] scales) {
    }

    private WeightQuantizer() {
    }

    static Quantized quantize(float[] values, long[] dims, int axis, boolean perChannel) {
        int count = perChannel ? (int) dims[axis] : 1;
        long inner = 1;
        for (int a = axis + 1; a < dims.length; a++) {
            inner *= dims[a];
        }
        float[] scales = new float[count];
        for (int i = 0; i < values.length; i++) {
            int c = perChannel ? (int) (i / inner % count) : 0;
            scales[c] = Math.max(scales[c], Math.abs(values[i]));
        }
        for (int c = 0; c < count; c++) {
            scales[c] = scales[c] > 0 ? scales[c] / 127 : 1f;
        }
        byte[] quantized = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            int c = perChannel ? (int) (i / inner % count) : 0;
            // Half to even, as ONNX QuantizeLinear rounds.
            quantized[i] = (byte) Math.max(-127, Math.min(127, Math.rint(values[i] / scales[c])));
        }
        return new Quantized(quantized, scales);
    }
}
