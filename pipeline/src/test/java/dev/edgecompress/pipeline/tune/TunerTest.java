package dev.edgecompress.pipeline.tune;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.exporter.validation.Gate;
import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.testing.TestModels;
import dev.edgecompress.pipeline.CompressionJob;
import dev.edgecompress.pipeline.Recipe;
import dev.edgecompress.runtime.Latency;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The search: the best passing model by the objective, its recipe, the budget, and nothing left behind. */
class TunerTest {

    private static final Path MLP = TestModels.model("mlp.onnx");
    private static final Path HELD_OUT = TestModels.model("fashion_mnist_calib_512.npz");

    @TempDir
    Path dir;

    @Test
    void writesTheSmallestPassingModelWithARecipeThatReproducesIt() throws Exception {
        Path out = dir.resolve("mlp.small.onnx");
        List<Trial> seen = new ArrayList<>();
        Tuner.Result result = Tuner.of(MLP, out).evaluationData(HELD_OUT)
                .gates(List.of(new Gate(Gate.Kind.MAX_ACCURACY_DROP, 1.0))).budget(Duration.ofSeconds(60))
                .onTrial(seen::add).run();

        Trial winner = result.winner();
        assertNotNull(winner);
        assertEquals(result.trials(), seen, "one callback per trial, in order");
        assertTrue(winner.passed() && winner.accuracyDrop() <= 1.0, winner.toString());
        assertEquals(Files.size(out), winner.bytes());
        for (Trial trial : result.trials()) {
            assertTrue(!trial.passed() || trial.gzipBytes() >= winner.gzipBytes(), trial + " beats " + winner);
        }
        assertTrue(result.trials().stream().map(Trial::stage).toList().containsAll(List.of("quantize", "prune",
                "low-rank")), "every stage ran within the budget");
        assertFalse(result.trials().stream().anyMatch(t -> t.describe().contains("per_channel")),
                "weights per tensor save no size; only tried for latency");
        assertTrue(result.paretoFront().contains(winner));
        for (Trial a : result.paretoFront()) {
            for (Trial b : result.trials()) {
                assertFalse(b.measured() && b.gzipBytes() < a.gzipBytes() && b.accuracy() > a.accuracy(),
                        a + " is dominated by " + b);
            }
        }
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("mlp.small.onnx", "mlp.small.recipe.json"), files.map(p -> p.getFileName().toString())
                    .sorted().toList(), "the trials' files are gone");
        }

        Recipe recipe = Recipe.read(result.recipe());
        assertEquals(List.of(new Gate(Gate.Kind.MAX_ACCURACY_DROP, 1.0)), recipe.gates());
        Path again = dir.resolve("again.onnx");
        CompressionJob.Result reproduced = CompressionJob.of(MLP, again, recipe).evaluationData(HELD_OUT)
                .validation(v -> v.withoutLatency()).run();
        assertEquals(winner.bytes(), Files.size(again));
        assertEquals(winner.accuracy(), reproduced.report().candidate().accuracy(), 1e-9);
        assertTrue(reproduced.report().passed());
    }

    @Test
    void withNoPassingTrialNothingIsWrittenAndTheClosestIsNamed() throws Exception {
        Path out = dir.resolve("never.onnx");
        Tuner.Result result = Tuner.of(MLP, out).evaluationData(HELD_OUT)
                .gates(List.of(new Gate(Gate.Kind.MAX_ACCURACY_DROP, 1.0), new Gate(Gate.Kind.MAX_SIZE, 10_000)))
                .budget(Duration.ofSeconds(20)).run();

        assertNull(result.winner());
        assertNull(result.recipe());
        Trial closest = result.closest();
        assertNotNull(closest);
        assertTrue(result.trials().stream().filter(Trial::measured).allMatch(t -> t.miss() >= closest.miss()));
        assertFalse(closest.failedGates().isEmpty());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(0, files.count(), "nothing written");
        }
    }

    @Test
    void theBudgetEndsTheSearchAfterTheFirstTrial() throws Exception {
        Tuner.Result result = Tuner.of(MLP, dir.resolve("quick.onnx")).evaluationData(HELD_OUT)
                .gates(List.of(new Gate(Gate.Kind.MAX_ACCURACY_DROP, 1.0))).budget(Duration.ofMillis(1)).run();
        assertEquals(1, result.trials().size(), "the first trial always runs; none after the budget");
        assertTrue(result.budgetSpent());
        assertNotNull(result.winner());
    }

    @Test
    void forLatencyTheFastestPassingTrialWinsAndOnlyPassingTrialsAreTimed() throws Exception {
        Tuner.Result result = Tuner.of(MLP, dir.resolve("fast.onnx")).evaluationData(HELD_OUT)
                .gates(List.of(new Gate(Gate.Kind.MAX_ACCURACY_DROP, 1.0))).objective(Objective.LATENCY)
                .budget(Duration.ofSeconds(60)).jobs(2)
                .latency(v -> v.latency(new Latency.Plan(1, 5, 0, 0.1)).latencyBatches(List.of(64))).run();

        Trial winner = result.winner();
        assertNotNull(winner);
        for (Trial trial : result.trials()) {
            assertEquals(trial.passed(), trial.speedup() != null, "timed exactly when passing: " + trial);
            assertTrue(!trial.passed() || trial.speedup() <= winner.speedup(), trial + " is faster than " + winner);
        }
        assertTrue(result.trials().stream().anyMatch(t -> t.stage().equals("channels")), "channel pruning searched");
        assertFalse(result.trials().stream().anyMatch(t -> t.stage().equals("low-rank")), "low-rank is for size");
        for (String weights : List.of("per_channel=auto", "per_channel=false")) {
            assertTrue(result.trials().stream().anyMatch(t -> t.stage().equals("quantize")
                    && t.describe().equals("quantize mode=static calibration=minmax " + weights)),
                    "int8 with weights per tensor (" + weights + ") tried for latency: " + result.trials());
        }
    }

    @Test
    void settingsAreCheckedBeforeAnyWork() {
        assertEquals("data", org.junit.jupiter.api.Assertions.assertThrows(SettingException.class,
                () -> Tuner.of(MLP, dir.resolve("x.onnx")).run()).field());
        assertEquals("output", org.junit.jupiter.api.Assertions.assertThrows(SettingException.class,
                () -> Tuner.of(MLP, MLP).evaluationData(HELD_OUT).run()).field());
        assertEquals("budget", org.junit.jupiter.api.Assertions.assertThrows(SettingException.class,
                () -> Tuner.of(MLP, dir.resolve("x.onnx")).budget(Duration.ZERO)).field());
        assertEquals("objective", org.junit.jupiter.api.Assertions.assertThrows(SettingException.class,
                () -> Objective.parse("speed")).field());
    }
}
