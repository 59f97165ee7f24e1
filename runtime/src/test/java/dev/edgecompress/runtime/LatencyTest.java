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
}
