package dev.edgecompress.runtime;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgecompress.importer.data.DataFiles;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.ir.data.TensorSpec;
import dev.edgecompress.ir.testing.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class InferenceSessionTest {

    @Test
    void runsAModelAndReportsItsInputsAndTime() {
        try (InferenceSession session = InferenceSession.open(TinyModels.relu(-1, 3), SessionConfig.defaults())) {
            assertEquals(List.of(new TensorSpec("x", DataType.FLOAT, new long[] {-1, 3})), session.inputs());
            Map<String, Tensor> out = session.run(Map.of("x", Tensor.ofFloats(new long[] {1, 3}, -1, 0.5f, 2)));
            assertArrayEquals(new float[] {0, 0.5f, 2}, out.get("y").toFloatArray(), 0f);
            assertTrue(session.runNanos() > 0);
        }
    }

    @Test
    void closingTwiceIsHarmlessAndUseAfterCloseFails() {
        InferenceSession session = InferenceSession.open(TinyModels.relu(-1, 3), SessionConfig.defaults());
        session.close();
        session.close();
        assertThrows(IllegalStateException.class, session::inputs);
    }

    @Test
    void evaluatesTheBundledModelAsPyTorchDid() throws Exception {
        Path model = TestModels.model("mlp.onnx");
        Dataset data = DataFiles.load(TestModels.model("fashion_mnist_test_2k.npz"));
        try (InferenceSession a = InferenceSession.open(model, SessionConfig.defaults());
                InferenceSession b = InferenceSession.open(model, SessionConfig.defaults().withThreads(1))) {
            Evaluation.Result result = Evaluation.run(a, b, data, 128, Progress.NONE);
            // 1,784 of these 2,000 test images; on all 10,000 this model scores PyTorch's 0.8856
            assertEquals(0.892, result.referenceAccuracy(), 1e-9);
            assertEquals(result.referenceAccuracy(), result.candidateAccuracy(), 1e-9);
            assertEquals(1.0, result.comparison().agreement());
            assertTrue(result.comparison().maxAbsError() < 1e-4, "threads change summation order only");
            assertTrue(result.runtimeNanos() > 0 && result.runtimeNanos() <= result.totalNanos());
        }
    }

    @Test
    void cudaIsAClearErrorWhereThisBuildHasNoCudaProvider() {
        assumeTrue(!InferenceSession.isBuiltWith(ExecutionProvider.CUDA),
                "this test checks the CPU build's message; the onnxruntime_gpu build has the provider");
        ProviderUnavailableException e = assertThrows(ProviderUnavailableException.class,
                () -> InferenceSession.open(TinyModels.relu(-1, 3), SessionConfig.defaults()
                        .withProvider(ExecutionProvider.CUDA)));
        assertTrue(e.getMessage().contains("not in this ONNX Runtime build"), e.getMessage());
        assertTrue(e.getMessage().contains("mvn -Pgpu"), e.getMessage());
    }

    @Test
    void cudaGivesTheCpuResultsOnAGpu() throws Exception {
        assumeTrue(InferenceSession.isBuiltWith(ExecutionProvider.CUDA),
                "needs the onnxruntime_gpu build: mvn -Pgpu verify");
        assumeTrue(Files.exists(Path.of("/dev/nvidia0")), "needs an NVIDIA GPU (no /dev/nvidia0 here)");
        Path model = TestModels.model("lenet5_bn.onnx");
        Dataset data = DataFiles.load(TestModels.model("fashion_mnist_test_2k.npz"));
        try (InferenceSession cpu = InferenceSession.open(model, SessionConfig.defaults());
                InferenceSession gpu = InferenceSession.open(model, SessionConfig.defaults()
                        .withProvider(ExecutionProvider.CUDA))) {
            Evaluation.Result result = Evaluation.run(cpu, gpu, data, 256, Progress.NONE);
            assertEquals(result.referenceAccuracy(), result.candidateAccuracy(), 0.001);
            assertTrue(result.comparison().maxAbsError() < 1e-3, "max |error| " + result.comparison().maxAbsError());
        }
    }
}
