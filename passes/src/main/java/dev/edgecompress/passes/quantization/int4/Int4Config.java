package dev.edgecompress.passes.quantization.int4;

import dev.edgecompress.ir.SettingException;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Configuration of 4-bit weight-only quantization.
 *
 * @param block weights per block along the input dimension, each block with its own scale (and
 *     zero point): 16 to 256, a power of two
 * @param method how codes, scales and zero points are chosen
 * @param format how the quantized weights are written
 * @param accuracyLevel MatMulNBits' {@code accuracy_level}: 0 computes in float; 4 quantizes the
 *     activations to int8 on the fly and uses integer dot products (faster on CPUs with VNNI, a
 *     little less accurate)
 * @param exclude node names or op types left in float
 */
public record Int4Config(int block, Method method, Format format, int accuracyLevel, Set<String> exclude) {

    /** How a block's 16 levels are chosen. */
    public enum Method {
        /**
         * Round to nearest, symmetric, as ONNX Runtime's quantizer: the block's value of largest
         * magnitude maps to level -8, zero point 8.
         */
        RTN,
        /**
         * Half-quadratic quantization (Badri and Shaji, 2023): the zero point of each block is
         * optimized for the error's lp norm (p &lt; 1, robust to outliers) by alternating
         * minimization; no data needed.
         */
        HQQ,
        /**
         * GPTQ (Frantar et al., 2023): codes chosen input row by input row, each row's rounding
         * error compensated in the rows not yet quantized through the inverse Hessian of the
         * layer's inputs, measured on calibration data.
         */
        GPTQ;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Method parse(String text) {
            for (Method method : values()) {
                if (method.id().equals(text)) {
                    return method;
                }
            }
            throw new SettingException("method", "must be rtn, hqq or gptq, got '" + text + "'");
        }
    }

    /** How quantized weights are written. */
    public enum Format {
        /** ONNX Runtime's com.microsoft.MatMulNBits: packed codes, scales, zero points, one fused kernel. */
        MATMULNBITS,
        /** Standard ONNX: INT4/UINT4 weights through a blocked DequantizeLinear (operator set 21), then MatMul. */
        QDQ;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }

        public static Format parse(String text) {
            for (Format format : values()) {
                if (format.id().equals(text)) {
                    return format;
                }
            }
            throw new SettingException("format", "must be matmulnbits or qdq, got '" + text + "'");
        }
    }

    public static final int DEFAULT_BLOCK = 32;

    public Int4Config {
        if (block < 16 || block > 256 || Integer.bitCount(block) != 1) {
            throw new SettingException("block", "must be a power of two from 16 to 256, got " + block);
        }
        if (accuracyLevel < 0 || accuracyLevel > 4) {
            throw new SettingException("accuracy_level", "must be 0 to 4, got " + accuracyLevel);
        }
        exclude = new TreeSet<>(exclude);
    }

    /** Blocks of 32, round to nearest, MatMulNBits, computing in float. */
    public static Int4Config defaults() {
        return new Int4Config(DEFAULT_BLOCK, Method.RTN, Format.MATMULNBITS, 0, Set.of());
    }
}
