package dev.edgecompress.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgecompress.ir.testing.TestModels;
import dev.edgecompress.runtime.ExecutionProvider;
import dev.edgecompress.runtime.InferenceSession;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ValidateAndBenchTest {

    private static final String MLP = TestModels.model("mlp.onnx").toString();
    private static final String LENET = TestModels.model("lenet5_bn.onnx").toString();
    private static final String DATA = TestModels.model("fashion_mnist_test_2k.npz").toString();
    private static final String[] QUICK = {"--runs", "5", "--time", "0", "--warmup", "1", "--batch", "1,8"};

    @TempDir
    Path dir;

    private final CliRun cli = new CliRun();

    private ExitCode run(String... args) {
        return cli.run(args);
    }

    /** The command, then quick latency settings, then {@code rest}. */
    private static String[] quick(String command, String... rest) {
        String[] all = new String[1 + QUICK.length + rest.length];
        all[0] = command;
        System.arraycopy(QUICK, 0, all, 1, QUICK.length);
        System.arraycopy(rest, 0, all, 1 + QUICK.length, rest.length);
        return all;
    }

    private String stderr() {
        return cli.stderr();
    }

    @Test
    void passingGatesExitZeroAndWriteEveryReport() throws Exception {
        Path json = dir.resolve("report.json");
        Path md = dir.resolve("report.md");
        Path xml = dir.resolve("gates.xml");
        ExitCode code = run(quick("validate", "--reference", MLP, "--candidate",
                TestModels.model("mlp_unfolded_op13.onnx").toString(), "--data", DATA, "--max-accuracy-drop", "0.5",
                "--min-agreement", "0.999", "--max-size-ratio", "1.01", "--report", json.toString(),
                "--markdown", md.toString(), "--junit", xml.toString()));

        assertEquals(ExitCode.OK, code, stderr());
        String text = cli.stdout();
        assertTrue(text.contains("top-1 accuracy 89.20%"), text);
        assertTrue(text.contains("result     passed"), text);
        JsonNode report = Json.mapper().readTree(Files.readString(json));
        assertTrue(report.get("passed").asBoolean());
        assertEquals(3, report.get("gates").size());
        assertEquals(2, report.get("latency").size());
        assertTrue(Files.readString(md).startsWith("# Validation: passed"));
        assertTrue(Files.readString(xml).contains("tests=\"3\" failures=\"0\""));
    }

    @Test
    void aFailedGateExitsOneAndStillWritesTheReport() throws Exception {
        Path json = dir.resolve("report.json");
        ExitCode code = run(quick("validate", "--reference", MLP, "--candidate", LENET, "--data", DATA,
                "--max-size", "100KB", "--report", json.toString()));

        assertEquals(ExitCode.GATE_FAILED, code, stderr());
        assertTrue(cli.stdout().contains("gate       FAIL max_size"));
        JsonNode gate = Json.mapper().readTree(Files.readString(json)).get("gates").get(0);
        assertFalse(gate.get("passed").asBoolean());
        assertEquals(100_000, gate.get("limit").asDouble());
        assertEquals(248439, gate.get("value").asDouble());
    }

    @Test
    void accuracyGatesNeedData() {
        assertEquals(ExitCode.BAD_INPUT, run("validate", "--reference", MLP, "--candidate", MLP,
                "--max-accuracy-drop", "1"));
        assertTrue(stderr().contains("--max-accuracy-drop needs --data"), stderr());
    }

    @Test
    void badDataIsOneLineNamingTheFile() throws Exception {
        Path data = Files.writeString(dir.resolve("broken.npz"), "not an archive");
        assertEquals(ExitCode.BAD_INPUT, run("validate", "--reference", MLP, "--candidate", MLP, "--data",
                data.toString()));
        assertEquals(1, stderr().lines().count(), stderr());
        assertTrue(stderr().contains(data + ": not an .npz (zip) archive"), stderr());
    }

    @Test
    void aModelFileGivenAsDataIsRefused() {
        assertEquals(ExitCode.BAD_INPUT, run("validate", "--reference", MLP, "--candidate", MLP, "--data",
                TestModels.model("mlp.onnx").toString()));
        assertTrue(stderr().contains("not an .npz"), stderr());
    }

    @Test
    void cudaWithoutTheGpuBuildIsABadUsageWithTheReason() {
        assumeTrue(!InferenceSession.isBuiltWith(ExecutionProvider.CUDA),
                "checks the CPU build's message; the onnxruntime_gpu build has the provider");
        assertEquals(ExitCode.BAD_INPUT, run("bench", MLP, "--ep", "cuda"));
        assertTrue(stderr().contains("--ep cuda: the CUDA execution provider is not in this ONNX Runtime build"),
                stderr());
        assertEquals(1, stderr().lines().count());
    }

    @Test
    void unknownExecutionProvider() {
        assertEquals(ExitCode.BAD_INPUT, run("bench", MLP, "--ep", "tpu"));
        assertTrue(stderr().contains("unknown execution provider 'tpu'"), stderr());
    }

    @Test
    void benchPrintsLatencyPerBatchSize() throws Exception {
        assertEquals(ExitCode.OK, run(quick("bench", LENET, "--json")), stderr());
        JsonNode rows = Json.mapper().readTree(cli.stdout()).get("latency");
        assertEquals(2, rows.size());
        assertEquals(8, rows.get(1).get("batch").asInt());
        assertTrue(rows.get(1).get("ms_p50").asDouble() > 0);
        assertEquals(5, rows.get(0).get("runs").asInt());
    }
}
