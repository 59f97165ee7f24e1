package dev.edgecompress.spark;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.cli.ExitCode;
import dev.edgecompress.cli.Main;
import dev.edgecompress.exporter.validation.Gate;
import dev.edgecompress.exporter.validation.OutputMetrics;
import dev.edgecompress.exporter.validation.ValidationReport;
import dev.edgecompress.ir.testing.TestModels;
import dev.edgecompress.pipeline.Cluster;
import dev.edgecompress.pipeline.CompressionJob;
import dev.edgecompress.pipeline.Recipe;
import dev.edgecompress.pipeline.StepParser;
import dev.edgecompress.pipeline.tune.Trial;
import dev.edgecompress.pipeline.tune.Tuner;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Spark (local[2], embedded) gives what this process gives: the same trials, and calibration and
 * evaluation over the data split across executors that merge to the same numbers, bit for bit.
 */
class SparkClusterTest {

    private static final Path MLP = TestModels.model("mlp.onnx");
    private static final Path CALIBRATION = TestModels.model("fashion_mnist_calib_512.npz");
    private static final Path TEST = TestModels.model("fashion_mnist_test_2k.npz");

    @TempDir
    Path dir;

    /** A trial without its timing, which differs from run to run. */
    private record Outcome(int number, String stage, Object steps, Long bytes, Long gzipBytes, Double accuracy,
            boolean passed) {
        static Outcome of(Trial t) {
            return new Outcome(t.number(), t.stage(), t.steps(), t.bytes(), t.gzipBytes(), t.accuracy(), t.passed());
        }
    }

    /** What an evaluation measured, without its timing. */
    private record Measured(long samples, double agreement, double maxAbsError, double meanAbsError, Double sqnrDb,
            Map<String, OutputMetrics.Output> outputs, Double referenceAccuracy, Double candidateAccuracy) {
        static Measured of(ValidationReport report) {
            OutputMetrics m = report.metrics();
            return new Measured(m.samples(), m.agreement(), m.maxAbsError(), m.meanAbsError(), m.sqnrDb(),
                    m.outputs(), report.reference().accuracy(), report.candidate().accuracy());
        }
    }

    private Tuner tuner(String name) {
        return Tuner.of(MLP, dir.resolve(name)).evaluationData(CALIBRATION)
                .gates(List.of(new Gate(Gate.Kind.MAX_ACCURACY_DROP, 1.0))).budget(Duration.ofSeconds(600)).jobs(2);
    }

    @Test
    void sparkTrialsAreTheLocalPoolsTrials() throws Exception {
        Tuner.Result local = tuner("local.onnx").run();
        Tuner.Result spark;
        try (Cluster cluster = new SparkCluster("local[2]")) {
            spark = tuner("spark.onnx").runner(cluster.trials()).run();
        }

        assertEquals(local.trials().stream().map(Outcome::of).toList(),
                spark.trials().stream().map(Outcome::of).toList());
        assertEquals(local.winner().number(), spark.winner().number());
        assertArrayEquals(Files.readAllBytes(dir.resolve("local.onnx")), Files.readAllBytes(dir.resolve("spark.onnx")),
                "the same winner, byte for byte");
        System.out.printf("tune on the MLP, 2 trials at a time: %d trials; local pool %.1f s, Spark local[2] %.1f s%n",
                local.trials().size(), local.seconds(), spark.seconds());
    }

    /**
     * Static int8 with percentile calibration (both passes: ranges, then histograms over them), 512
     * calibration samples in 8 batches of 64 split over two executors; validation on 2,000 samples
     * in batches of 64, the last one short.
     */
    private CompressionJob.Result quantize(String name, Cluster cluster) throws Exception {
        CompressionJob job = CompressionJob.of(MLP, dir.resolve(name), new Recipe(List.of(StepParser.parse("quantize",
                        Map.of("mode", "static", "calibration", "percentile", "percentile", 99.99))), List.of()))
                .calibrationData(CALIBRATION).evaluationData(TEST)
                .gates(List.of(new Gate(Gate.Kind.MAX_ACCURACY_DROP, 5.0))).validation(v -> v.withoutLatency());
        return cluster == null ? job.run() : job.cluster(cluster).run();
    }

    @Test
    void calibrationAndEvaluationSplitOverExecutorsGiveTheNumbersOfOneProcess() throws Exception {
        CompressionJob.Result local = quantize("local.onnx", null);
        CompressionJob.Result spark;
        try (Cluster cluster = new SparkCluster("local[2]")) {
            spark = quantize("spark.onnx", cluster);
        }

        assertArrayEquals(Files.readAllBytes(dir.resolve("local.onnx")), Files.readAllBytes(dir.resolve("spark.onnx")),
                "the same activation ranges, so the same model byte for byte");
        assertEquals(Measured.of(local.report()), Measured.of(spark.report()));
        assertEquals(2000, spark.report().metrics().samples());
        assertTrue(spark.report().metrics().sqnrDb() < 1000, "the int8 model differs from the float one");
    }

    private static String run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        ExitCode code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
        String printed = out.toString(StandardCharsets.UTF_8);
        assertEquals(ExitCode.OK, code, printed + err.toString(StandardCharsets.UTF_8));
        return printed;
    }

    @Test
    void theCommandLineFindsSparkOnTheClassPath() throws Exception {
        String tuned = run("tune", MLP.toString(), "-o", dir.resolve("cli.onnx").toString(),
                "--data", CALIBRATION.toString(), "--max-accuracy-drop", "1", "--budget", "20", "--spark", "local[2]",
                "--jobs", "2");
        assertTrue(tuned.contains("wrote      " + dir.resolve("cli.onnx")), tuned);

        String[] validate = {"validate", "--reference", MLP.toString(), "--candidate", dir.resolve("cli.onnx").toString(),
            "--data", TEST.toString(), "--batch", "1", "--runs", "3", "--warmup", "1"};
        String here = run(validate);
        String[] onSpark = java.util.Arrays.copyOf(validate, validate.length + 2);
        onSpark[validate.length] = "--spark";
        onSpark[validate.length + 1] = "local[2]";
        String spark = run(onSpark);
        assertEquals(accuracyLines(here), accuracyLines(spark));
    }

    /** The printed lines of accuracy and output differences, not of timing. */
    private static List<String> accuracyLines(String printed) {
        List<String> lines = printed.lines().filter(l -> l.startsWith("reference") || l.startsWith("candidate")
                || l.startsWith("output")).map(l -> l.replaceAll(" \\([^)]*inside ONNX Runtime\\)", "")).toList();
        assertTrue(lines.size() >= 3, printed);
        return lines;
    }
}
