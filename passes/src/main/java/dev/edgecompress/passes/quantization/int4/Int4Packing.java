package dev.edgecompress.passes.quantization.int4;

/** Two 4-bit codes to a byte, the first in the low half, in the layouts MatMulNBits and ONNX's INT4 tensors use. */
final class Int4Packing {

    private Int4Packing() {
    }

    /** Codes as MatMulNBits' B: [N][blocks][size / 2], each column's codes in order. */
    static byte[] columnBlocks(Blocks blocks) {
        byte[] codes = blocks.codes();
        byte[] packed = new byte[codes.length / 2];
        for (int i = 0; i < packed.length; i++) {
            packed[i] = (byte) (codes[2 * i] & 0xf | (codes[2 * i + 1] & 0xf) << 4);
        }
        return packed;
    }

    /** Zero points as MatMulNBits takes them packed: per column, ceil(blocks / 2) bytes. */
    static byte[] zeroPoints(Blocks blocks) {
        int perColumn = (blocks.blocks() + 1) / 2;
        byte[] packed = new byte[blocks.columns() * perColumn];
        for (int n = 0; n < blocks.columns(); n++) {
            for (int b = 0; b < blocks.blocks(); b++) {
                int zero = Math.round(blocks.zeros()[n * blocks.blocks() + b]) & 0xf;
                packed[n * perColumn + b / 2] |= (byte) (b % 2 == 0 ? zero : zero << 4);
            }
        }
        return packed;
    }

    /**
     * Codes as an INT4 (code - 8, when {@code signed}) or UINT4 tensor [K, N], row-major, as a
     * DequantizeLinear weight.
     */
    static byte[] rowMajor(Blocks blocks, boolean signed) {
        int rows = blocks.rows();
        int cols = blocks.columns();
        byte[] packed = new byte[(rows * cols + 1) / 2];
        for (int k = 0; k < rows; k++) {
            for (int n = 0; n < cols; n++) {
                int code = blocks.codes()[n * blocks.padded() + k] - (signed ? 8 : 0);
                int index = k * cols + n;
                packed[index / 2] |= (byte) (index % 2 == 0 ? code & 0xf : (code & 0xf) << 4);
            }
        }
        return packed;
    }

    /** Zero points as a UINT4 tensor [blocks, N]. */
    static byte[] zeroPointsRowMajor(Blocks blocks) {
        int cols = blocks.columns();
        byte[] packed = new byte[(blocks.blocks() * cols + 1) / 2];
        for (int b = 0; b < blocks.blocks(); b++) {
            for (int n = 0; n < cols; n++) {
                int zero = Math.round(blocks.zeros()[n * blocks.blocks() + b]) & 0xf;
                int index = b * cols + n;
                packed[index / 2] |= (byte) (index % 2 == 0 ? zero : zero << 4);
            }
        }
        return packed;
    }

    /** Per-block values [N][blocks] as [blocks][N]. */
    static float[] blockMajor(float[] values, Blocks blocks) {
        float[] out = new float[values.length];
        for (int n = 0; n < blocks.columns(); n++) {
            for (int b = 0; b < blocks.blocks(); b++) {
                out[b * blocks.columns() + n] = values[n * blocks.blocks() + b];
            }
        }
        return out;
    }
}
