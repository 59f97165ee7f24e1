package dev.edgecompress.runtime.training.translation;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import java.util.IdentityHashMap;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * Which image values are kept channels-last (NHWC, TensorFlow's fast layout on CPU) and the
 * transposes between that and ONNX's NCHW. Image operators produce NHWC; a layout-sensitive
 * consumer (Flatten, Reshape, an output) reads ONNX's NCHW back. Only float images are ever NHWC.
 */
final class NhwcLayout {

    private static final int[] TO_NCHW = {0, 3, 1, 2};
    private static final int[] TO_NHWC = {0, 2, 3, 1};

    private final Ops tf;
    private final Operands operands;
    private final Map<Value, Boolean> nhwc = new IdentityHashMap<>();

    NhwcLayout(Ops tf, Operands operands) {
        this.tf = tf;
        this.operands = operands;
    }

    void mark(Value value, boolean channelsLast) {
        nhwc.put(value, channelsLast);
    }

    boolean isNhwc(Value value) {
        return nhwc.getOrDefault(value, false);
    }

    /** A float value in ONNX's layout (NCHW for images). */
    Operand<TFloat32> nchw(Value value) {
        Operand<TFloat32> operand = operands.floats(value);
        return isNhwc(value) ? tf.linalg.transpose(operand, tf.constant(TO_NCHW)) : operand;
    }

    /** Any value in ONNX's layout. */
    Operand<?> anyNchw(Value value) {
        return isNhwc(value) ? nchw(value) : operands.any(value);
    }

    /** An image value in NHWC. */
    Operand<TFloat32> channelsLast(Value value) {
        Operand<TFloat32> operand = operands.floats(value);
        return isNhwc(value) ? operand : tf.linalg.transpose(operand, tf.constant(TO_NHWC));
    }

    /** Axis {@code axis} of an NCHW image as it is numbered in NHWC. */
    static long channelsLastAxis(long axis) {
        return TO_NCHW[(int) axis];
    }

    /**
     * Whether a constant broadcasts against an NHWC image once moved to NHWC: a float scalar, or
     * rank 3 or 4.
     */
    static boolean channelsLastCompatible(Value value) {
        Tensor constant = Operands.known(value);
        return constant != null && constant.type() == DataType.FLOAT
                && (constant.elementCount() == 1 || constant.rank() == 3 || constant.rank() == 4);
    }

    /** An NHWC image, or a compatible constant moved to NHWC with it. */
    Operand<?> channelsLastOperand(Value value) {
        if (isNhwc(value)) {
            return operands.floats(value);
        }
        Tensor constant = Operands.known(value);
        Operand<TFloat32> operand = operands.floats(value);
        if (constant.elementCount() == 1 || constant.rank() < 3) {
            return operand;
        }
        return tf.linalg.transpose(operand, tf.constant(constant.rank() == 4 ? TO_NHWC : new int[] {1, 2, 0}));
    }
}
