package dev.edgecompress.runtime;

import dev.edgecompress.ir.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Latency of models measured side by side: after a warm-up, the models run in turn, run after run,
 * with the order rotating each round, so that whatever else the machine is doing falls on all of
 * them alike. A run's time is the time inside ONNX Runtime's {@code run}. Measuring for a fixed
 * time rather than a fixed number of runs keeps the median of a 40-microsecond model as stable as
 * that of a 40-millisecond one.
 */
public final class Latency {

    /** The most timed rounds one measurement keeps (bounds memory for very fast models). */
    static final int MAX_ROUNDS = 1 << 20;

    /**
     * How long to measure. Timing goes on until both {@code runs} timed rounds and
     * {@code minSeconds} have passed, so fast models get many samples and a stable median, and
     * stops at {@code maxSeconds} (after at least 5 rounds) so slow ones cannot run away.
     *
     * @param warmup untimed rounds first (and at least a quarter of {@code minSeconds})
     * @param runs the fewest timed rounds
     * @param minSeconds the least time to keep timing
     * @param maxSeconds the most time to keep timing
     */
    public record Plan(int warmup, int runs, double minSeconds, double maxSeconds) {
        public Plan {
            if (warmup < 0 || runs < 1 || minSeconds < 0 || maxSeconds <= 0 || minSeconds > maxSeconds) {
                throw new IllegalArgumentException("warm-up >= 0, runs >= 1 and 0 <= minSeconds <= maxSeconds needed");
            }
        }

        /** 10 warm-up rounds, then at least 100 timed rounds and 1 second, at most 20 seconds. */
        public static Plan defaults() {
            return new Plan(10, 100, 1.0, 20);
        }
    }

    /** Statistics of one model's timed runs, in milliseconds. */
    public record Stats(int runs, double medianMs, double p90Ms, double meanMs, double minMs) {

        static Stats of(long[] nanos) {
            long[] sorted = nanos.clone();
            Arrays.sort(sorted);
            return new Stats(sorted.length, percentile(sorted, 0.5) / 1e6, percentile(sorted, 0.9) / 1e6,
                    Arrays.stream(sorted).average().orElse(Double.NaN) / 1e6, sorted[0] / 1e6);
        }

        /** Linear interpolation between closest ranks. */
        private static double percentile(long[] sorted, double q) {
            double rank = q * (sorted.length - 1);
            int low = (int) Math.floor(rank);
            int high = (int) Math.ceil(rank);
            return sorted[low] + (rank - low) * (sorted[high] - sorted[low]);
        }
    }

    private Latency() {
    }

    /** Times each session on its feeds; returns one {@link Stats} per session, in order. */
    public static List<Stats> measure(List<InferenceSession> sessions, List<Map<String, Tensor>> feeds, Plan plan,
            Progress progress) {
        int n = sessions.size();
        long warmupEnd = System.nanoTime() + (long) (plan.minSeconds() / 4 * 1e9);
        for (int i = 0; i < plan.warmup() || System.nanoTime() < warmupEnd; i++) {
            for (int s = 0; s < n; s++) {
                sessions.get(s).run(feeds.get(s));
            }
        }
        long[][] times = new long[n][Math.max(plan.runs(), 1024)];
        long start = System.nanoTime();
        long minEnd = start + (long) (plan.minSeconds() * 1e9);
        long maxEnd = start + (long) (plan.maxSeconds() * 1e9);
        int done = 0;
        while (true) {
            long now = System.nanoTime();
            boolean enough = done >= plan.runs() && now >= minEnd;
            boolean outOfTime = done >= 5 && now >= maxEnd;
            if (enough || outOfTime || done == MAX_ROUNDS) {
                break;
            }
            if (done == times[0].length) {
                for (int s = 0; s < n; s++) {
                    times[s] = Arrays.copyOf(times[s], done * 2);
                }
            }
            for (int k = 0; k < n; k++) {
                int s = (k + done) % n;
                InferenceSession session = sessions.get(s);
                long before = session.runNanos();
                session.run(feeds.get(s));
                times[s][done] = session.runNanos() - before;
            }
            done++;
            progress.update("timing", Math.min(done, plan.runs()), plan.runs());
        }
        List<Stats> stats = new ArrayList<>();
        for (long[] t : times) {
            stats.add(Stats.of(Arrays.copyOf(t, done)));
        }
        return stats;
    }
}
