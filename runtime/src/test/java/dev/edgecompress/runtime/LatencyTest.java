package dev.edgecompress.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.ir.Tensor;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class LatencyTest {

    @Test
    void percentilesInterpolateBetweenRanks() {
        Latency.Stats stats = Latency.Stats.of(new long[] {5_000_000, 1_000_000, 3_000_000, 2_000_000, 4_000_000});
        assertEquals(5, stats.runs());
        assertEquals(3.0, stats.medianMs(), 1e-12);
        assertEquals(4.6, stats.p90Ms(), 1e-12);
        assertEquals(3.0, stats.meanMs(), 1e-12);
        assertEquals(1.0, stats.minMs(), 1e-12);
    }

    @Test
    void theMediansIntervalCoversTheTrueMedianAtLeast95TimesIn100() {
        java.util.Random random = new java.util.Random(8);
        int covered = 0;
        int trials = 2000;
        for (int trial = 0; trial < trials; trial++) {
            long[] nanos = new long[200];
            for (int i = 0; i < nanos.length; i++) {
                nanos[i] = (long) (1_000_000 * (1 + random.nextExponential())); // skewed, as latencies are
            }
            Latency.Stats stats = Latency.Stats.of(nanos);
            double trueMedianMs = 1 + Math.log(2);
            covered += stats.medianLowMs() <= trueMedianMs && trueMedianMs <= stats.medianHighMs() ? 1 : 0;
            assertTrue(stats.medianLowMs() <= stats.medianMs() && stats.medianMs() <= stats.medianHighMs());
        }
        assertTrue(covered >= 0.95 * trials, covered + " of " + trials);
        assertTrue(covered <= 0.99 * trials, "not wider than it needs to be: " + covered + " of " + trials);
    }

    @Test
    void keepsTimingForTheMinimumTime() {
        try (InferenceSession a = InferenceSession.open(TinyModels.relu(-1, 16), SessionConfig.defaults())) {
            Map<String, Tensor> feeds = SyntheticInputs.of(a.inputs(), 1, 1);
            long start = System.nanoTime();
            Latency.Stats stats = Latency.measure(List.of(a), List.of(feeds), new Latency.Plan(0, 5, 0.3, 10),
                    Progress.NONE).get(0);
            assertTrue(System.nanoTime() - start >= 300_000_000L);
            assertTrue(stats.runs() > 5, "a microsecond model runs far more than 5 times in 0.3 s: " + stats.runs());
        }
    }

    @Test
    void timesEverySessionTheSameNumberOfRuns() {
        try (InferenceSession a = InferenceSession.open(TinyModels.relu(-1, 16), SessionConfig.defaults());
                InferenceSession b = InferenceSession.open(TinyModels.relu(4, 16), SessionConfig.defaults())) {
            Map<String, Tensor> feeds = SyntheticInputs.of(a.inputs(), 4, 1);
            List<Latency.Stats> stats = Latency.measure(List.of(a, b), List.of(feeds, feeds),
                    new Latency.Plan(2, 12, 0, 10), Progress.NONE);
            assertEquals(2, stats.size());
            for (Latency.Stats s : stats) {
                assertEquals(12, s.runs(), "with no minimum time, exactly the runs asked for");
                assertTrue(s.minMs() > 0 && s.minMs() <= s.medianMs() && s.medianMs() <= s.p90Ms());
            }
        }
    }

    @Test
    void aSpeedupPairsTheRunsOfEachRoundSoThatLoadOnTheMachineCancels() {
        // The machine slows down and recovers (another process); the candidate always takes 0.8 of the
        // reference's time in the same round; pools of 3 and 2 sessions.
        int rounds = 400;
        long[] reference = new long[rounds * 3];
        long[] candidate = new long[rounds * 2];
        java.util.Random random = new java.util.Random(3);
        for (int r = 0; r < rounds; r++) {
            double load = 1 + 3 * Math.abs(Math.sin(r / 40.0));
            for (int k = 0; k < 3; k++) {
                reference[r * 3 + k] = Math.round(1_000_000 * load * (1 + 0.01 * random.nextGaussian()));
            }
            for (int k = 0; k < 2; k++) {
                candidate[r * 2 + k] = Math.round(800_000 * load * (1 + 0.01 * random.nextGaussian()));
            }
        }
        Latency.Timings timings = new Latency.Timings(List.of(reference, candidate), List.of(3, 2));
        Latency.Speedup speedup = timings.speedup(0, 1);
        assertEquals(rounds, speedup.rounds());
        assertEquals(1.25, speedup.median(), 0.005);
        assertTrue(speedup.low() <= 1.25 && 1.25 <= speedup.high(), speedup.toString());
        assertTrue(speedup.relativeWidth() < 0.01, "load cancels round by round: " + speedup);
        Latency.Stats r = timings.stats(0);
        Latency.Stats c = timings.stats(1);
        assertTrue(r.relativeWidth() > 5 * speedup.relativeWidth() && c.relativeWidth() > 5 * speedup.relativeWidth(),
                "each median alone is far less certain: " + r + " " + c + " " + speedup);
    }

    @Test
    void blocksOfTheSamePoolsAppendRoundAfterRound() {
        Latency.Timings first = new Latency.Timings(List.of(new long[] {4, 4}, new long[] {2}), List.of(2, 1));
        Latency.Timings second = new Latency.Timings(List.of(new long[] {6, 6, 9, 9}, new long[] {2, 3}),
                List.of(2, 1));
        Latency.Timings all = first.append(second);
        assertEquals(3, all.rounds());
        assertEquals(3.0, all.speedup(0, 1).median(), 1e-12, "ratios 2, 3 and 3");
        assertEquals(1.0, all.speedup(0, 0).median(), 1e-12);
        org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> first.append(new Latency.Timings(List.of(new long[] {1}, new long[] {1}), List.of(1, 1))));
    }

    @Test
    void sideBySideTimingStopsWhenTheSpeedupIsKnown() {
        try (InferenceSession a = InferenceSession.open(TinyModels.relu(-1, 16), SessionConfig.defaults().withoutSpinning());
                InferenceSession b = InferenceSession.open(TinyModels.relu(-1, 16),
                        SessionConfig.defaults().withoutSpinning())) {
            Map<String, Tensor> feeds = SyntheticInputs.of(a.inputs(), 1, 1);
            Latency.Timings timings = Latency.timePools(List.of(List.of(a), List.of(b)), List.of(feeds, feeds),
                    new Latency.Plan(10, 100, 0.2, 10), Progress.NONE);
            Latency.Speedup speedup = timings.speedup(0, 1);
            assertEquals(timings.stats(0).runs(), speedup.rounds());
            assertTrue(speedup.relativeWidth() <= Latency.TARGET_WIDTH, speedup.toString());
            assertEquals(1.0, speedup.median(), 0.05, "one model against itself");
        }
    }
}
