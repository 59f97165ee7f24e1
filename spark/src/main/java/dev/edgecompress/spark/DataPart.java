package dev.edgecompress.spark;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.data.DataFormatException;
import dev.edgecompress.ir.data.Dataset;
import java.io.Serializable;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A run of whole batches of a dataset, as a task carries it to an executor. Cut at multiples of
 * the batch size, the parts run exactly the batches the whole dataset runs, so their statistics
 * merge into the whole's.
 */
record DataPart(String source, Map<String, Array> arrays, long[] labels) implements Serializable {

    /** One input array: element type, shape and little-endian bytes. */
    record Array(DataType type, long[] dims, byte[] bytes) implements Serializable {
    }

    /** {@code data} in at most {@code parts} runs of whole batches of {@code batchSize}, in order. */
    static List<DataPart> split(Dataset data, int batchSize, int parts) throws DataFormatException {
        long batches = (data.size() + batchSize - 1) / batchSize;
        int count = (int) Math.max(1, Math.min(parts, batches));
        List<DataPart> split = new ArrayList<>();
        for (int part = 0; part < count; part++) {
            long from = Math.min(data.size(), batches * part / count * batchSize);
            long to = Math.min(data.size(), batches * (part + 1) / count * batchSize);
            split.add(of(data.slice(from, to)));
        }
        return split;
    }

    private static DataPart of(Dataset data) {
        Map<String, Array> arrays = new LinkedHashMap<>();
        data.arrays().forEach((name, tensor) -> {
            ByteBuffer buffer = tensor.buffer();
            byte[] bytes = new byte[buffer.remaining()];
            buffer.get(bytes);
            arrays.put(name, new Array(tensor.type(), tensor.dims(), bytes));
        });
        return new DataPart(String.valueOf(data.source()), arrays, data.hasLabels() ? data.labels() : null);
    }

    /** The part as a dataset again, on the executor. */
    Dataset dataset() throws DataFormatException {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        arrays.forEach((name, array) -> {
            ByteBuffer buffer = ByteBuffer.allocateDirect(array.bytes().length).order(ByteOrder.LITTLE_ENDIAN);
            tensors.put(name, Tensor.of(array.type(), array.dims(), buffer.put(array.bytes()).flip()));
        });
        return Dataset.of(Path.of(source), tensors, labels);
    }
}
