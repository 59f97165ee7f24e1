package dev.edgecompress.runtime;

import dev.edgecompress.ir.Tensor;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Latency of models measured side by side: after a warm-up, the models run in turn, run after run,
 * with the order rotating each round, so that whatever else the machine is doing falls on all of
 * them alike. A run's time is the time inside ONNX Runtime's {@code run}.
 */
public final class Latency {

    /**
     * @param warmup untimed runs of each model first
     * @param runs timed runs of each model
     * @param maxSeconds stop after this long (with at least 5 timed runs), so a slow model cannot
     *     make a measurement run away
     */
    public record Plan(int warmup, int runs, double maxSeconds) {
        public Plan {
            if (warmup < 0 || runs < 1 || maxSeconds <= 0) {
                throw new IllegalArgumentException("warm-up >= 0, runs >= 1 and a positive time budget needed");
            }
        }

        public static Plan defaults() {
            return new Plan(10, 100, 20);
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
        for (int i = 0; i < plan.warmup(); i++) {
            for (int s = 0; s < n; s++) {
                sessions.get(s).run(feeds.get(s));
            }
        }
        long[][] times = new long[n][plan.runs()];
        long deadline = System.nanoTime() + (long) (plan.maxSeconds() * 1e9);
        int done = 0;
        while (done < plan.runs() && (done < 5 || System.nanoTime() < deadline)) {
            for (int k = 0; k < n; k++) {
                int s = (k + done) % n;
                InferenceSession session = sessions.get(s);
                long before = session.runNanos();
                session.run(feeds.get(s));
                times[s][done] = session.runNanos() - before;
            }
            done++;
            progress.update("timing", done, plan.runs());
        }
        List<Stats> stats = new ArrayList<>();
        for (long[] t : times) {
            stats.add(Stats.of(Arrays.copyOf(t, done)));
        }
        return stats;
    }
}
