package dev.edgecompress.passes.quantization.int4;

/**
 * Quantization of a weight matrix to 4-bit blocks without data: round to nearest (symmetric, as
 * ONNX Runtime's quantizer) or half-quadratic optimization of the zero points. The matrix comes
 * column-major: {@code columns[n * rows + k]} is W[k, n].
 */
final class BlockQuantizer {

    static final int LEVELS = 16;
    static final int MAX_CODE = LEVELS - 1;

    /** HQQ's settings, its authors' defaults for 4 bits: the lp norm, the penalty and its growth, the iterations. */
    private static final double HQQ_P = 0.7;
    private static final double HQQ_BETA = 10;
    private static final double HQQ_KAPPA = 1.01;
    private static final int HQQ_ITERATIONS = 20;
    /** Range shrink factors tried for a block's grid: 1, 0.975, ..., 0.6. */
    private static final int SHRINK_STEPS = 16;

    private BlockQuantizer() {
    }

    /** Round to nearest, symmetric: the value of largest magnitude becomes level -8 (code 0), zero point 8. */
    static Blocks roundToNearest(float[] columns, int rows, int cols, int size) {
        Blocks out = empty(rows, cols, size);
        int blocks = out.blocks();
        for (int n = 0; n < cols; n++) {
            for (int b = 0; b < blocks; b++) {
                int from = b * size;
                int to = Math.min(rows, from + size);
                float extreme = 0;
                for (int k = from; k < to; k++) {
                    float v = columns[n * rows + k];
                    if (Math.abs(v) > Math.abs(extreme)) {
                        extreme = v;
                    }
                }
                float scale = extreme / -8f;
                float inverse = scale != 0 ? 1 / scale : 0;
                out.scales()[n * blocks + b] = scale;
                out.zeros()[n * blocks + b] = 8;
                for (int k = from; k < to; k++) {
                    out.codes()[n * out.padded() + k] = code(roundHalfAway(columns[n * rows + k] * inverse) + 8);
                }
            }
        }
        return padded(out);
    }

    /**
     * Half-quadratic quantization: per block, the scale spans the block's range and the zero
     * point is optimized for the lp norm of the error (p = 0.7), alternating between the codes
     * and a closed-form zero point kept whole (so it packs into 4 bits).
     */
    static Blocks halfQuadratic(float[] columns, int rows, int cols, int size) {
        Blocks out = empty(rows, cols, size);
        int blocks = out.blocks();
        float[] values = new float[size];
        for (int n = 0; n < cols; n++) {
            for (int b = 0; b < blocks; b++) {
                int from = b * size;
                int count = Math.min(rows, from + size) - from;
                System.arraycopy(columns, n * rows + from, values, 0, count);
                float[] params = optimizeZero(values, count);
                out.scales()[n * blocks + b] = params[0];
                out.zeros()[n * blocks + b] = params[1];
                for (int i = 0; i < count; i++) {
                    out.codes()[n * out.padded() + from + i] = code(Math.round(values[i] / params[0] + params[1]));
                }
            }
        }
        return padded(out);
    }

    /**
     * {scale, zero} of one block: the range [min, max] shrunk by the factor (1 down to 0.6) whose
     * grid has the least squared error, then HQQ's alternating minimization of the zero point.
     */
    private static float[] optimizeZero(float[] v, int count) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < count; i++) {
            min = Math.min(min, v[i]);
            max = Math.max(max, v[i]);
        }
        if (!(max > min)) {
            return new float[] {max == 0 ? 1 : Math.abs(max), 8}; // every weight alike: code 8 +/- 1
        }
        float scale = (max - min) / MAX_CODE;
        double zero = -min / scale;
        double leastError = Double.POSITIVE_INFINITY;
        for (int step = 0; step <= SHRINK_STEPS; step++) {
            float shrink = 1f - 0.4f * step / SHRINK_STEPS;
            float candidateScale = (max - min) * shrink / MAX_CODE;
            double candidateZero = Math.max(0, Math.min(MAX_CODE, Math.rint(-min * shrink / candidateScale)));
            double error = 0;
            for (int i = 0; i < count; i++) {
                int q = Math.max(0, Math.min(MAX_CODE, (int) Math.rint(v[i] / candidateScale + candidateZero)));
                double residual = v[i] - (q - candidateZero) * candidateScale;
                error += residual * residual;
            }
            if (error < leastError) {
                leastError = error;
                scale = candidateScale;
                zero = candidateZero;
            }
        }
        double beta = HQQ_BETA;
        double bestZero = zero;
        double bestError = Double.POSITIVE_INFINITY;
        for (int iteration = 0; iteration < HQQ_ITERATIONS; iteration++) {
            double error = 0;
            double zeroSum = 0;
            for (int i = 0; i < count; i++) {
                int q = Math.max(0, Math.min(MAX_CODE, (int) Math.rint(v[i] / scale + zero)));
                double residual = v[i] - (q - zero) * scale;
                error += Math.abs(residual);
                double magnitude = Math.abs(residual);
                double shrunk = magnitude > 0 ? Math.max(magnitude - Math.pow(magnitude, HQQ_P - 1) / beta, 0) : 0;
                zeroSum += q - (v[i] - Math.copySign(shrunk, residual)) / scale;
            }
            if (error >= bestError) {
                break;
            }
            bestError = error;
            bestZero = zero;
            zero = Math.max(0, Math.min(MAX_CODE, Math.rint(zeroSum / count)));
            beta *= HQQ_KAPPA;
        }
        return new float[] {scale, (float) bestZero};
    }

    /** {scale, zero} of the block {@code columns[from, to)} by HQQ, the zero point whole. */
    static float[] halfQuadraticGrid(float[] columns, int from, int to) {
        float[] values = java.util.Arrays.copyOfRange(columns, from, to);
        return optimizeZero(values, values.length);
    }

    /** {@code blocks} with the codes past the last row set to their block's zero point, so they stand for 0. */
    static Blocks padded(Blocks blocks) {
        int last = blocks.blocks() - 1;
        for (int n = 0; n < blocks.columns(); n++) {
            byte zero = code(Math.round(blocks.zeros()[n * blocks.blocks() + last]));
            for (int k = blocks.rows(); k < blocks.padded(); k++) {
                blocks.codes()[n * blocks.padded() + k] = zero;
            }
        }
        return blocks;
    }

    static Blocks empty(int rows, int cols, int size) {
        int blocks = (rows + size - 1) / size;
        return new Blocks(rows, cols, size, new byte[cols * blocks * size], new float[cols * blocks],
                new float[cols * blocks]);
    }

    /** The matrix [K, N] row-major (as ONNX stores a MatMul weight) column by column. */
    static float[] columnMajor(float[] rowMajor, int rows, int cols) {
        float[] out = new float[rows * cols];
        for (int k = 0; k < rows; k++) {
            for (int n = 0; n < cols; n++) {
                out[n * rows + k] = rowMajor[k * cols + n];
            }
        }
        return out;
    }

    static byte code(long level) {
        return (byte) Math.max(0, Math.min(MAX_CODE, level));
    }

    /** As C's roundf, which ONNX Runtime's quantizer uses: halves away from zero. */
    static long roundHalfAway(float x) {
        return (long) Math.copySign(Math.floor(Math.abs(x) + 0.5f), x);
    }
}
