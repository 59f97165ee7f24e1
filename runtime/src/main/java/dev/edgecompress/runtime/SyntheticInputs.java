package dev.edgecompress.runtime;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.data.DataFormatException;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.ir.data.TensorSpec;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Inputs made up from a model's input specs, for timing or checking a model without data: floats
 * uniform in [0, 1), other types a value the user gives ({@code --value sr=16000}). The first
 * dimension, when dynamic, is the batch size; other dynamic dimensions come from a shape the user
 * gives ({@code --shape x=1x3x48x320}), and without one they are an error that says so.
 */
public final class SyntheticInputs {

    /**
     * What the user said about inputs that specs alone cannot settle.
     *
     * @param shapes whole shapes by input name; the batch size replaces a dynamic first dimension
     *     only where no shape is given
     * @param values a constant for every element, by input name (integer and boolean inputs need one)
     */
    public record Overrides(Map<String, long[]> shapes, Map<String, Double> values) implements java.io.Serializable {

        public static final Overrides NONE = new Overrides(Map.of(), Map.of());

        public Overrides {
            shapes = Map.copyOf(shapes);
            values = Map.copyOf(values);
        }
    }

    private SyntheticInputs() {
    }

    /**
     * The inputs to run on: the first {@code batch} samples of {@code data}, or, without data,
     * inputs made up for {@code inputs} (shaped and valued by {@code overrides}, from {@code seed}).
     */
    public static Map<String, Tensor> feeds(Dataset data, List<TensorSpec> inputs, Overrides overrides, int batch,
            long seed) throws DataFormatException {
        return data != null ? data.bind(inputs).firstBatch(batch) : of(inputs, overrides, batch, seed);
    }

    public static Map<String, Tensor> of(List<TensorSpec> inputs, int batch, long seed) {
        return of(inputs, Overrides.NONE, batch, seed);
    }

    public static Map<String, Tensor> of(List<TensorSpec> inputs, Overrides overrides, int batch, long seed) {
        Random random = new Random(seed);
        for (String name : overrides.shapes().keySet()) {
            if (inputs.stream().noneMatch(i -> i.name().equals(name))) {
                throw new InferenceException("--shape names '" + name + "', which is not an input of the model"
                        + " (inputs: " + String.join(", ", inputs.stream().map(TensorSpec::name).toList()) + ")");
            }
        }
        Map<String, Tensor> feeds = new LinkedHashMap<>();
        for (TensorSpec input : inputs) {
            long[] dims = dims(input, overrides.shapes().get(input.name()), batch);
            long count = Arrays.stream(dims).reduce(1, Math::multiplyExact);
            Double value = overrides.values().get(input.name());
            if (value == null && input.type() != DataType.FLOAT && input.type() != DataType.DOUBLE) {
                throw new InferenceException("input '" + input.name() + "' is " + input.type().name().toLowerCase()
                        + ": made-up values would be meaningless; give one with --value " + input.name()
                        + "=V, or give data");
            }
            feeds.put(input.name(), tensor(input.type(), dims, count, value, random));
        }
        return feeds;
    }

    /** The batch size of feeds: the first dimension of the first input that has one, else 1. */
    public static int batchOf(Map<String, Tensor> feeds) {
        return feeds.values().stream().filter(t -> t.rank() > 0).mapToInt(t -> (int) t.dim(0)).findFirst().orElse(1);
    }

    private static long[] dims(TensorSpec input, long[] given, int batch) {
        long[] dims = input.shape();
        if (given != null) {
            if (given.length != dims.length) {
                throw new InferenceException("--shape " + input.name() + " has " + given.length + " dimensions; the"
                        + " input has " + dims.length + " " + input);
            }
            for (int axis = 0; axis < dims.length; axis++) {
                if (dims[axis] >= 0 && dims[axis] != given[axis]) {
                    throw new InferenceException("--shape " + input.name() + ": dimension " + axis + " is fixed at "
                            + dims[axis] + ", not " + given[axis]);
                }
            }
            return given.clone();
        }
        for (int axis = 0; axis < dims.length; axis++) {
            if (dims[axis] < 0) {
                if (axis > 0) {
                    throw new InferenceException("input '" + input.name() + "' has a dynamic dimension at axis "
                            + axis + " " + Arrays.toString(dims).replace("-1", "?") + "; give its shape with --shape "
                            + input.name() + "=" + example(dims, batch) + ", or give data");
                }
                dims[axis] = batch;
            }
        }
        return dims;
    }

    private static String example(long[] dims, int batch) {
        StringBuilder text = new StringBuilder();
        for (int axis = 0; axis < dims.length; axis++) {
            text.append(axis == 0 ? "" : "x").append(dims[axis] >= 0 ? dims[axis] : axis == 0 ? batch : 32);
        }
        return text.toString();
    }

    private static Tensor tensor(DataType type, long[] dims, long count, Double value, Random random) {
        ByteBuffer data = ByteBuffer.allocateDirect((int) type.byteSize(count)).order(ByteOrder.LITTLE_ENDIAN);
        for (long i = 0; i < count; i++) {
            double v = value != null ? value : random.nextFloat();
            switch (type) {
                case FLOAT -> data.putFloat((float) v);
                case DOUBLE -> data.putDouble(v);
                case INT64 -> data.putLong((long) v);
                case INT32 -> data.putInt((int) v);
                case INT16, UINT16 -> data.putShort((short) v);
                case INT8, UINT8 -> data.put((byte) v);
                case BOOL -> data.put((byte) (v != 0 ? 1 : 0));
                default -> throw new InferenceException("cannot make up " + type.name().toLowerCase() + " inputs;"
                        + " give data");
            }
        }
        return Tensor.of(type, dims, data.flip());
    }
}
