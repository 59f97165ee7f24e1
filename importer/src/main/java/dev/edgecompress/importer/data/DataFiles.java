package dev.edgecompress.importer.data;

import dev.edgecompress.importer.ModelFormatException;
import dev.edgecompress.importer.ModelImporter;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.data.DataFormatException;
import dev.edgecompress.ir.data.Dataset;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * Reads data files into a {@link Dataset}: an {@code .npz} archive (one array per model input,
 * named as the input; a model with one input may use any name; {@code labels} holds the labels) or
 * ONNX test data folders ({@code test_data_set_N/input_K.pb}, concatenated along the first axis).
 */
public final class DataFiles {

    private DataFiles() {
    }

    /** Loads an .npz archive or an ONNX test data folder. */
    public static Dataset load(Path path) throws DataFormatException {
        if (Files.isDirectory(path)) {
            return testData(path);
        }
        return Dataset.fromArrays(path, Npz.read(path));
    }

    private static Dataset testData(Path dir) throws DataFormatException {
        List<Path> sets;
        try (Stream<Path> children = Files.list(dir)) {
            sets = children.filter(p -> p.getFileName().toString().startsWith("test_data_set_") && Files.isDirectory(p))
                    .sorted().toList();
        } catch (IOException e) {
            throw new DataFormatException(dir, "cannot list: " + e, e);
        }
        if (sets.isEmpty()) {
            if (!Files.exists(dir.resolve("input_0.pb"))) {
                throw new DataFormatException(dir, "is neither an .npz file nor a folder of test_data_set_* or"
                        + " input_N.pb files");
            }
            sets = List.of(dir);
        }
        Map<String, List<Tensor>> parts = new LinkedHashMap<>();
        for (Path set : sets) {
            for (int k = 0; Files.exists(set.resolve("input_" + k + ".pb")); k++) {
                Path file = set.resolve("input_" + k + ".pb");
                Tensor tensor;
                try {
                    tensor = ModelImporter.loadTensor(file);
                } catch (ModelFormatException e) {
                    throw new DataFormatException(file, String.join("; ", e.problems()), e);
                }
                String name = tensor.name() != null && !tensor.name().isEmpty() ? tensor.name() : "input_" + k;
                parts.computeIfAbsent(name, n -> new ArrayList<>()).add(tensor);
            }
        }
        // Sets whose inputs have no batch axis to join along (a scalar) are stacked, one whole input each.
        boolean stack = parts.values().stream().flatMap(List::stream).anyMatch(t -> t.rank() == 0);
        Map<String, Tensor> arrays = new LinkedHashMap<>();
        for (Map.Entry<String, List<Tensor>> part : parts.entrySet()) {
            arrays.put(part.getKey(), stack ? stack(dir, part.getKey(), part.getValue())
                    : concat(dir, part.getKey(), part.getValue()));
        }
        return Dataset.of(dir, arrays, null);
    }

    /** Stacks equal-shaped tensors along a new first axis (one sample each) into one direct buffer. */
    private static Tensor stack(Path dir, String name, List<Tensor> tensors) throws DataFormatException {
        Tensor first = tensors.get(0);
        for (Tensor t : tensors) {
            if (t.type() != first.type() || !Arrays.equals(t.dims(), first.dims())) {
                throw new DataFormatException(dir, "the test data sets give input '" + name
                        + "' different types or shapes; they cannot be stacked");
            }
        }
        long[] dims = new long[first.rank() + 1];
        dims[0] = tensors.size();
        System.arraycopy(first.dims(), 0, dims, 1, first.rank());
        ByteBuffer data = ByteBuffer.allocateDirect((int) (first.byteSize() * tensors.size()))
                .order(ByteOrder.LITTLE_ENDIAN);
        tensors.forEach(t -> data.put(t.buffer()));
        return Tensor.of(first.type(), dims, data.flip());
    }

    /** Joins tensors along the first axis into one direct buffer. */
    private static Tensor concat(Path dir, String name, List<Tensor> tensors) throws DataFormatException {
        Tensor first = tensors.get(0);
        long samples = 0;
        for (Tensor t : tensors) {
            long[] rest = Arrays.copyOfRange(t.dims(), 1, t.rank());
            if (t.type() != first.type() || t.rank() == 0
                    || !Arrays.equals(rest, Arrays.copyOfRange(first.dims(), 1, first.rank()))) {
                throw new DataFormatException(dir, "the test data sets give input '" + name
                        + "' different types or shapes; they cannot be batched together");
            }
            samples += t.dim(0);
        }
        long[] dims = first.dims();
        dims[0] = samples;
        ByteBuffer data = ByteBuffer.allocateDirect((int) tensors.stream().mapToLong(Tensor::byteSize).sum())
                .order(ByteOrder.LITTLE_ENDIAN);
        tensors.forEach(t -> data.put(t.buffer()));
        return Tensor.of(first.type(), dims, data.flip());
    }
}
