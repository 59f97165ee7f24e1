package dev.edgecompress.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgecompress.exporter.validation.ValidationReport;
import dev.edgecompress.importer.ModelImporter;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.testing.TestModels;
import dev.edgecompress.passes.float16.Float16Config;
import dev.edgecompress.runtime.ExecutionProvider;
import dev.edgecompress.runtime.InferenceSession;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** float16 models keep their accuracy to a tenth of a point on ONNX Runtime, at half the size. */
class Float16OnRuntimeTest {

    private static final Path TEST = TestModels.model("fashion_mnist_test_2k.npz");

    @TempDir
    Path dir;

    @ParameterizedTest(name = "{0}, compute {1}")
    @CsvSource({"mlp.onnx, fp16, 0.502", "mlp.onnx, fp32, 0.502", "lenet5_bn.onnx, fp16, 0.51",
            "vit_tiny.onnx, fp16, 0.58"})
    void accuracyWithinATenthOfAPointAtHalfTheSize(String name, String compute, double maxSizeRatio)
            throws Exception {
        Path out = dir.resolve("fp16.onnx");
        Compressor compressor = Compressor.load(TestModels.model(name))
                .step(new Step.Float16(new Float16Config(true, compute.equals("fp16"), Set.of())));
        compressor.export(out);
        ValidationReport report = compressor.validation().data(TEST).withoutLatency().run();

        double drop = (report.reference().accuracy() - report.candidate().accuracy()) * 100;
        assertTrue(Math.abs(drop) <= 0.1, "top-1 changed by " + drop + " points");
        assertTrue(report.metrics().agreement() >= 0.995, "agreement " + report.metrics().agreement());
        double ratio = (double) report.candidate().bytes() / report.reference().bytes();
        assertTrue(ratio <= maxSizeRatio, "size ratio " + ratio);
        Model written = ModelImporter.load(out);
        assertEquals(DataType.FLOAT, written.graph().inputs().get(0).tensorType().elementType());
        assertTrue(written.graph().initializers().stream().filter(v -> v.constValue().elementCount() >= 16)
                .allMatch(v -> v.constValue().type() != DataType.FLOAT), "every weight of 16 elements or more stored in float16");
        Map<String, Integer> ops = report.candidateRuntimeOps().get("cpu");
        assertTrue(ops.containsKey("Cast") || compute.equals("fp32"), ops.toString());
    }

    @ParameterizedTest(name = "{0} on CUDA")
    @org.junit.jupiter.params.provider.ValueSource(strings = {"mlp.onnx", "lenet5_bn.onnx", "vit_tiny.onnx"})
    void onCudaFloat16KeepsTheAccuracy(String name) throws Exception {
        assumeTrue(InferenceSession.isBuiltWith(ExecutionProvider.CUDA),
                "needs the onnxruntime_gpu build: mvn -Pgpu verify");
        assumeTrue(Files.exists(Path.of("/dev/nvidia0")), "needs an NVIDIA GPU (no /dev/nvidia0 here)");
        Compressor compressor = Compressor.load(TestModels.model(name)).step(new Step.Float16(Float16Config.defaults()));
        compressor.export(dir.resolve("fp16.onnx"));
        ValidationReport report = compressor.validation().data(TEST).providers(List.of(ExecutionProvider.CUDA))
                .withoutLatency().run();

        double drop = (report.reference().accuracy() - report.candidate().accuracy()) * 100;
        assertTrue(Math.abs(drop) <= 0.1, "top-1 changed by " + drop + " points on CUDA");
        assertTrue(report.metrics().agreement() >= 0.995, "agreement " + report.metrics().agreement());
    }
}
