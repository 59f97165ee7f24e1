package dev.edgecompress.importer.data;

import static dev.edgecompress.importer.data.NpzTest.assertProblem;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.importer.proto.TensorProto;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.data.Batches;
import dev.edgecompress.ir.data.DataFormatException;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.ir.data.TensorSpec;
import dev.edgecompress.ir.testing.TestModels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DataFilesTest {

    @TempDir
    Path dir;

    private static final List<TensorSpec> IMAGE_INPUT =
            List.of(new TensorSpec("input", DataType.FLOAT, new long[] {-1, 1, 28, 28}));

    @Test
    void bindsTheOnlyArrayToTheOnlyInputAndCutsBatches() throws Exception {
        Dataset data = DataFiles.load(TestModels.model("fashion_mnist_calib_512.npz"));
        assertEquals(512, data.size());
        assertTrue(data.hasLabels());

        List<Batches.Batch> batches = new ArrayList<>();
        data.bind(List.of(new TensorSpec("x", DataType.FLOAT, new long[] {-1, 1, 28, 28}))).of(200)
                .forEach(batches::add);

        assertEquals(List.of(200, 200, 112), batches.stream().map(Batches.Batch::samples).toList());
        Tensor last = batches.get(2).feeds().get("x");
        assertArrayEquals(new long[] {112, 1, 28, 28}, last.dims());
        assertTrue(last.buffer().isDirect(), "batches are views of the dataset, not copies");
        float[] all = data.arrays().get("input").toFloatArray();
        assertEquals(all[400 * 784 + 5], last.toFloatArray()[5]);
    }

    @Test
    void arraysOfOneMoreDimensionHoldOneWholeInputPerSample() throws Exception {
        // Silero VAD's inputs: audio [batch, 512], a scalar sample rate, a state whose batch axis is 1.
        Map<String, Tensor> arrays = new LinkedHashMap<>();
        arrays.put("input", Tensor.ofFloats(new long[] {3, 1, 4}, new float[12]));
        arrays.put("sr", Tensor.ofLongs(new long[] {3}, 16000, 8000, 16000));
        arrays.put("state", Tensor.ofFloats(new long[] {3, 2, 1, 5}, new float[30]));
        Dataset data = Dataset.of(dir.resolve("vad.npz"), arrays, null);
        List<TensorSpec> inputs = List.of(new TensorSpec("input", DataType.FLOAT, new long[] {-1, 4}),
                new TensorSpec("sr", DataType.INT64, new long[0]),
                new TensorSpec("state", DataType.FLOAT, new long[] {2, -1, 5}));

        Batches batches = data.bind(inputs);
        List<Batches.Batch> all = new ArrayList<>();
        batches.of(64).forEach(all::add);

        assertTrue(batches.wholeInputs());
        assertEquals(List.of(1, 1, 1), all.stream().map(Batches.Batch::samples).toList());
        assertArrayEquals(new long[0], all.get(1).feeds().get("sr").dims());
        assertEquals(8000, all.get(1).feeds().get("sr").toLongArray()[0]);
        assertArrayEquals(new long[] {2, 1, 5}, all.get(2).feeds().get("state").dims());
        assertArrayEquals(new long[] {1, 4}, batches.firstBatch(8).get("input").dims());
    }

    @Test
    void arraysMustNotMixTheTwoLayouts() throws Exception {
        Map<String, Tensor> arrays = new LinkedHashMap<>();
        arrays.put("a", Tensor.ofFloats(new long[] {3, 4}, new float[12]));
        arrays.put("b", Tensor.ofFloats(new long[] {3, 1, 4}, new float[12]));
        Dataset data = Dataset.of(dir.resolve("mixed.npz"), arrays, null);
        DataFormatException e = assertThrows(DataFormatException.class, () -> data.bind(List.of(
                new TensorSpec("a", DataType.FLOAT, new long[] {-1, 4}),
                new TensorSpec("b", DataType.FLOAT, new long[] {-1, 4}))));
        assertTrue(e.getMessage().contains("arrays mix two layouts"), e.getMessage());
    }

    @Test
    void padsTheLastBatchForAFixedBatchSize() throws Exception {
        Dataset data = floats(10, 3);
        Batches batches = data.bind(List.of(new TensorSpec("x", DataType.FLOAT, new long[] {4, 3})));
        List<Batches.Batch> all = new ArrayList<>();
        batches.of(64).forEach(all::add);

        assertEquals(List.of(4, 4, 2), all.stream().map(Batches.Batch::samples).toList());
        Tensor padded = all.get(2).feeds().get("x");
        assertArrayEquals(new long[] {4, 3}, padded.dims());
        // rows 8 and 9, then repeated: 8, 9
        assertArrayEquals(new float[] {24, 25, 26, 27, 28, 29, 24, 25, 26, 27, 28, 29}, padded.toFloatArray());
    }

    @Test
    void aMissingInputNamesTheArraysThereAre() throws Exception {
        Map<String, Tensor> arrays = new LinkedHashMap<>();
        arrays.put("a", Tensor.ofFloats(new long[] {2, 1}, 1, 2));
        arrays.put("b", Tensor.ofFloats(new long[] {2, 1}, 1, 2));
        Dataset data = Dataset.of(dir.resolve("d.npz"), arrays, null);
        DataFormatException e = assertThrows(DataFormatException.class, () -> data.bind(List.of(
                new TensorSpec("x", DataType.FLOAT, new long[] {-1, 1}), new TensorSpec("y", DataType.FLOAT,
                        new long[] {-1, 1}))));
        assertTrue(e.getMessage().contains("no array for model input 'x' (arrays: a, b)"), e.getMessage());
    }

    @Test
    void aWrongElementTypeIsRefused() throws Exception {
        Dataset data = Dataset.of(dir.resolve("d.npz"), Map.of("input", Tensor.ofLongs(new long[] {1, 1, 28, 28},
                new long[784])), null);
        DataFormatException e = assertThrows(DataFormatException.class, () -> data.bind(IMAGE_INPUT));
        assertTrue(e.getMessage().contains("is int64, the model takes float32"), e.getMessage());
    }

    @Test
    void aWrongShapeIsRefused() throws Exception {
        Dataset data = floats(2, 784);
        DataFormatException e = assertThrows(DataFormatException.class, () -> data.bind(IMAGE_INPUT));
        assertTrue(e.getMessage().contains("has shape [2, 784], the model takes [?, 1, 28, 28]"), e.getMessage());
    }

    @Test
    void labelsOutOfRangeAreRefused() throws Exception {
        Dataset data = Dataset.of(dir.resolve("d.npz"), Map.of("x", Tensor.ofFloats(new long[] {2, 1}, 1, 2)),
                new long[] {3, 10});
        DataFormatException e = assertThrows(DataFormatException.class, () -> data.checkLabels(10));
        assertTrue(e.getMessage().contains("label 10 of sample 1 is out of range: the model has 10 classes"),
                e.getMessage());
    }

    @Test
    void labelsMustMatchTheSampleCount() throws Exception {
        Map<String, NpzWriter.Npy> arrays = new LinkedHashMap<>();
        arrays.put("input", NpzWriter.Npy.of("<f4", "(2, 1)", new byte[8]));
        arrays.put("labels", NpzWriter.Npy.of("<i8", "(3,)", new byte[24]));
        Path file = NpzWriter.write(dir.resolve("l.npz"), arrays);
        assertProblem(file, "has 3 labels for 2 samples");
    }

    @Test
    void readsOnnxTestDataFolders() throws Exception {
        for (int set = 0; set < 2; set++) {
            Path folder = Files.createDirectories(dir.resolve("test_data_set_" + set));
            ByteBuffer values = ByteBuffer.allocate(12).order(ByteOrder.LITTLE_ENDIAN);
            values.putFloat(set).putFloat(set + 0.5f).putFloat(set + 0.25f);
            TensorProto tensor = TensorProto.newBuilder().setName("x").setDataType(1).addDims(1).addDims(3)
                    .setRawData(com.google.protobuf.ByteString.copyFrom(values.array())).build();
            Files.write(folder.resolve("input_0.pb"), tensor.toByteArray());
        }
        Dataset data = DataFiles.load(dir);
        assertEquals(2, data.size());
        assertArrayEquals(new float[] {0, 0.5f, 0.25f, 1, 1.5f, 1.25f}, data.arrays().get("x").toFloatArray());
    }

    @Test
    void aFolderWithoutTestDataIsRefused() {
        assertProblem(dir, "is neither an .npz file nor a folder of test_data_set_*");
    }

    private Dataset floats(int rows, int width) throws DataFormatException {
        float[] values = new float[rows * width];
        for (int i = 0; i < values.length; i++) {
            values[i] = i;
        }
        return Dataset.of(dir.resolve("d.npz"), Map.of("x", Tensor.ofFloats(new long[] {rows, width}, values)), null);
    }
}
