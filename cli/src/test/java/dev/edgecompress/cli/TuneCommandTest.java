package dev.edgecompress.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgecompress.ir.testing.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code tune}: a line per trial, the winner and its recipe, a report, and exit codes CI can act on. */
class TuneCommandTest {

    @TempDir
    Path dir;

    private final CliRun cli = new CliRun();

    @Test
    void writesTheWinnerItsRecipeAndAReportThatCompressReproduces() throws Exception {
        Path out = dir.resolve("mlp.small.onnx");
        Path report = dir.resolve("tune.json");
        assertEquals(ExitCode.OK, cli.run("tune", TestModels.model("mlp.onnx").toString(), "-o", out.toString(),
                "--data", TestModels.model("fashion_mnist_calib_512.npz").toString(), "--max-accuracy-drop", "1",
                "--budget", "60", "--report", report.toString()));

        String text = cli.stdout();
        assertTrue(text.startsWith("trial   1  quantize  quantize mode=dynamic: "), text);
        assertTrue(text.contains("\nwrote      " + out), text);
        JsonNode json = Json.mapper().readTree(report.toFile());
        int trials = json.get("trials").size();
        assertEquals(trials, text.lines().filter(l -> l.startsWith("trial ")).count());
        int winner = json.get("winner").asInt();
        JsonNode best = json.get("trials").get(winner - 1);
        assertTrue(best.get("passed").asBoolean());
        assertEquals(Files.size(out), best.get("bytes").asLong());
        assertTrue(json.get("pareto_front").size() >= 1);
        assertEquals("size", json.get("objective").asText());

        Path recipe = dir.resolve("mlp.small.recipe.json");
        assertEquals(recipe.toString(), json.get("recipe").asText());
        Path again = dir.resolve("again.onnx");
        assertEquals(ExitCode.OK, cli.run("compress", TestModels.model("mlp.onnx").toString(), "-o", again.toString(),
                "--recipe", recipe.toString(), "--data", TestModels.model("fashion_mnist_calib_512.npz").toString()));
        assertEquals(Files.size(out), Files.size(again), "compress --recipe reproduces the winner");
    }

    @Test
    void noPassingTrialExitsOneNamingTheClosest() {
        Path out = dir.resolve("never.onnx");
        assertEquals(ExitCode.GATE_FAILED, cli.run("tune", TestModels.model("mlp.onnx").toString(), "-o",
                out.toString(), "--data", TestModels.model("fashion_mnist_calib_512.npz").toString(), "--max-size",
                "10KB", "--budget", "5"));
        assertTrue(cli.stderr().startsWith("edgecompress: no trial passed the gates; the closest was #"),
                cli.stderr());
        assertFalse(Files.exists(out));
    }

    @Test
    void badUsageIsOneLineAndExitTwo() {
        String model = TestModels.model("mlp.onnx").toString();
        String data = TestModels.model("fashion_mnist_calib_512.npz").toString();
        assertEquals(ExitCode.BAD_INPUT, cli.run("tune", model, "-o", dir.resolve("a.onnx").toString(),
                "--max-accuracy-drop", "1"));
        assertTrue(cli.stderr().contains("--data is required"), cli.stderr());
        assertEquals(ExitCode.BAD_INPUT, cli.run("tune", model, "-o", dir.resolve("a.onnx").toString(), "--data", data));
        assertTrue(cli.stderr().contains("give at least one gate"), cli.stderr());
        assertEquals(ExitCode.BAD_INPUT, cli.run("tune", model, "-o", dir.resolve("a.onnx").toString(), "--data", data,
                "--max-size", "1MB", "--objective", "speed"));
        assertTrue(cli.stderr().contains("objective: must be size or latency"), cli.stderr());
        assertEquals(ExitCode.BAD_INPUT, cli.run("tune", model, "-o", dir.resolve("a.onnx").toString(), "--data", data,
                "--max-size", "1MB", "--spark", "local[2]"));
        assertTrue(cli.stderr().contains("--spark needs the edgecompress-spark module"), cli.stderr());
        assertEquals(1, cli.stderr().lines().count(), cli.stderr());
    }
}
