package dev.edgecompress.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgecompress.importer.ModelImporter;
import dev.edgecompress.importer.data.DataFiles;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.data.DataFormatException;
import dev.edgecompress.ir.testing.TestModels;
import dev.edgecompress.passes.float16.Float16Config;
import dev.edgecompress.runtime.InferenceException;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.SessionConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * float16 conversion must give models ONNX Runtime loads and that compute what the original does
 * to float16's precision: every model of ONNX's backend test data that ONNX Runtime runs is
 * converted, run on its stored inputs, and compared with the original's outputs.
 */
class Float16OnBackendModelsTest {

    /** float16 keeps 11 significant bits; a few operators in a row lose a few more. */
    private static final double TOLERANCE = 0.02;

    /**
     * Backend models with float16 nodes after conversion when the whole set runs (of 716 compared:
     * the others hold only operators kept float32, integers, or are below operator set 6).
     */
    static final int MIN_CONVERTED = 420;

    private static final AtomicInteger compared = new AtomicInteger();
    private static final AtomicInteger converted = new AtomicInteger();
    private static final AtomicInteger started = new AtomicInteger();
    private static int total = -1;

    @TempDir
    Path dir;

    static Stream<Path> models() throws java.io.IOException {
        java.util.List<Path> all = TestModels.onnxBackendTestModels().toList();
        total = all.size();
        return all.stream();
    }

    @AfterAll
    static void report() {
        System.out.println("float16: " + compared + " backend test models loaded and compared after conversion, "
                + converted + " of them with float16 nodes");
        if (total > 0 && started.get() == total) { // the whole set ran, not a filtered part
            assertTrue(converted.get() >= MIN_CONVERTED, "at least " + MIN_CONVERTED + " converted, got " + converted);
        }
    }

    /** Operators whose outputs are random draws: two runs need not agree, whatever the precision. */
    private static final Set<String> RANDOM = Set.of("Dropout", "RandomNormal", "RandomUniform", "RandomNormalLike",
            "RandomUniformLike", "Bernoulli", "Multinomial");

    @ParameterizedTest(name = "{0}")
    @MethodSource("models")
    void convertedModelsLoadAndComputeTheSame(Path model) throws Exception {
        started.incrementAndGet();
        Path data = model.resolveSibling("test_data_set_0");
        assumeTrue(Files.isDirectory(data), "no test data beside the model");
        assumeTrue(ModelImporter.load(model).graph().allNodes().stream().noneMatch(n -> RANDOM.contains(n.opType())
                && (!n.opType().equals("Dropout") || n.inputs().size() > 2)), "random outputs");
        Map<String, Tensor> inputs;
        Map<String, Tensor> original;
        try (InferenceSession session = InferenceSession.open(model, SessionConfig.defaults())) {
            inputs = DataFiles.load(data).bind(session.inputs()).firstBatch(Integer.MAX_VALUE);
            original = session.run(inputs);
        } catch (InferenceException | DataFormatException | IllegalArgumentException | IllegalStateException e) {
            assumeTrue(false, "ONNX Runtime does not run the original on its inputs: " + e.getMessage());
            return;
        }
        Path out = dir.resolve("fp16.onnx");
        Compressor compressor = Compressor.load(model).step(new Step.Float16(Float16Config.defaults()));
        compressor.export(out);
        boolean changed = compressor.run().stream().anyMatch(step -> step.pass().equals("quantize-fp16")
                && step.changed() != null && !step.changed().isEmpty());
        try (InferenceSession session = InferenceSession.open(out, SessionConfig.defaults())) {
            Map<String, Tensor> outputs = session.run(inputs);
            assertEquals(original.keySet(), outputs.keySet());
            for (String name : original.keySet()) {
                Tensor a = original.get(name);
                Tensor b = outputs.get(name);
                assertEquals(a.type(), b.type(), name);
                assertArrayEquals(a.dims(), b.dims(), name);
                if (a.type() == DataType.FLOAT) {
                    assertClose(name, a.toFloatArray(), b.toFloatArray());
                }
            }
        }
        compared.incrementAndGet();
        if (changed) {
            converted.incrementAndGet();
        }
    }

    private static void assertClose(String name, float[] a, float[] b) {
        double scale = 1e-3;
        for (float v : a) {
            if (Float.isFinite(v)) {
                scale = Math.max(scale, Math.abs(v));
            }
        }
        for (int i = 0; i < a.length; i++) {
            if (Float.isNaN(a[i]) || Float.isInfinite(a[i])) {
                continue;
            }
            double error = Math.abs(a[i] - b[i]);
            assertTrue(error <= TOLERANCE * scale, String.format("%s[%d]: %g against %g (relative %.3g, tolerance %.2g)",
                    name, i, b[i], a[i], error / scale, TOLERANCE));
        }
    }
}
