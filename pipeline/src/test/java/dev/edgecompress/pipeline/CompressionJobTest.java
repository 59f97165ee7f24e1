package dev.edgecompress.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.exporter.validation.Gate;
import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.data.DataFormatException;
import dev.edgecompress.ir.testing.TestModels;
import dev.edgecompress.runtime.Latency;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The library's end-to-end compression, as the command line runs it. */
class CompressionJobTest {

    @TempDir
    Path dir;

    private static Recipe recipe(Step... steps) {
        return new Recipe(List.of(steps), List.of());
    }

    @Test
    void compressesWritesAndValidatesOnHeldOutData() throws Exception {
        Path out = dir.resolve("mlp.pruned.onnx");
        CompressionJob.Result result = CompressionJob.of(TestModels.model("mlp.onnx"), out,
                        recipe(StepParser.parse("prune", StepParser.pruneOption("l1:0.5"))))
                .evaluationData(TestModels.model("fashion_mnist_test_2k.npz"))
                .gates(List.of(new Gate(Gate.Kind.MAX_ACCURACY_DROP, 2.0)))
                .validation(v -> v.latency(new Latency.Plan(1, 3, 0, 0.5)).latencyBatches(List.of(1)))
                .run();

        assertTrue(Files.exists(out));
        assertTrue(result.report().passed(), result.report().gates().toString());
        assertEquals(2000, result.report().metrics().samples());
        assertEquals("prune-l1", result.steps().get(1).pass());
        assertEquals(List.of(), result.warnings());
        assertEquals(List.of(), result.fallback(), "nothing to fall back from without quantization");
    }

    @Test
    void dynamicInt8FallsBackWithoutCalibrationData() throws Exception {
        Path out = dir.resolve("mlp.dynamic.onnx");
        CompressionJob.Result result = CompressionJob.of(TestModels.model("mlp.onnx"), out,
                        recipe(StepParser.parse("quantize", Map.of("mode", "dynamic"))))
                .evaluationData(TestModels.model("fashion_mnist_calib_512.npz"))
                .gates(List.of(new Gate(Gate.Kind.MIN_AGREEMENT, 0.999)))
                .validation(v -> v.withoutLatency())
                .run();

        assertEquals(3, result.sensitivity().size(), "the three Gemm ranked, each quantized dynamically alone");
        assertFalse(result.fallback().isEmpty());
        assertTrue(result.fallback().get(result.fallback().size() - 1).gatesPass() || result.fallback().size() == 3,
                result.fallback().toString());
    }

    @Test
    void dataThatDoesNotFitLeavesNoOutputBehind() {
        Path out = dir.resolve("cls.pruned.onnx");
        CompressionJob job = CompressionJob.of(TestModels.model("third-party/ppocr_cls_v2_opset9.onnx"), out,
                        recipe(StepParser.parse("prune", StepParser.pruneOption("l1:0.5"))))
                .evaluationData(TestModels.model("fashion_mnist_test_2k.npz")); // 28x28 images, not 3x48x192

        DataFormatException e = assertThrows(DataFormatException.class, job::run);

        assertTrue(e.getMessage().startsWith(TestModels.model("fashion_mnist_test_2k.npz") + ": "), e.getMessage());
        assertFalse(Files.exists(out), "a failed run leaves no output behind");
    }

    @Test
    void missingDataIsNamedBeforeAnyWork() {
        Path out = dir.resolve("never.onnx");
        SettingException training = assertThrows(SettingException.class, () -> CompressionJob.of(
                TestModels.model("mlp.onnx"), out, recipe(StepParser.parse("finetune", Map.of("epochs", 1)))).run());
        assertEquals("train", training.field());
        SettingException calibration = assertThrows(SettingException.class, () -> CompressionJob.of(
                TestModels.model("mlp.onnx"), out, recipe(StepParser.parse("quantize", Map.of("mode", "static"))))
                .run());
        assertEquals("calib", calibration.field());
        SettingException gate = assertThrows(SettingException.class, () -> CompressionJob.of(
                TestModels.model("mlp.onnx"), out, recipe()).gates(List.of(new Gate(Gate.Kind.MIN_AGREEMENT, 0.9)))
                .run());
        assertEquals("data", gate.field());
        assertFalse(Files.exists(out));
    }
}
