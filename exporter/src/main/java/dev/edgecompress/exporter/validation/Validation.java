package dev.edgecompress.exporter.validation;

import dev.edgecompress.importer.ModelFormatException;
import dev.edgecompress.importer.ModelImporter;
import dev.edgecompress.importer.data.DataFiles;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.data.DataFormatException;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.runtime.Evaluation;
import dev.edgecompress.runtime.EvaluationRunner;
import dev.edgecompress.runtime.ExecutionProvider;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.Latency;
import dev.edgecompress.runtime.Progress;
import dev.edgecompress.runtime.SessionConfig;
import dev.edgecompress.runtime.SessionPool;
import dev.edgecompress.runtime.SyntheticInputs;
import dev.edgecompress.runtime.metrics.OutputComparison;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Validates a candidate model against its reference on ONNX Runtime: accuracy on data, how far the
 * outputs moved, latency side by side on each execution provider and batch size, size on disk,
 * and the gates a CI pipeline sets.
 *
 * <pre>{@code
 * ValidationReport report = Validation.of(Path.of("model.onnx"), Path.of("model.int8.onnx"))
 *         .data(Path.of("test.npz"))
 *         .gates(List.of(new Gate(Gate.Kind.MAX_ACCURACY_DROP, 0.5), new Gate(Gate.Kind.MIN_SPEEDUP, 1.5)))
 *         .run();
 * if (!report.passed()) { ... report.failedGates() ... }
 * }</pre>
 *
 * Accuracy is measured on the first execution provider; latency on each. Not thread-safe; each
 * {@link #run()} opens and closes its own sessions.
 */
public final class Validation {

    /** The SQNR gate value of identical outputs (infinite), kept finite for JSON reports. */
    static final double IDENTICAL_SQNR = 1000;

    /** Speedups below this are reported as a slowdown (above the latency method's noise floor). */
    static final double SLOWER = 0.95;

    /** The version recorded in reports. */
    public static final String TOOL = "edgecompress " + version();

    private final Path reference;
    private final Path candidate;
    private Path dataPath;
    private Dataset dataset;
    private List<ExecutionProvider> providers = List.of(ExecutionProvider.CPU);
    private List<Integer> latencyBatches = List.of(1, 64);
    private int evaluationBatch = 64;
    private EvaluationRunner evaluations;
    private Latency.Plan plan = Latency.Plan.defaults();
    private boolean measureLatency = true;
    private SessionConfig session = SessionConfig.defaults();
    private List<Gate> gates = List.of();
    private Progress progress = Progress.NONE;
    private SyntheticInputs.Overrides inputs = SyntheticInputs.Overrides.NONE;

    private Validation(Path reference, Path candidate) {
        this.reference = Objects.requireNonNull(reference, "reference");
        this.candidate = Objects.requireNonNull(candidate, "candidate");
    }

    public static Validation of(Path reference, Path candidate) {
        return new Validation(reference, candidate);
    }

    /** Evaluates on the dataset at {@code path} (.npz or ONNX test data folder). */
    public Validation data(Path path) {
        this.dataPath = path;
        this.dataset = null;
        return this;
    }

    public Validation data(Dataset data) {
        this.dataset = data;
        this.dataPath = data.source();
        return this;
    }

    public Validation providers(List<ExecutionProvider> eps) {
        if (eps.isEmpty()) {
            throw new IllegalArgumentException("at least one execution provider");
        }
        this.providers = List.copyOf(eps);
        return this;
    }

    /** Batch sizes latency is measured at (default 1 and 64). */
    public Validation latencyBatches(List<Integer> sizes) {
        if (sizes.isEmpty() || sizes.stream().anyMatch(b -> b < 1)) {
            throw new IllegalArgumentException("latency batch sizes must be positive");
        }
        this.latencyBatches = List.copyOf(sizes);
        return this;
    }

    /** Batch size for evaluating accuracy (default 64). */
    public Validation evaluationBatch(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("evaluation batch size must be positive");
        }
        this.evaluationBatch = size;
        return this;
    }

    /**
     * Evaluates the data's batches with {@code runner} (split over a cluster) rather than in this
     * process; the numbers are the same. Latency is always timed here.
     */
    public Validation evaluations(EvaluationRunner runner) {
        this.evaluations = Objects.requireNonNull(runner);
        return this;
    }

    public Validation latency(Latency.Plan latencyPlan) {
        this.plan = Objects.requireNonNull(latencyPlan);
        this.measureLatency = true;
        return this;
    }

    /** Shapes and values of the made-up inputs latency is timed on when there is no data. */
    public Validation inputs(SyntheticInputs.Overrides overrides) {
        this.inputs = Objects.requireNonNull(overrides);
        return this;
    }

    /** Skips latency (and so cannot check speedup gates). */
    public Validation withoutLatency() {
        this.measureLatency = false;
        return this;
    }

    /** Threads and graph optimization for the sessions; the provider is set per run. */
    public Validation session(SessionConfig config) {
        this.session = Objects.requireNonNull(config);
        return this;
    }

    public Validation gates(List<Gate> checks) {
        this.gates = List.copyOf(checks);
        return this;
    }

    public Validation progress(Progress listener) {
        this.progress = Objects.requireNonNull(listener);
        return this;
    }

    /**
     * Runs the validation.
     *
     * @throws ModelFormatException a model cannot be read
     * @throws DataFormatException the data cannot be read or does not fit the models
     * @throws IllegalArgumentException a gate needs data or latency that this validation does not have
     */
    public ValidationReport run() throws ModelFormatException, DataFormatException, IOException {
        for (Gate gate : gates) {
            if (gate.kind().needsData() && dataPath == null) {
                throw new IllegalArgumentException("--" + gate.kind().option() + " needs data to evaluate on");
            }
            if (gate.kind() == Gate.Kind.MIN_SPEEDUP && !measureLatency) {
                throw new IllegalArgumentException("--min-speedup needs latency measurements");
            }
        }
        ModelStats referenceStats = ModelStats.of(reference, ModelImporter.load(reference));
        ModelStats candidateStats = ModelStats.of(candidate, ModelImporter.load(candidate));
        Dataset data = dataset != null || dataPath == null ? dataset : DataFiles.load(dataPath);

        OutputMetrics metrics = null;
        List<LatencyRow> latency = new ArrayList<>();
        Map<String, Map<String, Integer>> runtimeOps = new TreeMap<>();
        for (ExecutionProvider ep : providers) {
            // Spinning threads of one session would take the cores from the other, timed in between.
            SessionConfig config = session.withProvider(ep).withoutSpinning();
            runtimeOps.put(ep.id(), optimizedOps(candidate, config));
            try (InferenceSession ref = InferenceSession.open(reference, config);
                    InferenceSession cand = InferenceSession.open(candidate, config)) {
                if (data != null && metrics == null) {
                    Evaluation.Result result = evaluations == null
                            ? Evaluation.run(ref, cand, data, evaluationBatch, progress)
                            : evaluations.evaluate(reference, candidate, config, data, evaluationBatch, progress);
                    metrics = metrics(result, data.hasLabels());
                    referenceStats = referenceStats.withAccuracy(data.hasLabels() ? result.referenceAccuracy() : 1.0);
                    candidateStats = candidateStats.withAccuracy(data.hasLabels() ? result.candidateAccuracy()
                            : result.comparison().agreement());
                }
                if (measureLatency) {
                    for (int batch : latencyBatches) {
                        latency.add(time(ep, batch, ref, cand, config, data,
                                referenceStats.bytes() + candidateStats.bytes() <= POOLED_BYTES));
                    }
                }
            }
        }
        List<GateResult> results = new ArrayList<>();
        for (Gate gate : gates) {
            results.addAll(check(gate, referenceStats, candidateStats, metrics, latency));
        }
        boolean passed = results.stream().allMatch(GateResult::passed);
        List<String> warnings = new ArrayList<>();
        for (LatencyRow row : latency) {
            if (row.speedup() < SLOWER) {
                warnings.add(String.format("the candidate is slower than the reference on %s at batch %d: %.2fx",
                        row.ep(), row.batch(), row.speedup()));
            }
        }
        return new ValidationReport(TOOL, referenceStats, candidateStats, dataPath == null ? null : dataPath.toString(),
                metrics, latency, runtimeOps, List.of(), results, warnings, null, passed);
    }

    private static OutputMetrics metrics(Evaluation.Result result, boolean labels) {
        OutputComparison c = result.comparison();
        double sqnr = c.sqnrDb();
        Map<String, OutputMetrics.Output> outputs = new java.util.LinkedHashMap<>();
        Map<String, Double> cosines = c.cosineByOutput();
        c.sqnrDbByOutput().forEach((name, db) -> outputs.put(name, new OutputMetrics.Output(
                Double.isInfinite(db) ? null : db, cosines.get(name))));
        return new OutputMetrics(result.samples(), labels, c.agreement(), c.maxAbsError(), c.meanAbsError(),
                Double.isInfinite(sqnr) ? null : sqnr, result.totalNanos() / 1e9, result.runtimeShare(), outputs);
    }

    /**
     * Sessions timed per model: two sessions of one file can differ by a few percent for as long as
     * they live (where their memory landed), so each model is timed in {@link #BLOCKS} blocks, each
     * on {@link #SESSIONS_PER_MODEL} fresh sessions, and gets the average over them all
     * (docs/BENCHMARKS.md, latency method). Models over {@link #POOLED_BYTES} together (with
     * external data) are timed on the one session each that validation opened.
     */
    static final int SESSIONS_PER_MODEL = 3;
    static final int BLOCKS = 4;
    static final long POOLED_BYTES = 256L << 20;

    private LatencyRow time(ExecutionProvider ep, int batch, InferenceSession ref, InferenceSession cand,
            SessionConfig config, Dataset data, boolean pooled) throws DataFormatException {
        Map<String, Tensor> refFeeds = SyntheticInputs.feeds(data, ref.inputs(), inputs, batch, 7);
        // The same buffers for both where the inputs match: ONNX Runtime reads a feed's memory as it is,
        // and two buffers aligned differently time differently (LeNet-5 at batch 1: up to 13%).
        Map<String, Tensor> candFeeds = cand.inputs().equals(ref.inputs()) ? refFeeds
                : SyntheticInputs.feeds(data, cand.inputs(), inputs, batch, 7);
        int actualBatch = SyntheticInputs.batchOf(refFeeds);
        Latency.Timings timings;
        if (!pooled) {
            timings = Latency.timePools(List.of(List.of(ref), List.of(cand)), List.of(refFeeds, candFeeds), plan,
                    progress);
        } else {
            timings = null;
            Latency.Plan block = plan.dividedBy(BLOCKS);
            for (int b = 0; b < BLOCKS; b++) {
                // Opened in turn, the first model alternating from block to block.
                try (SessionPool pool = SessionPool.open(List.of(reference, candidate), config, SESSIONS_PER_MODEL,
                        b % 2)) {
                    Latency.Timings blockTimings = Latency.timePools(List.of(pool.sessions(0), pool.sessions(1)),
                            List.of(refFeeds, candFeeds), block, progress);
                    timings = timings == null ? blockTimings : timings.append(blockTimings);
                }
            }
        }
        Latency.Stats r = timings.stats(0);
        Latency.Stats c = timings.stats(1);
        Latency.Speedup speedup = timings.speedup(0, 1);
        return new LatencyRow(ep.id(), actualBatch, r.runs(), r.medianMs(), r.p90Ms(), c.medianMs(), c.p90Ms(),
                speedup.median(), speedup.low(), speedup.high());
    }

    private static List<GateResult> check(Gate gate, ModelStats reference, ModelStats candidate,
            OutputMetrics metrics, List<LatencyRow> latency) {
        String name = gate.kind().reportName();
        double limit = gate.limit();
        return switch (gate.kind()) {
            case MAX_ACCURACY_DROP -> {
                double drop = (reference.accuracy() - candidate.accuracy()) * 100;
                yield List.of(new GateResult(name, limit, drop, drop <= limit + 1e-9, String.format(
                        "accuracy %.2f%% -> %.2f%%: a drop of %.2f points, at most %.2f allowed",
                        reference.accuracy() * 100, candidate.accuracy() * 100, drop, limit)));
            }
            case MIN_AGREEMENT -> List.of(new GateResult(name, limit, metrics.agreement(),
                    metrics.agreement() >= limit, String.format("top-1 agreement %.4f, at least %.4f required",
                    metrics.agreement(), limit)));
            case MAX_SIZE -> List.of(new GateResult(name, limit, candidate.bytes(), candidate.bytes() <= limit,
                    String.format("candidate is %,d bytes, at most %,.0f allowed", candidate.bytes(), limit)));
            case MAX_SIZE_RATIO -> {
                double ratio = (double) candidate.bytes() / reference.bytes();
                yield List.of(new GateResult(name, limit, ratio, ratio <= limit, String.format(
                        "candidate is %.3f of the reference's size, at most %.3f allowed", ratio, limit)));
            }
            // The lower end of the speedup's 95% interval must reach the limit: a gate passes only what
            // the measurement shows, not what noise allows.
            case MIN_SPEEDUP -> latency.stream().map(row -> new GateResult(
                    name + "[" + row.ep() + ",batch=" + row.batch() + "]", limit, row.speedupLow(),
                    row.speedupLow() >= limit, String.format("%s batch %d: %.3f ms -> %.3f ms, %.2fx (95%% interval"
                            + " %.2f-%.2fx), the lower end at least %.2fx required", row.ep(), row.batch(),
                            row.referenceMsP50(), row.candidateMsP50(), row.speedup(), row.speedupLow(),
                            row.speedupHigh(), limit))).toList();
            case MIN_SQNR -> metrics.outputs().entrySet().stream().map(e -> {
                Double db = e.getValue().sqnrDb();
                double value = db == null ? IDENTICAL_SQNR : db;
                return new GateResult(name + "[" + e.getKey() + "]", limit, value, value >= limit,
                        String.format("output %s: SQNR %s, at least %.1f dB required", e.getKey(),
                                db == null ? "infinite (identical)" : String.format("%.1f dB", db), limit));
            }).toList();
            case MIN_COSINE -> metrics.outputs().entrySet().stream().map(e -> new GateResult(
                    name + "[" + e.getKey() + "]", limit, e.getValue().cosine(), e.getValue().cosine() >= limit,
                    String.format("output %s: cosine similarity %.5f, at least %.5f required", e.getKey(),
                            e.getValue().cosine(), limit))).toList();
        };
    }

    private static String version() {
        String version = Validation.class.getPackage().getImplementationVersion();
        return version != null ? version : "development";
    }

    /**
     * The operators ONNX Runtime actually runs for {@code model} after its graph optimizations,
     * counted by domain-qualified op type.
     */
    public static Map<String, Integer> optimizedOps(Path model, SessionConfig config) throws IOException {
        Path optimized = Files.createTempFile("edgecompress-optimized", ".onnx");
        try {
            InferenceSession.writeOptimized(model, config, optimized);
            Map<String, Integer> counts = new TreeMap<>();
            for (var node : ModelImporter.load(optimized).graph().allNodes()) {
                String op = node.normalizedDomain().isEmpty() ? node.opType()
                        : node.normalizedDomain() + "." + node.opType();
                counts.merge(op, 1, Integer::sum);
            }
            return counts;
        } catch (ModelFormatException e) {
            throw new IOException("cannot read ONNX Runtime's optimized graph: " + e.getMessage(), e);
        } finally {
            Files.deleteIfExists(optimized);
        }
    }
}
