package dev.edgecompress.runtime.training.translation;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.runtime.training.TranslationException;
import java.util.IdentityHashMap;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * The TensorFlow operand of each IR value translated so far, keyed by the value itself. Values
 * are float, or int64 for shape arithmetic and indices; constants become TensorFlow constants
 * the first time they are read.
 */
final class Operands {

    private final Ops tf;
    private final Map<Value, Operand<?>> translated = new IdentityHashMap<>();

    Operands(Ops tf) {
        this.tf = tf;
    }

    void put(Value value, Operand<?> operand) {
        translated.put(value, operand);
    }

    /** The operand of any value: float, or int64 (shape arithmetic, indices). */
    Operand<?> any(Value value) {
        Operand<?> operand = translated.get(value);
        if (operand == null && value.constValue() != null) {
            operand = constant(value.constValue(), value.name());
            translated.put(value, operand);
        }
        if (operand == null) {
            throw new TranslationException("value " + value.name() + (value.producer() == null ? ""
                    : " (an output of " + value.producer().describe() + ")")
                    + " is not computed by the training graph");
        }
        return operand;
    }

    /** A float value's operand. */
    Operand<TFloat32> floats(Value value) {
        Operand<?> operand = any(value);
        if (operand.type() != TFloat32.class) {
            throw new TranslationException("value " + value.name() + " is not float; only float values are computed"
                    + " on here");
        }
        return floats(operand);
    }

    /** An integer value (indices, shapes): int64 here, as integer constants are made int64. */
    @SuppressWarnings("unchecked")
    Operand<TInt64> integers(Value value) {
        Operand<?> operand = any(value);
        if (operand.type() != TInt64.class) {
            throw new TranslationException("value " + value.name() + " is not an integer tensor");
        }
        return (Operand<TInt64>) operand;
    }

    Operand<?> constant(Tensor constant, String name) {
        return switch (constant.type()) {
            case FLOAT -> tf.constant(Shape.of(constant.dims()), DataBuffers.of(constant.toFloatArray()));
            case INT64, INT32 -> tf.constant(Shape.of(constant.dims()), DataBuffers.of(longs(constant)));
            default -> throw new TranslationException("constant " + name + " is " + constant.type()
                    + "; only float and integer constants are supported for training");
        };
    }

    /**
     * The value of a constant known while translating: an initializer, or the output of a Constant
     * node (exporters write shapes, axes and slice bounds as either); null otherwise.
     */
    static Tensor known(Value value) {
        if (value.constValue() != null) {
            return value.constValue();
        }
        Node producer = value.producer();
        return producer != null && producer.opType().equals("Constant") && producer.normalizedDomain().isEmpty()
                && producer.attribute("value") != null ? producer.attribute("value").asTensor() : null;
    }

    /** The values of an integer tensor (INT64 or INT32). */
    static long[] longs(Tensor tensor) {
        return tensor.toIntegers();
    }

    @SuppressWarnings("unchecked")
    static Operand<TFloat32> floats(Operand<?> operand) {
        return (Operand<TFloat32>) operand;
    }
}
