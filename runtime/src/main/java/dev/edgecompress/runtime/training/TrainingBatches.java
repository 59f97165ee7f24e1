package dev.edgecompress.runtime.training;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.data.Dataset;
import java.nio.FloatBuffer;
import java.util.Random;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * Shuffled training batches of a dataset's (single, float) input and its labels (where it has
 * them), as TensorFlow tensors.
 */
final class TrainingBatches {

    private final FloatBuffer rows;
    private final long[] sampleDims;
    private final int rowSize;
    private final long[] labels;
    private final int samples;

    TrainingBatches(Dataset data) {
        if (data.arrays().size() != 1) {
            throw new IllegalArgumentException("training supports models with one input for now");
        }
        Tensor input = data.arrays().values().iterator().next();
        if (input.type() != DataType.FLOAT) {
            throw new IllegalArgumentException("training needs float inputs, not " + input.type());
        }
        this.rows = input.floats();
        this.sampleDims = input.dims();
        this.rowSize = (int) (input.elementCount() / input.dim(0));
        this.labels = data.hasLabels() ? data.labels() : null;
        this.samples = Math.toIntExact(data.size());
    }

    /** A random order of the samples (Fisher-Yates). */
    int[] shuffled(Random random) {
        int[] order = inOrder();
        for (int i = order.length - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            int swap = order[i];
            order[i] = order[j];
            order[j] = swap;
        }
        return order;
    }

    /** The samples in their stored order. */
    int[] inOrder() {
        int[] order = new int[samples];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        return order;
    }

    TFloat32 inputs(int[] order, int offset, int count) {
        return gather(rows, sampleDims, rowSize, order, offset, count);
    }

    /** The rows {@code order[offset .. offset + count)} of a float tensor (samples first). */
    static TFloat32 rows(Tensor tensor, int[] order, int offset, int count) {
        return gather(tensor.floats(), tensor.dims(), (int) (tensor.elementCount() / tensor.dim(0)), order, offset,
                count);
    }

    private static TFloat32 gather(FloatBuffer rows, long[] sampleDims, int rowSize, int[] order, int offset,
            int count) {
        float[] batch = new float[count * rowSize];
        for (int i = 0; i < count; i++) {
            rows.get(order[offset + i] * rowSize, batch, i * rowSize, rowSize);
        }
        long[] dims = sampleDims.clone();
        dims[0] = count;
        return TFloat32.tensorOf(Shape.of(dims), DataBuffers.of(batch));
    }

    TInt64 labels(int[] order, int offset, int count) {
        long[] batch = new long[count];
        for (int i = 0; i < count; i++) {
            batch[i] = labels[order[offset + i]];
        }
        return TInt64.tensorOf(Shape.of(count), DataBuffers.of(batch));
    }
}
