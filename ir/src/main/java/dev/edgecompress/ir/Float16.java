package dev.edgecompress.ir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.ShortBuffer;

/**
 * IEEE 754 half precision (ONNX {@code FLOAT16}): conversion from float rounds to the nearest
 * half, ties to even, as hardware and ONNX Runtime's Cast do; values beyond the largest half
 * ({@link #MAX}) become infinities.
 */
public final class Float16 {

    /** The largest finite half: 65504. */
    public static final float MAX = 65504f;

    private Float16() {
    }

    /** The half nearest {@code value}, as its 16 bits. */
    public static short fromFloat(float value) {
        int bits = Float.floatToRawIntBits(value);
        int sign = (bits >>> 16) & 0x8000;
        int exponent = (bits >>> 23) & 0xff;
        int mantissa = bits & 0x7fffff;
        if (exponent == 0xff) {
            // Infinity stays infinity; NaN stays a (quiet) NaN.
            return (short) (sign | 0x7c00 | (mantissa != 0 ? 0x200 | (mantissa >>> 13) : 0));
        }
        int halfExponent = exponent - 127 + 15;
        if (halfExponent >= 0x1f) {
            return (short) (sign | 0x7c00);
        }
        if (halfExponent <= 0) {
            if (halfExponent < -10) {
                return (short) sign;
            }
            // A subnormal half counts units of 2^-24: the mantissa, hidden bit included, shifted and rounded.
            int full = mantissa | 0x800000;
            int shift = 14 - halfExponent;
            return (short) (sign | roundShift(full, shift));
        }
        int half = (halfExponent << 10) | (mantissa >>> 13);
        int rest = mantissa & 0x1fff;
        if (rest > 0x1000 || rest == 0x1000 && (half & 1) != 0) {
            half++; // a carry into the exponent is the right result, up to infinity
        }
        return (short) (sign | half);
    }

    /** The float a half's 16 bits stand for (exactly). */
    public static float toFloat(short half) {
        int bits = half & 0xffff;
        int sign = (bits & 0x8000) << 16;
        int exponent = (bits >>> 10) & 0x1f;
        int mantissa = bits & 0x3ff;
        if (exponent == 0x1f) {
            return Float.intBitsToFloat(sign | 0x7f800000 | (mantissa << 13));
        }
        if (exponent == 0) {
            float value = mantissa * 0x1p-24f;
            return sign != 0 ? -value : value;
        }
        return Float.intBitsToFloat(sign | ((exponent + 112) << 23) | (mantissa << 13));
    }

    /** {@code value} rounded to the nearest half, as a float. */
    public static float round(float value) {
        return toFloat(fromFloat(value));
    }

    /** A FLOAT16 tensor of {@code values}, each rounded to the nearest half. */
    public static Tensor tensor(long[] dims, float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (float value : values) {
            bytes.putShort(fromFloat(value));
        }
        return Tensor.of(DataType.FLOAT16, dims, bytes.flip());
    }

    /** The values of a FLOAT16 tensor, as floats. */
    public static float[] values(Tensor tensor) {
        if (tensor.type() != DataType.FLOAT16) {
            throw new IllegalArgumentException("a float16 tensor is needed, got " + tensor.type());
        }
        ShortBuffer halves = tensor.buffer().order(ByteOrder.LITTLE_ENDIAN).asShortBuffer();
        float[] values = new float[halves.remaining()];
        for (int i = 0; i < values.length; i++) {
            values[i] = toFloat(halves.get(i));
        }
        return values;
    }

    private static int roundShift(int value, int shift) {
        int kept = value >>> shift;
        int rest = value & ((1 << shift) - 1);
        int halfway = 1 << (shift - 1);
        return rest > halfway || rest == halfway && (kept & 1) != 0 ? kept + 1 : kept;
    }
}
