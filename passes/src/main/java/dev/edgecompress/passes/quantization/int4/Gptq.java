package dev.edgecompress.passes.quantization.int4;

import java.util.stream.IntStream;

/**
 * GPTQ (Frantar, Ashkboos, Hoefler and Alistarh, 2023) for one weight matrix W [K, N] of
 * {@code y = x W}: with H = X^T X over the layer's calibration inputs X, the rows of W (one per
 * input) are quantized in order, and each row's rounding error is spread over the rows not yet
 * quantized in proportion to the inverse Hessian, so the layer's output moves as little as the
 * remaining rows allow. Each block's grid (asymmetric, whole zero point, chosen as hqq chooses it)
 * is fixed when its first row is reached, from the weights as updated so far.
 */
final class Gptq {

    /** Added to H's diagonal, relative to its mean: keeps the inverse well conditioned (the paper's 1%). */
    static final double DAMPING = 0.01;

    /** Rows whose updates are gathered before they are applied to the rest (the paper's lazy batches). */
    private static final int BATCH = 128;

    private Gptq() {
    }

    /**
     * Accumulates {@code H += x x^T} for every row {@code x} of {@code inputs} (rows of length
     * {@code k}, the layer's input width).
     */
    static void accumulate(double[] hessian, float[] inputs, int k) {
        int samples = inputs.length / k;
        IntStream.range(0, k).parallel().forEach(i -> {
            int row = i * k;
            for (int s = 0; s < samples; s++) {
                double xi = inputs[s * k + i];
                if (xi == 0) {
                    continue;
                }
                int offset = s * k;
                for (int j = 0; j < k; j++) {
                    hessian[row + j] += xi * inputs[offset + j];
                }
            }
        });
    }

    /**
     * Quantizes {@code columns} (column-major, {@code columns[n * rows + k]}) with the Hessian
     * {@code hessian} [rows, rows] of the layer's inputs; {@code columns} is used as working space.
     */
    static Blocks quantize(float[] columns, int rows, int cols, int size, double[] hessian) {
        double[] h = hessian.clone();
        double meanDiagonal = 0;
        for (int i = 0; i < rows; i++) {
            meanDiagonal += h[i * rows + i];
        }
        meanDiagonal /= rows;
        for (int i = 0; i < rows; i++) {
            if (h[i * rows + i] == 0) { // an input always zero: its weights do nothing
                h[i * rows + i] = 1;
                for (int n = 0; n < cols; n++) {
                    columns[n * rows + i] = 0;
                }
            }
            h[i * rows + i] += DAMPING * Math.max(meanDiagonal, 1e-12);
        }
        float[] u = upperCholeskyOfInverse(h, rows);

        Blocks out = BlockQuantizer.empty(rows, cols, size);
        int blocks = out.blocks();
        int padded = out.padded();
        // Batch by batch of rows, every column: the batch's rows of U stay in cache for all columns.
        for (int start = 0; start < rows; start += BATCH) {
            int first = start;
            int end = Math.min(rows, start + BATCH);
            IntStream.range(0, cols).parallel().forEach(n -> {
                int base = n * rows;
                float[] errors = new float[end - first];
                for (int k = first; k < end; k++) {
                    int block = n * blocks + k / size;
                    if (k % size == 0) {
                        float[] grid = BlockQuantizer.halfQuadraticGrid(columns, base + k,
                                base + Math.min(rows, k + size));
                        out.scales()[block] = grid[0];
                        out.zeros()[block] = grid[1];
                    }
                    float scale = out.scales()[block];
                    float zero = out.zeros()[block];
                    float w = columns[base + k];
                    byte code = BlockQuantizer.code(Math.round(w / scale + zero));
                    out.codes()[n * padded + k] = code;
                    float error = (w - (code - zero) * scale) / u[k * rows + k];
                    errors[k - first] = error;
                    // Within the batch at once; past it, once the batch is done.
                    int row = k * rows;
                    for (int j = k + 1; j < end; j++) {
                        columns[base + j] -= error * u[row + j];
                    }
                }
                for (int k = first; k < end; k++) {
                    float error = errors[k - first];
                    int row = k * rows;
                    for (int j = end; j < rows; j++) {
                        columns[base + j] -= error * u[row + j];
                    }
                }
            });
        }
        return BlockQuantizer.padded(out);
    }

    /**
     * The upper triangular U with U^T U = H^-1, for symmetric positive definite H [n, n]: with J
     * the reversal, J H J = M M^T (Cholesky) gives U = J M^-1 J, two triangular steps instead of
     * an inverse and a second factorization.
     */
    static float[] upperCholeskyOfInverse(double[] h, int n) {
        double[] m = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                m[i * n + j] = h[(n - 1 - i) * n + (n - 1 - j)];
            }
        }
        choleskyInPlace(m, n);
        double[] inverse = lowerInverse(m, n);
        float[] u = new float[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                u[i * n + j] = (float) inverse[(n - 1 - i) * n + (n - 1 - j)];
            }
        }
        return u;
    }

    /** Lower Cholesky factor of {@code a} [n, n], in place (the upper triangle is zeroed). */
    static void choleskyInPlace(double[] a, int n) {
        for (int j = 0; j < n; j++) {
            int rowJ = j * n;
            double diagonal = a[rowJ + j];
            for (int k = 0; k < j; k++) {
                diagonal -= a[rowJ + k] * a[rowJ + k];
            }
            if (!(diagonal > 0)) {
                throw new ArithmeticException("the Hessian is not positive definite at row " + j);
            }
            double d = Math.sqrt(diagonal);
            a[rowJ + j] = d;
            int column = j;
            IntStream.range(j + 1, n).parallel().forEach(i -> {
                int rowI = i * n;
                double sum = a[rowI + column];
                for (int k = 0; k < column; k++) {
                    sum -= a[rowI + k] * a[rowJ + k];
                }
                a[rowI + column] = sum / d;
            });
            for (int k = j + 1; k < n; k++) {
                a[rowJ + k] = 0;
            }
        }
    }

    /** The inverse of lower triangular {@code l} [n, n], row by row: row i = (e_i - sum_k l[i][k] row k) / l[i][i]. */
    static double[] lowerInverse(double[] l, int n) {
        double[] inverse = new double[n * n];
        for (int i = 0; i < n; i++) {
            int rowI = i * n;
            inverse[rowI + i] = 1;
            for (int k = 0; k < i; k++) {
                double factor = l[rowI + k];
                if (factor == 0) {
                    continue;
                }
                int rowK = k * n;
                for (int j = 0; j <= k; j++) {
                    inverse[rowI + j] -= factor * inverse[rowK + j];
                }
            }
            double d = l[rowI + i];
            for (int j = 0; j <= i; j++) {
                inverse[rowI + j] /= d;
            }
        }
        return inverse;
    }
}
