package dev.edgecompress.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgecompress.ir.testing.TestModels;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The command line on models other tools exported (test-models/third-party): Paddle2ONNX at opsets
 * 9 and 11 with weights in Constant nodes, Silero VAD with LSTMs inside If subgraphs. No pass may
 * silently do nothing, and no run may leave a model ONNX Runtime cannot load.
 */
class ThirdPartyModelsTest {

    private static final String CLS = TestModels.model("third-party/ppocr_cls_v2_opset9.onnx").toString();
    private static final String DET = TestModels.model("third-party/ppocr_det_v4_opset11.onnx").toString();
    private static final String VAD = TestModels.model("third-party/silero_vad_legacy.onnx").toString();
    private static final String VAD_V5 = TestModels.model("third-party/silero_vad_v5.onnx").toString();

    @TempDir
    Path dir;

    private final CliRun cli = new CliRun();

    /** An .npz of uniform random float32 images [n, 3, h, w] named x (the Paddle models' input). */
    private Path images(int n, int h, int w) throws IOException {
        Random random = new Random(3);
        float[] values = new float[n * 3 * h * w];
        for (int i = 0; i < values.length; i++) {
            values[i] = random.nextFloat();
        }
        return NpzFiles.write(dir.resolve("images_" + h + "x" + w + ".npz"),
                java.util.Map.of("x", NpzFiles.Array.floats(new long[] {n, 3, h, w}, values)));
    }

    @Test
    void inspectCountsWeightsHeldInConstantNodesAndSaysInt8UpgradesTheOpset() throws Exception {
        assertEquals(ExitCode.OK, cli.run("inspect", CLS), cli.stderr());
        assertTrue(cli.stdout().contains("Parameters  133,665"), cli.stdout());
        assertTrue(cli.stdout().contains("Pruning: 54 weights"), cli.stdout());
        assertTrue(cli.stdout().contains("int8 first upgrades opset 9 -> 13, converting Clip x18, Slice x1, Softmax x1"), cli.stdout());
    }

    @Test
    void prunesAnOpset9PaddleModelWhoseWeightsAreConstantNodes() throws Exception {
        Path report = dir.resolve("report.json");
        assertEquals(ExitCode.OK, cli.run("compress", CLS, "-o", dir.resolve("cls.onnx").toString(), "--prune",
                "l1:0.5", "--report", report.toString(), "--shape", "x=1x3x48x192", "--batch", "1", "--runs", "3",
                "--time", "0", "--fail-on-warning"), cli.stderr());
        JsonNode prune = Json.mapper().readTree(Files.readString(report)).get("steps").get(1);
        assertEquals("prune-l1", prune.get("pass").asText());
        assertEquals(61_920, prune.get("changed").get("pruned").asLong(),
                "half of the 123,840 prunable weights of at least 100 elements");
        assertEquals(0, prune.get("warnings").size());
    }

    @Test
    void staticInt8OnOpset9MeetsItsSimilarityGates() throws Exception {
        Path data = images(16, 48, 192);
        Path out = dir.resolve("cls.int8.onnx");
        ExitCode code = cli.run("compress", CLS, "-o", out.toString(), "--quantize", "static", "--calib",
                data.toString(), "--data", data.toString(), "--min-sqnr", "15", "--min-cosine", "0.99", "--batch",
                "1", "--runs", "3", "--time", "0");
        assertEquals(ExitCode.OK, code, cli.stdout() + cli.stderr());
        assertTrue(cli.stdout().contains("gate       pass min_sqnr[softmax_0.tmp_0]"), cli.stdout());
        assertTrue(cli.stdout().contains("com.microsoft.QLinearConv x53"), cli.stdout());
    }

    @Test
    void dynamicInt8ReachesLstmsInsideIfSubgraphsAndSaysWhatStaysFloat() throws Exception {
        Path out = dir.resolve("vad.int8.onnx");
        assertEquals(ExitCode.OK, cli.run("compress", VAD, "-o", out.toString(), "--quantize", "dynamic"),
                cli.stderr());
        assertTrue(cli.stderr().contains("warning: quantize-dynamic left 36 weighted nodes in float: 36 Conv"),
                cli.stderr());
        assertTrue(Files.size(out) < 0.65 * Files.size(Path.of(VAD)), "8 LSTMs of int8 weights");

        assertEquals(ExitCode.GATE_FAILED, cli.run("compress", VAD, "-o", dir.resolve("strict.onnx").toString(),
                "--quantize", "dynamic", "--fail-on-warning"), "--fail-on-warning makes the warning fail the run");
    }

    @Test
    void pruningReachesTheConstantWeightsInsideNestedIfBranches() throws Exception {
        Path report = dir.resolve("report.json");
        assertEquals(ExitCode.OK, cli.run("compress", VAD_V5, "-o", dir.resolve("v5.onnx").toString(), "--prune",
                "magnitude:0.3", "--report", report.toString(), "--shape", "input=1x512", "--shape", "state=2x1x128",
                "--value", "sr=16000", "--batch", "1", "--runs", "3", "--time", "0"), cli.stderr());
        JsonNode prune = Json.mapper().readTree(Files.readString(report)).get("steps").get(1);
        assertTrue(prune.get("changed").get("layers").size() >= 12, prune.toString());
    }

    @Test
    void aDetectorWithoutClassesIsTimedOnTheShapeGivenAndGatedBySimilarity() throws Exception {
        assertEquals(ExitCode.BAD_INPUT, cli.run("bench", DET, "--batch", "1", "--runs", "2", "--time", "0"));
        assertTrue(cli.stderr().contains("give its shape with --shape x="), cli.stderr());
        assertEquals(ExitCode.OK, cli.run("bench", DET, "--shape", "x=1x3x64x64", "--runs", "2", "--time", "0"),
                cli.stderr());
        assertTrue(cli.stdout().contains("cpu        1"), cli.stdout());
    }

    @Test
    void aRunThatFailsAfterWritingLeavesNoOutput() throws Exception {
        Path wrongShape = images(4, 48, 192);
        Path out = dir.resolve("never.onnx");
        ExitCode code = cli.run("compress", DET, "-o", out.toString(), "--prune", "l1:0.3", "--data",
                dir.resolve("missing.npz").toString());
        assertEquals(ExitCode.BAD_INPUT, code);
        assertFalse(Files.exists(out), "a failed run leaves no output behind");
        assertTrue(wrongShape.toFile().exists());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(wrongShape), files.toList());
        }
    }
}
