package dev.edgecompress.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.cli.ExitCode;
import dev.edgecompress.cli.Main;
import dev.edgecompress.exporter.validation.Gate;
import dev.edgecompress.ir.testing.TestModels;
import dev.edgecompress.pipeline.tune.Trial;
import dev.edgecompress.pipeline.tune.Tuner;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Trials on Spark (local[2], embedded) give what the local pool gives, and the command line finds Spark. */
class SparkTrialRunnerTest {

    private static final Path MLP = TestModels.model("mlp.onnx");
    private static final Path HELD_OUT = TestModels.model("fashion_mnist_calib_512.npz");

    @TempDir
    Path dir;

    /** A trial without its timing, which differs from run to run. */
    private record Outcome(int number, String stage, Object steps, Long bytes, Long gzipBytes, Double accuracy,
            boolean passed) {
        static Outcome of(Trial t) {
            return new Outcome(t.number(), t.stage(), t.steps(), t.bytes(), t.gzipBytes(), t.accuracy(), t.passed());
        }
    }

    private Tuner tuner(String name) {
        return Tuner.of(MLP, dir.resolve(name)).evaluationData(HELD_OUT)
                .gates(List.of(new Gate(Gate.Kind.MAX_ACCURACY_DROP, 1.0))).budget(Duration.ofSeconds(600)).jobs(2);
    }

    @Test
    void sparkTrialsAreTheLocalPoolsTrials() throws Exception {
        Tuner.Result local = tuner("local.onnx").run();
        Tuner.Result spark;
        try (SparkTrialRunner runner = new SparkTrialRunner("local[2]")) {
            spark = tuner("spark.onnx").runner(runner).run();
        }

        assertEquals(local.trials().stream().map(Outcome::of).toList(),
                spark.trials().stream().map(Outcome::of).toList());
        assertEquals(local.winner().number(), spark.winner().number());
        assertTrue(java.util.Arrays.equals(Files.readAllBytes(dir.resolve("local.onnx")),
                Files.readAllBytes(dir.resolve("spark.onnx"))), "the same winner, byte for byte");
        System.out.printf("tune on the MLP, 2 trials at a time: %d trials; local pool %.1f s, Spark local[2] %.1f s%n",
                local.trials().size(), local.seconds(), spark.seconds());
    }

    @Test
    void theCommandLineFindsSparkOnTheClassPath() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ExitCode code = Main.run(new String[] {"tune", MLP.toString(), "-o", dir.resolve("cli.onnx").toString(),
            "--data", HELD_OUT.toString(), "--max-accuracy-drop", "1", "--budget", "20", "--spark", "local[2]",
            "--jobs", "2"}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String printed = out.toString(StandardCharsets.UTF_8);
        assertEquals(ExitCode.OK, code, printed + err.toString(StandardCharsets.UTF_8));
        assertTrue(printed.contains("wrote      " + dir.resolve("cli.onnx")), printed);
    }
}
