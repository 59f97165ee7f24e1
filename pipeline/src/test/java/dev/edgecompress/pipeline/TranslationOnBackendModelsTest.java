package dev.edgecompress.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgecompress.importer.ModelImporter;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.testing.TestModels;
import dev.edgecompress.runtime.training.TrainableModel;
import dev.edgecompress.runtime.training.TranslationException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The training graph computes what ONNX specifies: every ONNX backend test model (operator tests
 * and networks) made only of operators the translation covers, with float and integer inputs, is
 * translated and run on its stored inputs, and its float outputs must equal the stored expected
 * outputs within 1e-4 of their scale. A translation may refuse an attribute it does not cover,
 * naming the node; it may not compute a wrong number.
 */
class TranslationOnBackendModelsTest {

    private static final AtomicInteger equal = new AtomicInteger();
    private static final AtomicInteger started = new AtomicInteger();
    private static final Set<String> refused = new ConcurrentSkipListSet<>();
    private static int total = -1;

    /** Backend models the translation must compute as specified when the whole set runs. */
    static final int MIN_TRANSLATED = 236;

    static java.util.stream.Stream<Path> models() throws java.io.IOException {
        List<Path> all = TestModels.onnxBackendTestModels().toList();
        total = all.size();
        return all.stream();
    }

    @AfterAll
    static void report() {
        System.out.println("Training graph: " + equal + " ONNX backend test models computed as specified; "
                + refused.size() + " refused with a reason: " + refused);
        if (total > 0 && started.get() == total) { // the whole set ran, not a filtered part
            assertTrue(equal.get() >= MIN_TRANSLATED, "at least " + MIN_TRANSLATED + " translated, got " + equal);
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void computesTheStoredOutputs(Path file) throws Exception {
        started.incrementAndGet();
        Model model = ModelImporter.load(file);
        Path data = file.resolveSibling("test_data_set_0");
        assumeTrue(TrainableModel.unsupported(model).isEmpty(), () -> "operators training does not translate: "
                + TrainableModel.unsupported(model));
        assumeTrue(Files.isDirectory(data), "no test data");
        Map<String, Tensor> feeds = new LinkedHashMap<>();
        List<Value> inputs = model.graph().inputs().stream().filter(v -> !v.isInitializer()).toList();
        assumeTrue(inputs.stream().allMatch(v -> v.type() instanceof dev.edgecompress.ir.ValueType.TensorType)
                && model.graph().outputs().stream().anyMatch(v -> v.tensorType() != null
                        && v.tensorType().elementType() == DataType.FLOAT),
                "sequences or optionals in, or no float output to compare");
        for (int i = 0; i < inputs.size(); i++) {
            Tensor input = ModelImporter.loadTensor(data.resolve("input_" + i + ".pb"));
            assumeTrue(Set.of(DataType.FLOAT, DataType.INT64, DataType.INT32).contains(input.type()),
                    "an input of type " + input.type() + ", which training graphs do not take");
            feeds.put(inputs.get(i).name(), input);
        }
        Map<String, float[]> actual;
        try (TrainableModel trainable = TrainableModel.of(model)) {
            actual = trainable.forward(feeds);
        } catch (TranslationException e) {
            refused.add(file.getParent().getFileName() + " (" + e.getMessage() + ")");
            assumeTrue(false, "refused, naming the node: " + e.getMessage());
            return;
        }
        for (int i = 0; i < model.graph().outputs().size(); i++) {
            Tensor expected = ModelImporter.loadTensor(data.resolve("output_" + i + ".pb"));
            if (expected.type() != DataType.FLOAT) {
                continue;
            }
            String name = model.graph().outputs().get(i).name();
            float[] values = actual.get(name);
            assertNotNull(values, name);
            float[] wanted = expected.toFloatArray();
            assertEquals(wanted.length, values.length, name + " size");
            float scale = 1;
            for (float v : wanted) {
                scale = Float.isFinite(v) ? Math.max(scale, Math.abs(v)) : scale;
            }
            for (int j = 0; j < wanted.length; j++) {
                if (Float.isNaN(wanted[j])) {
                    assertTrue(Float.isNaN(values[j]), name + "[" + j + "] should be NaN");
                } else {
                    assertEquals(wanted[j], values[j], 1e-4 * scale, name + "[" + j + "]");
                }
            }
        }
        equal.incrementAndGet();
    }
}
