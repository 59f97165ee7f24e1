package dev.edgecompress.ir.data;

import dev.edgecompress.ir.DataType;
import java.util.Arrays;

/**
 * A model input or output as ONNX Runtime sees it: name, element type, and shape with -1 for
 * dimensions that are not fixed (a symbolic batch dimension, say).
 */
public record TensorSpec(String name, DataType type, long[] shape) {

    public TensorSpec {
        shape = shape.clone();
    }

    @Override
    public long[] shape() {
        return shape.clone();
    }

    public int rank() {
        return shape.length;
    }

    /** The fixed size of the first dimension, or -1 when it is dynamic (or the tensor is a scalar). */
    public long fixedBatch() {
        return shape.length == 0 ? -1 : shape[0];
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof TensorSpec s && name.equals(s.name) && type == s.type && Arrays.equals(shape, s.shape);
    }

    @Override
    public int hashCode() {
        return name.hashCode() * 31 + Arrays.hashCode(shape);
    }

    @Override
    public String toString() {
        return name + ": " + type.name().toLowerCase() + Arrays.toString(shape).replace("-1", "?");
    }
}
