package dev.edgecompress.runtime.metrics;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Tensor;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;

/**
 * One model output for a batch, read once as doubles, row by row (row i is sample i), with each
 * row's top-1 index. Metrics work on this, so each value is decoded once.
 */
public final class Rows {

    private final double[] values;
    private final int rows;
    private final int width;
    private final int classes;
    private int[] top;

    private Rows(double[] values, int rows, int width, int classes) {
        this.values = values;
        this.rows = rows;
        this.width = width;
        this.classes = classes;
    }

    /** Whether outputs of this type can be compared numerically. */
    public static boolean comparable(DataType type) {
        return type == DataType.FLOAT || type == DataType.DOUBLE || type == DataType.INT64 || type == DataType.INT32;
    }

    /** All of {@code tensor} as one row: a whole-input sample's output, whatever its first axis. */
    public static Rows whole(Tensor tensor) {
        long[] dims = new long[tensor.rank() + 1];
        dims[0] = 1;
        System.arraycopy(tensor.dims(), 0, dims, 1, tensor.rank());
        return of(Tensor.of(tensor.type(), dims, tensor.buffer()), 1);
    }

    /** The first {@code rows} rows of {@code tensor} [N, ...]. */
    public static Rows of(Tensor tensor, int rows) {
        if (!comparable(tensor.type())) {
            throw new IllegalArgumentException("cannot compare outputs of type " + tensor.type());
        }
        int width = tensor.rank() == 0 ? 1 : (int) (tensor.elementCount() / Math.max(1, tensor.dim(0)));
        int count = Math.multiplyExact(rows, width);
        double[] values = new double[count];
        ByteBuffer data = tensor.buffer();
        switch (tensor.type()) {
            case FLOAT -> {
                FloatBuffer floats = data.asFloatBuffer();
                float[] chunk = new float[count];
                floats.get(chunk);
                for (int i = 0; i < count; i++) {
                    values[i] = chunk[i];
                }
            }
            case DOUBLE -> data.asDoubleBuffer().get(values);
            case INT64 -> {
                for (int i = 0; i < count; i++) {
                    values[i] = data.getLong(i * 8);
                }
            }
            default -> {
                for (int i = 0; i < count; i++) {
                    values[i] = data.getInt(i * 4);
                }
            }
        }
        // [N, ..., C] with positions between (a sequence recognizer's [N, T, C]): classes along the last axis.
        int classes = tensor.rank() >= 3 && tensor.dim(tensor.rank() - 1) > 0 ? (int) tensor.dim(tensor.rank() - 1)
                : width;
        return new Rows(values, rows, width, classes);
    }

    public int rows() {
        return rows;
    }

    public int width() {
        return width;
    }

    double[] values() {
        return values;
    }

    /** Positions per row that each get a top-1 class: 1 for [N, C], T for [N, T, C]. */
    public int positions() {
        return width / classes;
    }

    /**
     * The top-1 class at every position of every row, along the last axis ([N, T, C] gives N x T
     * classes); the same as {@link #top()} for outputs of rank 2.
     */
    public int[] topPerPosition() {
        if (classes == width) {
            return top();
        }
        int count = rows * positions();
        int[] result = new int[count];
        for (int p = 0, base = 0; p < count; p++, base += classes) {
            int best = 0;
            for (int c = 1; c < classes; c++) {
                if (values[base + c] > values[base + best]) {
                    best = c;
                }
            }
            result[p] = best;
        }
        return result;
    }

    /** Index of the largest value of each row: the top-1 class of class scores. */
    public int[] top() {
        if (top == null) {
            top = new int[rows];
            for (int r = 0, base = 0; r < rows; r++, base += width) {
                int best = 0;
                double max = values[base];
                for (int c = 1; c < width; c++) {
                    if (values[base + c] > max) {
                        max = values[base + c];
                        best = c;
                    }
                }
                top[r] = best;
            }
        }
        return top;
    }
}
