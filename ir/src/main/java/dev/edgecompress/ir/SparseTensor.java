package dev.edgecompress.ir;

import java.util.Arrays;

/**
 * A sparse tensor in ONNX's coordinate form: the non-zero {@code values} [NNZ] and their
 * {@code indices}, either [NNZ] linear indices or [NNZ, rank] coordinates, of a dense shape.
 */
public record SparseTensor(Tensor values, Tensor indices, long[] dims, Preserved preserved) {

    public SparseTensor {
        dims = dims.clone();
    }

    public SparseTensor(Tensor values, Tensor indices, long[] dims) {
        this(values, indices, dims, Preserved.NONE);
    }

    @Override
    public long[] dims() {
        return dims.clone();
    }

    @Override
    public boolean equals(Object other) {
        return other instanceof SparseTensor s && values.contentEquals(s.values)
                && indices.contentEquals(s.indices) && Arrays.equals(dims, s.dims);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(dims);
    }

    @Override
    public String toString() {
        return "SparseTensor(" + values.type().name().toLowerCase() + Arrays.toString(dims) + ", nnz="
                + values.elementCount() + ")";
    }
}
