package dev.edgecompress.ir.data;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Samples to run a model on: arrays whose first axis is the sample axis, plus optional integer
 * class labels: one array per model input, named as the input (a model with one input may use any
 * name). The importer reads them from files ({@code DataFiles}).
 */
public final class Dataset {

    /** The array name that holds labels in an .npz archive. */
    public static final String LABELS = "labels";

    private final Path source;
    private final Map<String, Tensor> arrays;
    private final long[] labels;
    private final long samples;

    private Dataset(Path source, Map<String, Tensor> arrays, long[] labels) throws DataFormatException {
        this.source = source;
        this.arrays = arrays;
        this.labels = labels;
        if (arrays.isEmpty()) {
            throw new DataFormatException(source, "holds no input arrays (only labels?)");
        }
        long count = -1;
        for (Map.Entry<String, Tensor> array : arrays.entrySet()) {
            Tensor tensor = array.getValue();
            if (tensor.rank() == 0) {
                throw new DataFormatException(source, "array '" + array.getKey() + "' is a scalar; the first axis"
                        + " must be the sample axis");
            }
            if (count >= 0 && tensor.dim(0) != count) {
                throw new DataFormatException(source, "array '" + array.getKey() + "' has " + tensor.dim(0)
                        + " samples, other arrays have " + count);
            }
            count = tensor.dim(0);
        }
        if (labels != null && labels.length != count) {
            throw new DataFormatException(source, "has " + labels.length + " labels for " + count + " samples");
        }
        this.samples = count;
    }

    /**
     * A dataset over arrays read from {@code source}: the array named {@link #LABELS}, if any,
     * holds the class labels; the others are inputs.
     */
    public static Dataset fromArrays(Path source, Map<String, Tensor> arrays) throws DataFormatException {
        Map<String, Tensor> inputs = new LinkedHashMap<>(arrays);
        Tensor labelArray = inputs.remove(LABELS);
        return new Dataset(source, inputs, labelArray == null ? null : labels(source, labelArray));
    }

    /** A dataset over arrays already in memory. */
    public static Dataset of(Path source, Map<String, Tensor> arrays, long[] labels) throws DataFormatException {
        return new Dataset(source, new LinkedHashMap<>(arrays), labels == null ? null : labels.clone());
    }

