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
 * that of a 40-millisecond one; and rounds go on, up to the plan's longest time, until every
 * median's 95% confidence interval is narrower than {@link #TARGET_WIDTH} of it (distribution-free:
 * the order statistics around the median that a binomial bound gives); with several models, until
 * every speedup against the first is known that well ({@link Speedup}). Sessions timed this way
 * should not spin ({@link SessionConfig#withoutSpinning()}).
 */
public final class Latency {

    /** The relative width of a median's 95% confidence interval at which timing may stop: +/-1%. */
    public static final double TARGET_WIDTH = 0.02;

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

        /** One of {@code parts} blocks of this plan: its share of the rounds and seconds, the full warm-up. */
        public Plan dividedBy(int parts) {
            return new Plan(warmup, Math.max(1, (runs + parts - 1) / parts), minSeconds / parts, maxSeconds / parts);
        }
    }

    /**
     * Statistics of one model's timed runs, in milliseconds.
     *
     * @param medianLowMs the lower end of the median's 95% confidence interval
     * @param medianHighMs its upper end
     */
    public record Stats(int runs, double medianMs, double p90Ms, double meanMs, double minMs, double medianLowMs,
            double medianHighMs) {

        /** The statistics of run times in nanoseconds. */
        public static Stats of(long[] nanos) {
            double[] sorted = Arrays.stream(nanos).mapToDouble(n -> n / 1e6).sorted().toArray();
            int[] interval = medianInterval(sorted.length);
            return new Stats(sorted.length, percentile(sorted, 0.5), percentile(sorted, 0.9),
                    Arrays.stream(sorted).average().orElse(Double.NaN), sorted[0], sorted[interval[0]],
                    sorted[interval[1]]);
        }

        /** The interval's width relative to the median. */
        public double relativeWidth() {
            return (medianHighMs - medianLowMs) / medianMs;
        }
    }

    /**
     * How much faster a candidate ran than a reference timed side by side: in each round, the
     * reference's mean run time over the candidate's; the median of those ratios, with its 95%
     * confidence interval. Runs of one round are microseconds apart, so whatever slows the machine
     * for a while (another process, the clock, a collector) falls on both sides of a ratio and
     * cancels, where it moves the two medians of a ratio of medians by different amounts
     * (docs/BENCHMARKS.md, latency method).
     */
    public record Speedup(double median, double low, double high, int rounds) {

        /** The interval's width relative to the median. */
        public double relativeWidth() {
            return (high - low) / median;
        }

        static Speedup of(double[] ratios) {
            double[] sorted = ratios.clone();
            Arrays.sort(sorted);
            int[] interval = medianInterval(sorted.length);
            return new Speedup(percentile(sorted, 0.5), sorted[interval[0]], sorted[interval[1]], sorted.length);
        }
    }

    /**
     * The run times, in nanoseconds, of pools of sessions timed side by side. Each round adds one run
     * of every session of every pool, so the runs of pool {@code p} in round {@code r} are
     * {@code times.get(p)[r * sessions.get(p) ...]}, the next {@code sessions.get(p)} of them.
     *
     * @param times each pool's run times, round after round
     * @param sessions each pool's number of sessions
     */
    public record Timings(List<long[]> times, List<Integer> sessions) {

        public Timings {
            times = List.copyOf(times);
            sessions = List.copyOf(sessions);
            if (times.size() != sessions.size()) {
                throw new IllegalArgumentException(times.size() + " pools of times for " + sessions.size() + " pools");
            }
        }

        /** The statistics of pool {@code p}'s runs. */
        public Stats stats(int p) {
            return Stats.of(times.get(p));
        }

        /** The rounds every pool completed. */
        public int rounds() {
            int rounds = Integer.MAX_VALUE;
            for (int p = 0; p < times.size(); p++) {
                rounds = Math.min(rounds, times.get(p).length / sessions.get(p));
            }
            return rounds;
        }

        /** Pool {@code candidate}'s speedup over pool {@code reference}, round by round. */
        public Speedup speedup(int reference, int candidate) {
            double[] ratios = new double[rounds()];
            for (int r = 0; r < ratios.length; r++) {
                ratios[r] = roundMean(reference, r) / roundMean(candidate, r);
            }
            return Speedup.of(ratios);
        }

        private double roundMean(int p, int round) {
            int n = sessions.get(p);
            long sum = 0;
            for (int k = 0; k < n; k++) {
                sum += times.get(p)[round * n + k];
            }
            return (double) sum / n;
        }

        /** These rounds followed by {@code later}'s, of the same pools timed again. */
        public Timings append(Timings later) {
            if (!later.sessions.equals(sessions)) {
                throw new IllegalArgumentException("pools of " + later.sessions + " sessions after " + sessions);
            }
            List<long[]> all = new ArrayList<>();
            for (int p = 0; p < times.size(); p++) {
                long[] joined = Arrays.copyOf(times.get(p), times.get(p).length + later.times.get(p).length);
                System.arraycopy(later.times.get(p), 0, joined, times.get(p).length, later.times.get(p).length);
                all.add(joined);
            }
            return new Timings(all, sessions);
        }
    }

    /** Linear interpolation between closest ranks. */
    private static double percentile(double[] sorted, double q) {
        double rank = q * (sorted.length - 1);
        int low = (int) Math.floor(rank);
        int high = (int) Math.ceil(rank);
        return sorted[low] + (rank - low) * (sorted[high] - sorted[low]);
    }

    private Latency() {
    }

    /**
     * Indices (0-based, in sorted order) of the order statistics bounding the median with 95%
     * confidence: n/2 -+ 1.96 sqrt(n)/2, the normal approximation of the binomial(n, 1/2).
     */
    static int[] medianInterval(int n) {
        double half = 1.96 * Math.sqrt(n) / 2;
        int low = (int) Math.max(0, Math.floor(n / 2.0 - half) - 1);
        int high = (int) Math.min(n - 1, Math.ceil(n / 2.0 + half));
        return new int[] {low, high};
    }

    /**
     * Whether what the timing is for is known to {@link #TARGET_WIDTH}: one pool's median, or every
     * pool's speedup against the first.
     */
    private static boolean narrow(Timings timings) {
        if (timings.times().size() == 1) {
            return timings.stats(0).relativeWidth() <= TARGET_WIDTH;
        }
        for (int p = 1; p < timings.times().size(); p++) {
            if (timings.speedup(0, p).relativeWidth() > TARGET_WIDTH) {
                return false;
            }
        }
        return true;
    }

    /** Times each session on its feeds; returns one {@link Stats} per session, in order. */
    public static List<Stats> measure(List<InferenceSession> sessions, List<Map<String, Tensor>> feeds, Plan plan,
            Progress progress) {
        return measurePools(sessions.stream().map(List::of).toList(), feeds, plan, progress);
    }

    /**
     * Times pools of sessions, each pool one model's sessions on its feeds; returns one {@link Stats}
     * per pool, over the runs of all its sessions. Two sessions of one file can differ by a few
     * percent for as long as they live (where their memory landed), so a model timed on several
     * sessions gets their average bias rather than one session's.
     */
    public static List<Stats> measurePools(List<List<InferenceSession>> pools, List<Map<String, Tensor>> feeds,
            Plan plan, Progress progress) {
        return timePools(pools, feeds, plan, progress).times().stream().map(Stats::of).toList();
    }

    /** The run times of each pool, as {@link #measurePools} times them. */
    public static Timings timePools(List<List<InferenceSession>> pools, List<Map<String, Tensor>> feeds,
            Plan plan, Progress progress) {
        List<InferenceSession> sessions = new ArrayList<>();
        List<Integer> poolOf = new ArrayList<>();
        for (int p = 0; p < pools.size(); p++) {
            for (InferenceSession session : pools.get(p)) {
                sessions.add(session);
                poolOf.add(p);
            }
        }
        int n = sessions.size();
        long warmupEnd = System.nanoTime() + (long) (plan.minSeconds() / 4 * 1e9);
        for (int i = 0; i < plan.warmup() || System.nanoTime() < warmupEnd; i++) {
            for (int s = 0; s < n; s++) {
                sessions.get(s).run(feeds.get(poolOf.get(s)));
            }
        }
        int perRound = pools.stream().mapToInt(List::size).max().orElse(1);
        long[][] times = new long[pools.size()][Math.max(plan.runs(), 1024) * perRound];
        int[] counts = new int[pools.size()];
        long start = System.nanoTime();
        long minEnd = start + (long) (plan.minSeconds() * 1e9);
        long maxEnd = start + (long) (plan.maxSeconds() * 1e9);
        int done = 0;
        while (true) {
            long now = System.nanoTime();
            // With no time asked for (--time 0), the runs asked for are enough, however wide the interval.
            boolean enough = done >= plan.runs() && now >= minEnd && (plan.minSeconds() == 0
                    || done % 64 == 0 && narrow(timings(times, counts, pools)));
            boolean outOfTime = done >= 5 && now >= maxEnd;
            if (enough || outOfTime || done == MAX_ROUNDS) {
                break;
            }
            for (int k = 0; k < n; k++) {
                int s = (k + done) % n;
                int p = poolOf.get(s);
                if (counts[p] == times[p].length) {
                    times[p] = Arrays.copyOf(times[p], times[p].length * 2);
                }
                InferenceSession session = sessions.get(s);
                long before = session.runNanos();
                session.run(feeds.get(p));
                times[p][counts[p]++] = session.runNanos() - before;
            }
            done++;
            progress.update("timing", Math.min(done, plan.runs()), plan.runs());
        }
        return timings(times, counts, pools);
    }

    private static Timings timings(long[][] times, int[] counts, List<List<InferenceSession>> pools) {
        List<long[]> filled = new ArrayList<>();
        for (int p = 0; p < pools.size(); p++) {
            filled.add(Arrays.copyOf(times[p], counts[p]));
        }
        return new Timings(filled, pools.stream().map(List::size).toList());
    }
}
