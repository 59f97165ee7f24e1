package dev.edgecompress.passes.quantization.int4;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class GptqTest {

    @Test
    void theFactorTimesItselfIsTheInverse() {
        int n = 24;
        Random random = new Random(5);
        double[] a = new double[n * n];
        for (int i = 0; i < a.length; i++) {
            a[i] = random.nextGaussian();
        }
        double[] h = new double[n * n]; // A A^T + I: symmetric positive definite
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double sum = i == j ? 1 : 0;
                for (int k = 0; k < n; k++) {
                    sum += a[i * n + k] * a[j * n + k];
                }
                h[i * n + j] = sum;
            }
        }
        float[] u = Gptq.upperCholeskyOfInverse(h, n);
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < i; j++) {
                assertEquals(0f, u[i * n + j], "upper triangular");
            }
        }
        // (U^T U) H = I
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double sum = 0;
                for (int k = 0; k < n; k++) {
                    double inverse = 0;
                    for (int m = 0; m < n; m++) {
                        inverse += u[m * n + i] * u[m * n + k];
                    }
                    sum += inverse * h[k * n + j];
                }
                assertEquals(i == j ? 1 : 0, sum, 1e-3, "(" + i + ", " + j + ")");
            }
        }
    }

    @Test
    void correlatedInputsMoveTheOutputLessThanRoundingEachWeight() {
        int rows = 64;
        int cols = 32;
        int samples = 512;
        Random random = new Random(8);
        // Inputs that share a common factor, as real activations do.
        float[] x = new float[samples * rows];
        for (int s = 0; s < samples; s++) {
            double common = random.nextGaussian();
            for (int k = 0; k < rows; k++) {
                x[s * rows + k] = (float) (common + 0.3 * random.nextGaussian() + 0.5);
            }
        }
        float[] columns = BlockQuantizerTest.gaussian(rows * cols, 9);
        double[] h = new double[rows * rows];
        Gptq.accumulate(h, x, rows);

        Blocks gptq = Gptq.quantize(columns.clone(), rows, cols, 32, h);
        Blocks nearest = rangeGrid(columns, rows, cols, 32);
        double gptqError = outputError(x, columns, gptq, rows, cols);
        double nearestError = outputError(x, columns, nearest, rows, cols);
        assertTrue(gptqError < 0.5 * nearestError, "output error: gptq " + gptqError + ", nearest " + nearestError);
    }

    /** Round to nearest on the paper's grid (asymmetric min-max per block): what GPTQ improves on. */
    private static Blocks rangeGrid(float[] columns, int rows, int cols, int size) {
        Blocks out = BlockQuantizer.empty(rows, cols, size);
        for (int n = 0; n < cols; n++) {
            for (int b = 0; b < out.blocks(); b++) {
                int from = n * rows + b * size;
                float[] grid = minMax(columns, from, from + size);
                out.scales()[n * out.blocks() + b] = grid[0];
                out.zeros()[n * out.blocks() + b] = grid[1];
                for (int k = b * size; k < (b + 1) * size; k++) {
                    out.codes()[n * out.padded() + k] = BlockQuantizer.code(Math.round(columns[n * rows + k] / grid[0]
                            + grid[1]));
                }
            }
        }
        return out;
    }

    @Test
    void theRangeGridSpansZero() {
        assertArrayEquals(new float[] {0.2f, 0f}, minMax(new float[] {0.5f, 1.5f, 3f}, 0, 3), 1e-6f);
        assertArrayEquals(new float[] {0.2f, 15f}, minMax(new float[] {-3f, -1.5f}, 0, 2), 1e-6f);
    }

    /**
     * {scale, zero} spanning a block's range and zero, asymmetric, zero point whole: the GPTQ
     * paper's grid, the baseline here.
     */
    private static float[] minMax(float[] columns, int from, int to) {
        float min = 0;
        float max = 0;
        for (int i = from; i < to; i++) {
            min = Math.min(min, columns[i]);
            max = Math.max(max, columns[i]);
        }
        if (min == max) {
            return new float[] {1, 8};
        }
        float scale = (max - min) / BlockQuantizer.MAX_CODE;
        return new float[] {scale, Math.max(0, Math.min(BlockQuantizer.MAX_CODE, Math.round(-min / scale)))};
    }

    private static double outputError(float[] x, float[] columns, Blocks blocks, int rows, int cols) {
        double error = 0;
        int samples = x.length / rows;
        for (int s = 0; s < samples; s++) {
            for (int n = 0; n < cols; n++) {
                double difference = 0;
                for (int k = 0; k < rows; k++) {
                    difference += x[s * rows + k] * (columns[n * rows + k] - blocks.value(k, n));
                }
                error += difference * difference;
            }
        }
        return error;
    }
}
