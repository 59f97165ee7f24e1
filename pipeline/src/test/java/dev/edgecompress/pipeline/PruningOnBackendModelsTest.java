package dev.edgecompress.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgecompress.importer.data.DataFiles;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.data.DataFormatException;
import dev.edgecompress.ir.testing.TestModels;
import dev.edgecompress.runtime.InferenceException;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.SessionConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Pruning must leave any model runnable: every network of ONNX's backend test data (PyTorch
 * conversions and real models) is pruned with l1 and with channels, and ONNX Runtime must run the
 * result on the model's test inputs with outputs of the original's shapes.
 */
class PruningOnBackendModelsTest {

    private static final AtomicInteger checked = new AtomicInteger();

    @TempDir
    Path dir;

    static Stream<Path> networks() throws IOException {
        assumeTrue(Files.isDirectory(TestModels.ONNX_TEST_DATA),
                "Debian's libonnx-testdata is not installed (apt-get install libonnx-testdata); .ci/run installs it");
        List<Path> roots = List.of(TestModels.ONNX_TEST_DATA.resolve("pytorch-converted"),
                TestModels.ONNX_TEST_DATA.resolve("real"));
        return roots.stream().filter(Files::isDirectory).flatMap(root -> {
            try (Stream<Path> files = Files.walk(root)) {
                return files.filter(p -> p.getFileName().toString().equals("model.onnx")).sorted().toList().stream();
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        });
    }

    @AfterAll
    static void report() {
        System.out.println("Pruning: " + checked + " pruned backend test models ran on ONNX Runtime");
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("networks")
    void prunedModelsStillRun(Path model) throws Exception {
        Map<String, Tensor> inputs = inputs(model);
        Map<String, Tensor> original;
        try (InferenceSession session = InferenceSession.open(model, SessionConfig.defaults())) {
            original = session.run(inputs);
        } catch (InferenceException e) {
            assumeTrue(false, "ONNX Runtime does not run the original either: " + e.getMessage());
            return;
        }
        for (String method : List.of("l1", "channels")) {
            Path pruned = dir.resolve(method + ".onnx");
            Compressor.load(model).prune(method, 0.5).export(pruned);
            try (InferenceSession session = InferenceSession.open(pruned, SessionConfig.defaults())) {
                Map<String, Tensor> outputs = session.run(inputs);
                assertEquals(original.keySet(), outputs.keySet());
                for (String name : original.keySet()) {
                    assertArrayEquals(original.get(name).dims(), outputs.get(name).dims(), method + " " + name);
                }
            }
            checked.incrementAndGet();
        }
    }

    private static Map<String, Tensor> inputs(Path model) throws DataFormatException {
        Path data = model.resolveSibling("test_data_set_0");
        assumeTrue(Files.isDirectory(data), "no test data beside " + model);
        try (InferenceSession session = InferenceSession.open(model, SessionConfig.defaults())) {
            return DataFiles.load(data).bind(session.inputs()).firstBatch(1);
        } catch (InferenceException | DataFormatException e) {
            assumeTrue(false, "inputs not usable: " + e.getMessage());
            return null;
        }
    }
}
