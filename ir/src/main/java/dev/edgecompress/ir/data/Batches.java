package dev.edgecompress.ir.data;

import dev.edgecompress.ir.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;

/**
 * A dataset bound to a model's inputs, cut into batches along the first axis. Batches of a
 * dynamic batch dimension are views of the dataset's buffers (no copy). A model with a fixed batch
 * size gets batches of exactly that size; the last one is padded by repeating its last sample, and
 * {@link Batch#samples()} says how many of its rows are real.
 */
public final class Batches {

    private final Map<String, Tensor> arrays;
    private final long samples;
    private final long fixedBatch;
    private final boolean whole;

    Batches(Map<String, Tensor> arrays, List<TensorSpec> inputs, long samples, boolean whole) {
        this.arrays = arrays;
        this.samples = samples;
        this.whole = whole;
        this.fixedBatch = whole ? 1
                : inputs.stream().mapToLong(TensorSpec::fixedBatch).filter(b -> b > 0).findFirst().orElse(-1);
    }

    /**
     * One batch: the feeds by model input name, and how many of its rows are real samples. A
     * batch of {@link #wholeInputs()} data is one sample, each feed a whole model input, and each
     * output of the model is that sample's, whatever its first axis.
     */
    public record Batch(long start, int samples, Map<String, Tensor> feeds, boolean wholeInputs) {
    }

    /** Whether each sample is one whole model input (samples run one at a time). */
    public boolean wholeInputs() {
        return whole;
    }

    public long samples() {
        return samples;
    }

    /** The batch size models with a fixed batch dimension need, or -1. */
    public long fixedBatch() {
        return fixedBatch;
    }

    /** Batches of {@code size} samples (the model's fixed batch size, when it has one). */
    public Iterable<Batch> of(int size) {
        int step = fixedBatch > 0 ? (int) fixedBatch : size;
        if (step <= 0) {
            throw new IllegalArgumentException("batch size must be positive");
        }
        return () -> new Iterator<>() {
            private long next = 0;

            @Override
            public boolean hasNext() {
                return next < samples;
            }

            @Override
            public Batch next() {
                if (!hasNext()) {
                    throw new NoSuchElementException();
                }
                int count = whole ? 1 : (int) Math.min(step, samples - next);
                Map<String, Tensor> feeds = new LinkedHashMap<>();
                for (Map.Entry<String, Tensor> array : arrays.entrySet()) {
                    Tensor slice = slice(array.getValue(), next, count);
                    feeds.put(array.getKey(), whole ? sample(slice) : fixedBatch > 0 && count < step
                            ? padded(slice, step) : slice);
                }
                Batch batch = new Batch(next, count, feeds, whole);
                next += count;
                return batch;
            }
        };
    }

    /** The first {@code size} samples as one batch, repeating samples when there are fewer. */
    public Map<String, Tensor> firstBatch(int size) {
        if (whole) {
            return of(1).iterator().next().feeds();
        }
        int step = fixedBatch > 0 ? (int) fixedBatch : size;
        Map<String, Tensor> feeds = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> array : arrays.entrySet()) {
            Tensor tensor = array.getValue();
            feeds.put(array.getKey(), tensor.dim(0) >= step ? slice(tensor, 0, step) : padded(tensor, step));
        }
        return feeds;
    }

    /** A one-sample slice without its sample axis: the whole model input it holds. */
    private static Tensor sample(Tensor slice) {
        long[] dims = java.util.Arrays.copyOfRange(slice.dims(), 1, slice.rank());
        return Tensor.of(slice.type(), dims, slice.buffer());
    }

    /** The first {@code count} rows of {@code tensor} (the real samples of a padded batch's output). */
    public static Tensor rows(Tensor tensor, long count) {
        return slice(tensor, 0, count);
    }

    /** Rows {@code [start, start + count)} of {@code tensor}, sharing its buffer. */
    static Tensor slice(Tensor tensor, long start, long count) {
        long rowBytes = tensor.byteSize() / Math.max(1, tensor.dim(0));
        ByteBuffer view = tensor.buffer();
        view.position((int) (start * rowBytes)).limit((int) ((start + count) * rowBytes));
        long[] dims = tensor.dims();
        dims[0] = count;
        return Tensor.of(tensor.type(), dims, view.slice().order(ByteOrder.LITTLE_ENDIAN));
    }

    /** {@code tensor} grown to {@code rows} rows by repeating rows cyclically, in a new direct buffer. */
    private static Tensor padded(Tensor tensor, int rows) {
        long rowBytes = tensor.byteSize() / tensor.dim(0);
        ByteBuffer out = ByteBuffer.allocateDirect((int) (rowBytes * rows)).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer source = tensor.buffer();
        for (int row = 0; row < rows; row++) {
            long from = (row % tensor.dim(0)) * rowBytes;
            out.put(source.duplicate().position((int) from).limit((int) (from + rowBytes)));
        }
        long[] dims = tensor.dims();
        dims[0] = rows;
        return Tensor.of(tensor.type(), dims, out.flip());
    }
}
