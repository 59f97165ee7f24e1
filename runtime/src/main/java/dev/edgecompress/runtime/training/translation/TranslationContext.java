package dev.edgecompress.runtime.training.translation;

import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Value;
import dev.edgecompress.runtime.training.TranslationException;
import java.util.Arrays;
import java.util.function.BiFunction;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * What every operator translator reads and writes: the TensorFlow ops builder, the model's
 * operator set, the operands of the values translated so far and their layout, and the
 * BatchNormalization statistics. Node attributes are read here in ONNX's terms.
 */
final class TranslationContext {

    final Ops tf;
    final long opset;
    final Operands operands;
    final NhwcLayout layout;
    final BatchNormStatistics statistics;
    private final BiFunction<Value, Operand<TFloat32>, Operand<TFloat32>> outputs;

    TranslationContext(Ops tf, long opset, BiFunction<Value, Operand<TFloat32>, Operand<TFloat32>> outputs) {
        this.tf = tf;
        this.opset = opset;
        this.outputs = outputs;
        this.operands = new Operands(tf);
        this.layout = new NhwcLayout(tf, operands);
        this.statistics = new BatchNormStatistics(tf);
    }

    /** A float value's operand, in whatever layout it has. */
    Operand<TFloat32> value(Value value) {
        return operands.floats(value);
    }

    /**
     * Defines {@code node}'s first output: float outputs pass through the output hook (where
     * training fake-quantizes activations).
     */
    void define(Node node, Operand<?> operand, boolean channelsLast) {
        define(node.output(0), operand, channelsLast);
    }

    void define(Value output, Operand<?> operand, boolean channelsLast) {
        operands.put(output, operand.type() == TFloat32.class ? outputs.apply(output, Operands.floats(operand))
                : operand);
        layout.mark(output, channelsLast);
    }

    /** Defines an extra output as it is (LayerNormalization's statistics). */
    void defineExtra(Value output, Operand<?> operand) {
        operands.put(output, operand);
        layout.mark(output, false);
    }

    static float floatAttribute(Node node, String name, float fallback) {
        return node.attribute(name) == null ? fallback : node.attribute(name).asFloat();
    }

    static long[] ints(Node node, String name, long[] fallback) {
        return node.attribute(name) == null ? fallback : node.attribute(name).asInts();
    }

    /** ONNX pads [top, left, bottom, right]; auto_pad other than NOTSET and VALID is refused. */
    static long[] pads(Node node) {
        Attribute autoPad = node.attribute("auto_pad");
        if (autoPad != null && !autoPad.asString().equals("NOTSET") && !autoPad.asString().equals("VALID")) {
            throw new TranslationException(node.describe() + ": auto_pad " + autoPad.asString()
                    + " is not supported for training; export with explicit pads");
        }
        return ints(node, "pads", new long[4]);
    }

    /** Axes from the attribute (older opsets) or from the constant input at {@code index}; null for none. */
    static long[] axes(Node node, int index) {
        if (node.attribute("axes") != null) {
            return node.attribute("axes").asInts();
        }
        Value axes = node.input(index);
        if (axes == null) {
            return null;
        }
        if (Operands.known(axes) == null) {
            throw new TranslationException(node.describe() + ": axes computed at run time are not supported");
        }
        return Operands.longs(Operands.known(axes));
    }

    /** An axis counted from the end made non-negative. */
    static int normalize(long axis, int rank) {
        return (int) (axis < 0 ? axis + rank : axis);
    }

    /** Indices as int32, clamped to its range (ONNX uses int64 extremes for "to the end"). */
    static int[] ints32(long[] values) {
        return Arrays.stream(values).mapToInt(v -> (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, v)))
                .toArray();
    }

    static int[] allAxes(int rank) {
        int[] axes = new int[rank];
        for (int a = 0; a < rank; a++) {
            axes[a] = a;
        }
        return axes;
    }

    /** The product of dims [from, to) of {@code operand} as a one-element int64 shape. */
    Operand<TInt64> flatSize(Operand<?> operand, int from, int to) {
        if (from == to) {
            return tf.constant(new long[] {1});
        }
        Operand<TInt64> dims = tf.slice(tf.shape(operand, TInt64.class), tf.constant(new long[] {from}),
                tf.constant(new long[] {to - from}));
        return tf.reshape(tf.reduceProd(dims, tf.constant(0)), tf.constant(new long[] {1}));
    }
}
