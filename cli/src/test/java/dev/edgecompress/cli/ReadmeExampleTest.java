package dev.edgecompress.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.ir.testing.TestModels;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.tools.JavaCompiler;
import javax.tools.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Java library example, exactly as README.md shows it, compiled against the
 * project's modules and run in a folder holding the files it names: an example that no longer
 * compiles or runs fails the build.
 */
class ReadmeExampleTest {

    private static final List<String> IMPORTS = List.of("dev.edgecompress.exporter.ModelExporter",
            "dev.edgecompress.exporter.validation.Gate", "dev.edgecompress.exporter.validation.ReportWriter",
            "dev.edgecompress.exporter.validation.Validation", "dev.edgecompress.exporter.validation.ValidationReport",
            "dev.edgecompress.importer.ModelImporter", "dev.edgecompress.importer.data.DataFiles",
            "dev.edgecompress.ir.DataType", "dev.edgecompress.ir.Model", "dev.edgecompress.ir.ModelBuilder",
            "dev.edgecompress.ir.Tensor", "dev.edgecompress.ir.Value", "dev.edgecompress.pipeline.CompressionJob",
            "dev.edgecompress.pipeline.Compressor", "dev.edgecompress.pipeline.Recipe",
            "dev.edgecompress.pipeline.StepParser", "dev.edgecompress.runtime.InferenceSession",
            "dev.edgecompress.runtime.SessionConfig", "java.nio.file.Path", "java.util.Arrays", "java.util.List",
            "java.util.Map");

    @TempDir
    Path dir;

    @Test
    void theJavaLibraryExampleCompilesAndRuns() throws Exception {
        Path readme = TestModels.dir().resolve("..").resolve("README.md").normalize();
        String text = Files.readString(readme);
        int start = text.indexOf("```java\n", text.indexOf("## Java library"));
        String example = text.substring(start + "```java\n".length(), text.indexOf("```\n", start + 7));
        StringBuilder source = new StringBuilder();
        IMPORTS.forEach(i -> source.append("import ").append(i).append(";\n"));
        source.append("public class ReadmeExample {\n    public static void main(String[] args) throws Exception {\n")
                .append(example).append("    }\n}\n");
        Path java = dir.resolve("ReadmeExample.java");
        Files.writeString(java, source);
        String classPath = System.getProperty("java.class.path");
        JavaCompiler compiler = ToolProvider.getSystemJavaCompiler();
        assertEquals(0, compiler.run(null, null, null, "-classpath", classPath, "-d", dir.toString(),
                java.toString()), "README.md's Java example does not compile");

        Files.copy(TestModels.model("mlp.onnx"), dir.resolve("model.onnx"));
        Files.copy(TestModels.model("fashion_mnist_calib_512.npz"), dir.resolve("calib.npz"));
        Files.copy(TestModels.model("fashion_mnist_calib_512.npz"), dir.resolve("train.npz"));
        Files.copy(TestModels.model("fashion_mnist_test_2k.npz"), dir.resolve("test.npz"));
        Path log = dir.resolve("run.log");
        Process run = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
                dir + File.pathSeparator + classPath, "ReadmeExample").directory(dir.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        assertTrue(run.waitFor(180, TimeUnit.SECONDS), "the example did not finish in 3 minutes");
        String output = Files.readString(log, StandardCharsets.UTF_8);
        assertEquals(0, run.exitValue(), output);
        for (String written : List.of("copy.onnx", "model.int8.onnx", "model.pruned.onnx", "model.small.onnx",
                "report.json")) {
            assertTrue(Files.exists(dir.resolve(written)), written + " was not written: " + output);
        }
        assertTrue(output.contains("fc1.weight [300, 784]"), output);
    }
}
