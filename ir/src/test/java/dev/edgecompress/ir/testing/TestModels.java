package dev.edgecompress.ir.testing;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * The bundled test models (the repository's {@code test-models} folder), for the tests of every
 * module: Maven passes the folder as {@code edgecompress.testModels}; a test run from a module's
 * folder without Maven finds it beside the module.
 */
public final class TestModels {

    private TestModels() {
    }

    public static Path dir() {
        String configured = System.getProperty("edgecompress.testModels");
        return configured != null ? Path.of(configured) : Path.of("..", "test-models");
    }

    public static Path model(String name) {
        return dir().resolve(name);
    }

    /** ONNX's backend test models with their inputs and outputs, from Debian's libonnx-testdata. */
    public static final Path ONNX_TEST_DATA = Path.of("/usr/share/libonnx-testdata/data");

    /** Every backend test model, sorted; the calling test is skipped, saying why, without the package. */
    public static Stream<Path> onnxBackendTestModels() throws IOException {
        assumeTrue(Files.isDirectory(ONNX_TEST_DATA),
                "Debian's libonnx-testdata is not installed (apt-get install libonnx-testdata); .ci/run installs it");
        try (Stream<Path> files = Files.walk(ONNX_TEST_DATA)) {
            List<Path> models = files.filter(p -> p.getFileName().toString().equals("model.onnx")).sorted().toList();
            return models.stream();
        }
    }
}
