package dev.edgecompress.exporter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgecompress.importer.ModelFormatException;
import dev.edgecompress.importer.ModelImporter;
import dev.edgecompress.importer.proto.ModelProto;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.ValueType;
import dev.edgecompress.ir.testing.TestModels;
import dev.edgecompress.runtime.InferenceException;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.SessionConfig;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Import then export must be lossless: the written file parses to a protobuf message equal to the
 * input's, and ONNX Runtime computes bit-identical outputs from both files.
 */
class RoundTripTest {

    static final Path ONNX_TEST_DATA = TestModels.ONNX_TEST_DATA;

    /** Models whose outputs ONNX Runtime compared, and why others were compared by protobuf only. */
    private static final AtomicInteger comparedOnRuntime = new AtomicInteger();
    private static final AtomicInteger roundTripped = new AtomicInteger();
    private static final AtomicInteger backendStarted = new AtomicInteger();
    private static int backendModels = -1;

    /** What the whole backend set must give (Debian's libonnx-testdata 1.x: 1,072 models). */
    static final int BACKEND_MODELS = 1072;
    static final int MIN_BIT_IDENTICAL = 974;

    @TempDir
    Path temp;

    @AfterAll
    static void reportCoverage() {
        System.out.println("Round trip: " + roundTripped + " models equal as protobuf, " + comparedOnRuntime
                + " of them also bit-identical on ONNX Runtime");
        if (backendModels > 0 && backendStarted.get() == backendModels) { // the whole set ran, not a filtered part
            assertEquals(BACKEND_MODELS, backendModels, "ONNX backend test models found");
            assertTrue(roundTripped.get() >= BACKEND_MODELS, "every backend model round-trips: " + roundTripped);
            assertTrue(comparedOnRuntime.get() >= MIN_BIT_IDENTICAL, "at least " + MIN_BIT_IDENTICAL
                    + " bit-identical on ONNX Runtime, got " + comparedOnRuntime);
        }
    }

    /** The bundled models and the third-party exports beside them (test-models/third-party). */
    static Stream<Path> bundledModels() throws IOException {
        try (Stream<Path> files = Files.walk(TestModels.dir(), 2)) {
            return files.filter(p -> p.toString().endsWith(".onnx")).sorted().toList().stream();
        }
    }

    static Stream<Path> onnxBackendTestModels() throws IOException {
        return TestModels.onnxBackendTestModels();
    }

    static Stream<Path> onnxBackendTestModelsCounted() throws IOException {
        List<Path> models = onnxBackendTestModels().toList();
        backendModels = models.size();
        return models.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("bundledModels")
    void bundledModelRoundTripsLosslessly(Path model) throws Exception {
        Path written = roundTrip(model);
        Model imported = ModelImporter.load(model);
        assumeTrue(imported.graph().inputs().stream().filter(v -> !v.isInitializer()).allMatch(v -> v.tensorType()
                != null && v.tensorType().elementType() == DataType.FLOAT), "protobuf round trip equal; made-up"
                + " inputs are float only, and this model takes others");
        assertSameOutputs(model, written, randomInputs(imported));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("onnxBackendTestModelsCounted")
    void onnxBackendModelRoundTripsLosslessly(Path model) throws Exception {
        backendStarted.incrementAndGet();
        Path written = roundTrip(model);
        Path dataSet = model.resolveSibling("test_data_set_0");
        Map<String, Tensor> inputs = testDataInputs(ModelImporter.load(model), dataSet);
        assumeTrue(inputs != null, "protobuf round trip equal; no tensor test inputs to compare outputs on");
        assertSameOutputs(model, written, inputs);
    }

    private Path roundTrip(Path model) throws ModelFormatException, IOException {
        Model imported = ModelImporter.load(model);
        Path written = temp.resolve("out.onnx");
        ModelExporter.write(imported, written);
        ModelProto original = ModelProto.parseFrom(Files.readAllBytes(model));
        ModelProto copy = ModelProto.parseFrom(Files.readAllBytes(written));
        assertEquals(original, copy, "the written model differs from " + model);
        roundTripped.incrementAndGet();
        return written;
    }

    /** Runs both files on ONNX Runtime and requires bit-identical outputs (when it runs the original). */
    private static void assertSameOutputs(Path original, Path written, Map<String, Tensor> inputs) {
        Map<String, Tensor> expected;
        try (InferenceSession session = InferenceSession.open(original, SessionConfig.defaults())) {
            assumeTrue(session.hasOnlyTensorIo(), "protobuf round trip equal; sequences, maps and optionals are"
                    + " not compared on ONNX Runtime");
            expected = session.run(inputs);
        } catch (InferenceException e) {
            assumeTrue(false, "protobuf round trip equal; ONNX Runtime does not run this model: " + e.getMessage());
            return;
        }
        try (InferenceSession session = InferenceSession.open(written, SessionConfig.defaults())) {
            Map<String, Tensor> actual = session.run(inputs);
            assertEquals(expected.keySet(), actual.keySet());
            for (String name : expected.keySet()) {
                Tensor e = expected.get(name);
                Tensor a = actual.get(name);
                assertArrayEquals(e.dims(), a.dims(), name);
                assertTrue(e.contentEquals(a), "output " + name + " differs");
            }
            comparedOnRuntime.incrementAndGet();
        }
    }

    /** The inputs stored in an ONNX test data folder, or null when there are none to use. */
    private static Map<String, Tensor> testDataInputs(Model model, Path dataSet) throws ModelFormatException {
        if (!Files.isDirectory(dataSet)) {
            return null;
        }
        List<Value> inputs = model.graph().inputs().stream().filter(v -> !v.isInitializer()).toList();
        Map<String, Tensor> feeds = new LinkedHashMap<>();
        for (int i = 0; i < inputs.size(); i++) {
            Path file = dataSet.resolve("input_" + i + ".pb");
            if (!Files.exists(file) || !(inputs.get(i).type() instanceof ValueType.TensorType)) {
                return null;
            }
            feeds.put(inputs.get(i).name(), ModelImporter.loadTensor(file));
        }
        return feeds;
    }

    /** Seeded random inputs for models with float inputs and static shapes apart from the batch. */
    private static Map<String, Tensor> randomInputs(Model model) {
        Random random = new Random(42);
        Map<String, Tensor> feeds = new LinkedHashMap<>();
        for (Value input : model.graph().inputs()) {
            if (input.isInitializer()) {
                continue;
            }
            ValueType.TensorType type = input.tensorType();
            assertEquals(DataType.FLOAT, type.elementType(), "bundled models take float inputs");
            // Dynamic sizes: a batch of 3, and 64 elsewhere (images of Paddle's detector, say).
            List<dev.edgecompress.ir.Dim> shape = type.shape().dims();
            long[] dims = new long[shape.size()];
            for (int axis = 0; axis < dims.length; axis++) {
                dims[axis] = shape.get(axis).isKnown() ? shape.get(axis).value() : axis == 0 ? 3 : 64;
            }
            long count = 1;
            for (long d : dims) {
                count *= d;
            }
            ByteBuffer bytes = ByteBuffer.allocate((int) count * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (long i = 0; i < count; i++) {
                bytes.putFloat(random.nextFloat());
            }
            feeds.put(input.name(), Tensor.of(DataType.FLOAT, dims, bytes.flip()));
        }
        return feeds;
    }
}
