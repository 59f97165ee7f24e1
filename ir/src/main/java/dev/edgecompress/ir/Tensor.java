package dev.edgecompress.ir;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A constant tensor: element type, dimensions and data. Fixed-width data is one packed
 * little-endian byte sequence ({@link TensorData}, possibly memory-mapped); string tensors hold
 * their elements as byte strings. Tensors are immutable: a pass that changes weights makes a new
 * tensor.
 *
 * <p>{@link #storage()} records how the source file stored the data so that an unchanged tensor
 * is written back the same way; new tensors are stored raw.
 */
public final class Tensor {

    /** How a tensor's elements were stored in the file it came from. */
    public enum Storage {
        /** The {@code raw_data} bytes field. */
        RAW,
        /** One of the typed repeated fields ({@code float_data}, {@code int32_data}, ...). */
        TYPED,
        /** A file beside the model ({@code data_location = EXTERNAL}). */
        EXTERNAL
    }

    private final DataType type;
    private final long[] dims;
    private final TensorData data;
    private final List<byte[]> strings;
    private final String name;
    private final Storage storage;
    private final Preserved preserved;

    private Tensor(DataType type, long[] dims, TensorData data, List<byte[]> strings, String name,
            Storage storage, Preserved preserved) {
        this.type = Objects.requireNonNull(type, "type");
        this.dims = dims.clone();
        this.data = data;
        this.strings = strings;
        this.name = name;
        this.storage = Objects.requireNonNull(storage, "storage");
        this.preserved = Objects.requireNonNull(preserved, "preserved");
        for (long d : dims) {
            if (d < 0) {
                throw new IllegalArgumentException("negative dimension in " + Arrays.toString(dims));
            }
        }
        if (type == DataType.STRING) {
            if (strings == null || strings.size() != elementCount()) {
                throw new IllegalArgumentException("string tensor of shape " + Arrays.toString(dims)
                        + " needs " + elementCount() + " strings");
            }
        } else if (type.isFixedWidth()) {
            long expected = type.byteSize(elementCount());
            if (data == null || data.byteSize() != expected) {
                throw new IllegalArgumentException("tensor of " + type + " " + Arrays.toString(dims)
                        + " needs " + expected + " bytes, has " + (data == null ? 0 : data.byteSize()));
            }
        } else {
            throw new IllegalArgumentException("tensor element type " + type + " is not allowed");
        }
    }

    /** A tensor over packed little-endian data. */
    public static Tensor of(DataType type, long[] dims, TensorData data) {
        return new Tensor(type, dims, data, null, null, Storage.RAW, Preserved.NONE);
    }

    /** A tensor over a copy-free view of {@code bytes} (little-endian, packed). */
    public static Tensor of(DataType type, long[] dims, ByteBuffer bytes) {
        return of(type, dims, TensorData.of(bytes));
    }

    public static Tensor ofStrings(long[] dims, List<byte[]> values) {
        return new Tensor(DataType.STRING, dims, null, List.copyOf(values), null, Storage.TYPED, Preserved.NONE);
    }

    public static Tensor ofFloats(long[] dims, float... values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        return of(DataType.FLOAT, dims, bytes);
    }

    public static Tensor ofLongs(long[] dims, long... values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asLongBuffer().put(values);
        return of(DataType.INT64, dims, bytes);
    }

    public static Tensor ofInts(long[] dims, int... values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asIntBuffer().put(values);
        return of(DataType.INT32, dims, bytes);
    }

    /** A copy of this tensor with a name (the name ONNX stores inside the tensor itself). */
    public Tensor withName(String newName) {
        return new Tensor(type, dims, data, strings, newName, storage, preserved);
    }

    /** A copy of this tensor that remembers how the source file stored it. */
    public Tensor withSource(Storage sourceStorage, Preserved sourcePreserved) {
        return new Tensor(type, dims, data, strings, name, sourceStorage, sourcePreserved);
    }

    public DataType type() {
        return type;
    }

    public long[] dims() {
        return dims.clone();
    }

    public int rank() {
        return dims.length;
    }

    public long dim(int axis) {
        return dims[axis];
    }

    public long elementCount() {
        long count = 1;
        for (long d : dims) {
            count = Math.multiplyExact(count, d);
        }
        return count;
    }

    /** Bytes of element data (for strings, the sum of their lengths). */
    public long byteSize() {
        return data != null ? data.byteSize() : strings.stream().mapToLong(s -> s.length).sum();
    }

    /** The packed data; null for string tensors. */
    public TensorData data() {
        return data;
    }

    /** A read-only little-endian view of the packed data. */
    public ByteBuffer buffer() {
        requireFixedWidth();
        return data.buffer();
    }

    /** The elements of a string tensor. */
    public List<byte[]> strings() {
        if (type != DataType.STRING) {
            throw new IllegalStateException("not a string tensor: " + type);
        }
        return strings;
    }

    public FloatBuffer floats() {
        requireType(DataType.FLOAT);
        return buffer().asFloatBuffer();
    }

    public float[] toFloatArray() {
        FloatBuffer view = floats();
        float[] values = new float[view.remaining()];
        view.get(values);
        return values;
    }

    public long[] toLongArray() {
        requireType(DataType.INT64);
        var view = buffer().asLongBuffer();
        long[] values = new long[view.remaining()];
        view.get(values);
        return values;
    }

    /** The values of an integer tensor, INT64 or INT32, as longs. */
    public long[] toIntegers() {
        if (type == DataType.INT32) {
            var view = buffer().asIntBuffer();
            long[] values = new long[view.remaining()];
            for (int i = 0; i < values.length; i++) {
                values[i] = view.get(i);
            }
            return values;
        }
        return toLongArray();
    }

    /** The name stored inside the tensor, or null. Initializers are named by their value. */
    public String name() {
        return name;
    }

    public Storage storage() {
        return storage;
    }

    public Preserved preserved() {
        return preserved;
    }

    /** Whether both tensors have the same type, dimensions and element bytes. */
    public boolean contentEquals(Tensor other) {
        if (type != other.type || !Arrays.equals(dims, other.dims)) {
            return false;
        }
        if (type == DataType.STRING) {
            if (strings.size() != other.strings.size()) {
                return false;
            }
            for (int i = 0; i < strings.size(); i++) {
                if (!Arrays.equals(strings.get(i), other.strings.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return buffer().equals(other.buffer());
    }

    private void requireFixedWidth() {
        if (data == null) {
            throw new IllegalStateException(type + " tensor has no packed data");
        }
    }

    private void requireType(DataType expected) {
        if (type != expected) {
            throw new IllegalStateException("tensor is " + type + ", not " + expected);
        }
    }

    @Override
    public String toString() {
        return "Tensor(" + type.name().toLowerCase() + Arrays.toString(dims)
                + (name == null ? "" : " " + name) + ")";
    }
}
