package dev.edgecompress.exporter;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.SparseTensor;
import dev.edgecompress.ir.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;

/**
 * The ONNX sparse form of a mostly-zero float tensor: the non-zero values [NNZ] and their linear
 * indices [NNZ] (int64, ascending, as the ONNX spec requires), with the dense shape.
 */
final class SparseForm {

    /** Tensors smaller than this stay dense: the saving would not pay for the extra tensors. */
    static final long MIN_ELEMENTS = 1024;

    private SparseForm() {
    }

    /** The sparse form when it is smaller than the dense one (under 1/3 non-zeros), else null. */
    static SparseTensor of(Tensor tensor) {
        if (tensor.type() != DataType.FLOAT || tensor.rank() == 0 || tensor.elementCount() < MIN_ELEMENTS) {
            return null;
        }
        FloatBuffer values = tensor.floats();
        int nonzero = 0;
        for (int i = 0; i < values.limit(); i++) {
            if (values.get(i) != 0) {
                nonzero++;
            }
        }
        if (12L * nonzero >= 4L * values.limit()) {
            return null;
        }
        ByteBuffer kept = ByteBuffer.allocate(nonzero * 4).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer indices = ByteBuffer.allocate(nonzero * 8).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < values.limit(); i++) {
            float v = values.get(i);
            if (v != 0) {
                kept.putFloat(v);
                indices.putLong(i);
            }
        }
        return new SparseTensor(Tensor.of(DataType.FLOAT, new long[] {nonzero}, kept.flip()),
                Tensor.of(DataType.INT64, new long[] {nonzero}, indices.flip()), tensor.dims());
    }
}