    private static long[] labels(Path path, Tensor array) throws DataFormatException {
        if (array.rank() != 1) {
            throw new DataFormatException(path, "labels must be one class id per sample (1-D), not shape "
                    + Arrays.toString(array.dims()));
        }
        ByteBuffer data = array.buffer();
        long[] labels = new long[(int) array.elementCount()];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = switch (array.type()) {
                case INT64 -> data.getLong(i * 8);
                case INT32 -> data.getInt(i * 4);
                case INT16 -> data.getShort(i * 2);
                case INT8 -> data.get(i);
                case UINT8 -> Byte.toUnsignedInt(data.get(i));
                default -> throw new DataFormatException(path, "labels must be integers, not " + array.type());
            };
        }
        return labels;
    }

    public Path source() {
        return source;
    }

    /** Number of samples. */
    public long size() {
        return samples;
    }

    /** Input arrays by name (labels excluded). */
    public Map<String, Tensor> arrays() {
        return java.util.Collections.unmodifiableMap(arrays);
    }

    public boolean hasLabels() {
        return labels != null;
    }

    /** The class labels; fails when the dataset has none. */
    public long[] labels() {
        if (labels == null) {
            throw new IllegalStateException(source + " has no labels");
        }
        return labels.clone();
    }

    /** The first {@code n} samples (all of them when there are fewer). */
    public Dataset head(long n) throws DataFormatException {
        return slice(0, Math.min(n, samples));
    }

    /** Samples {@code [from, to)}, sharing this dataset's memory. */
    public Dataset slice(long from, long to) throws DataFormatException {
        if (from < 0 || to > samples || from > to) {
            throw new IndexOutOfBoundsException("samples [" + from + ", " + to + ") of " + samples);
        }
        Map<String, Tensor> cut = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> array : arrays.entrySet()) {
            cut.put(array.getKey(), Batches.slice(array.getValue(), from, to - from));
        }
        return new Dataset(source, cut, labels == null ? null : Arrays.copyOfRange(labels, (int) from, (int) to));
    }

    /**
     * Up to {@code n} samples spread evenly over the dataset (every size/n-th), for calibration
     * from a held-out set without taking only its first rows.
     */
    public Dataset sample(int n) throws DataFormatException {
        if (n >= samples) {
            return this;
        }
        Map<String, Tensor> picked = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> array : arrays.entrySet()) {
            Tensor tensor = array.getValue();
            long rowBytes = tensor.byteSize() / tensor.dim(0);
            ByteBuffer out = ByteBuffer.allocateDirect((int) (rowBytes * n)).order(ByteOrder.LITTLE_ENDIAN);
            ByteBuffer source = tensor.buffer();
            for (int i = 0; i < n; i++) {
                long row = i * samples / n;
                out.put(source.duplicate().position((int) (row * rowBytes)).limit((int) ((row + 1) * rowBytes)));
            }
            long[] dims = tensor.dims();
            dims[0] = n;
            picked.put(array.getKey(), Tensor.of(tensor.type(), dims, out.flip()));
        }
        long[] pickedLabels = null;
        if (labels != null) {
            pickedLabels = new long[n];
            for (int i = 0; i < n; i++) {
                pickedLabels[i] = labels[(int) (i * samples / n)];
            }
        }
        return new Dataset(source, picked, pickedLabels);
    }

    /**
     * Matches the arrays to a model's inputs: by name, or the single array to the single input, or
     * by position for test data. Element types must be equal and fixed dimensions (apart from the
     * sample axis) must match.
     *
     * <p>Two layouts: an array of the input's rank has the input's batch axis first, and samples
     * are batched along it; an array of one more dimension holds one whole input per sample (a
     * scalar, a recurrent state whose batch axis is not the first, several inputs that go
     * together), and samples run one at a time. All arrays of a dataset use the same layout.
     */
    public Batches bind(List<TensorSpec> inputs) throws DataFormatException {
        Map<String, Tensor> bound = new LinkedHashMap<>();
        Boolean whole = null;
        List<String> names = new ArrayList<>(arrays.keySet());
        for (int i = 0; i < inputs.size(); i++) {
            TensorSpec input = inputs.get(i);
            Tensor array = arrays.get(input.name());
            if (array == null && inputs.size() == 1 && arrays.size() == 1) {
                array = arrays.values().iterator().next();
            }
            if (array == null && arrays.containsKey("input_" + i)) {
                array = arrays.get("input_" + i);
            }
            if (array == null) {
                throw new DataFormatException(source, "no array for model input '" + input.name() + "' (arrays: "
                        + String.join(", ", names) + ")");
            }
            boolean wholeInput = array.rank() == input.rank() + 1;
            if (whole != null && whole != wholeInput) {
                throw new DataFormatException(source, "arrays mix two layouts: give every array the rank of its"
                        + " model input (first axis: batch) or one more (first axis: samples, each a whole input);"
                        + " array for '" + input.name() + "' has shape " + Arrays.toString(array.dims()));
            }
            whole = wholeInput;
            check(input, array, wholeInput);
            bound.put(input.name(), array);
        }
        return new Batches(bound, inputs, samples, Boolean.TRUE.equals(whole));
    }

    private void check(TensorSpec input, Tensor array, boolean wholeInput) throws DataFormatException {
        if (array.type() != input.type()) {
            throw new DataFormatException(source, "array for model input '" + input.name() + "' is "
                    + name(array.type()) + ", the model takes " + name(input.type()));
        }
        long[] expected = input.shape();
        long[] actual = wholeInput ? Arrays.copyOfRange(array.dims(), 1, array.rank()) : array.dims();
        boolean matches = expected.length == actual.length;
        for (int axis = wholeInput ? 0 : 1; matches && axis < expected.length; axis++) {
            matches = expected[axis] < 0 || expected[axis] == actual[axis];
        }
        if (!matches) {
            throw new DataFormatException(source, "array for model input '" + input.name() + "' has shape "
                    + Arrays.toString(array.dims()) + ", the model takes " + Arrays.toString(expected)
                    .replace("-1", "?") + " (first axis: the batch; or one more axis first: samples, each a whole"
                    + " input)");
        }
    }

    /** Checks that every label is a class id below {@code classes}. */
    public void checkLabels(long classes) throws DataFormatException {
        if (labels == null) {
            return;
        }
        for (int i = 0; i < labels.length; i++) {
            if (labels[i] < 0 || labels[i] >= classes) {
                throw new DataFormatException(source, "label " + labels[i] + " of sample " + i
                        + " is out of range: the model has " + classes + " classes (0.." + (classes - 1) + ")");
            }
        }
    }

    private static String name(DataType type) {
        return type == DataType.FLOAT ? "float32" : type.name().toLowerCase();
    }
}
