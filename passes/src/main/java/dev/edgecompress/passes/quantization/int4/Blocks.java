package dev.edgecompress.passes.quantization.int4;

/**
 * A weight matrix quantized to 4 bits in blocks: the matrix W [K, N] of {@code y = x W}, each
 * output column n cut along the input dimension into blocks of {@code size}; a weight is
 * {@code (code - zero) * scale} of its block. Codes are 0..15, column by column, the last block
 * padded with code {@code zero} (a padded weight is 0).
 *
 * @param codes [N][blocks * size], column-major
 * @param scales [N][blocks]
 * @param zeros [N][blocks], whole numbers (they pack into 4 bits)
 */
record Blocks(int rows, int columns, int size, byte[] codes, float[] scales, float[] zeros) {

    int blocks() {
        return (rows + size - 1) / size;
    }

    int padded() {
        return blocks() * size;
    }

    /** Whether every zero point is 8, the default of MatMulNBits (and of symmetric int4). */
    boolean zerosAllEight() {
        for (float zero : zeros) {
            if (zero != 8f) {
                return false;
            }
        }
        return true;
    }

    /** The weight at row k (input), column n (output), as the quantized model computes it. */
    float value(int k, int n) {
        int block = n * blocks() + k / size;
        return (codes[n * padded() + k] - zeros[block]) * scales[block];
    }
}
