package dev.edgecompress.pipeline.tune;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.edgecompress.exporter.validation.Gate;
import dev.edgecompress.exporter.validation.LatencyRow;
import dev.edgecompress.exporter.validation.Validation;
import dev.edgecompress.exporter.validation.ValidationReport;
import dev.edgecompress.importer.ModelFormatException;
import dev.edgecompress.importer.ModelImporter;
import dev.edgecompress.importer.data.DataFiles;
import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.data.DataFormatException;
import dev.edgecompress.passes.analysis.CompressionTargets;
import dev.edgecompress.pipeline.CompressionJob;
import dev.edgecompress.runtime.SyntheticInputs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.DoubleFunction;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * Searches for the recipe whose model passes the gates and is best by an {@link Objective}, within
 * a time budget ({@code edgecompress tune}). Every trial is a {@link CompressionJob}, validated as
 * {@code compress} validates (accuracy-aware fallback included); trials that pass the other gates
 * are then timed as {@code validate} times them, one at a time, so that parallel trials never
 * share the cores with a measurement.
 *
 * <p>The strategy, cheapest first:
 * <ol>
 *   <li><b>quantize</b>: each format alone, no training: int8 dynamic; int8 static with MinMax and
 *       with entropy calibration, and (objective latency) with weights per tensor instead of per
 *       channel; float16; int4 (round to nearest, and HQQ) where the model has MatMul or Gemm
 *       weights. The best passing one of each family (int8, int4, float16), the two
 *       best by the objective, become the <em>bases</em> the later stages end with.</li>
 *   <li><b>prune</b> (objective size) or <b>channels</b> (objective latency), where the model has
 *       prunable weights, once for each base: the largest sparsity that passes, by k-section
 *       search over (0, 0.97) (k = the parallel trials; bisection with one), assuming accuracy
 *       falls as sparsity grows; each trial prunes (global L1, or whole channels), then applies
 *       the base.</li>
 *   <li><b>low-rank</b> (objective size), where weights factorize: the smallest kept energy that
 *       passes, in (0.5, 1), the same way, then the best base.</li>
 *   <li><b>prune+finetune</b> (or channels+finetune), where there is training data: the same
 *       search with the base whose pruned model was best, fine-tuning {@value #FINE_TUNING_EPOCHS}
 *       epochs between pruning and the base, starting from the sparsity pruning alone reached;
 *       then again with the epochs doubled, from the sparsity reached, while that moves it and the
 *       budget lasts. Fine-tuning learns the original model's outputs (distillation), which on
 *       little data keeps far closer to it than learning the labels (the MLP at 80%, 2 epochs on
 *       10,000 images: 87.82% against 87.46% top-1, float 88.56%).</li>
 * </ol>
 * Only quantize trials fall back to float node by node when an accuracy gate fails (that is a
 * format choice); in the later stages the knob is what failed, and the search moves it instead.
 * A round starts only while the time it is expected to take (its stage's slowest trial so far)
 * fits in the budget; a trial under way finishes. The first trial always runs.
 */
public final class Tuner {

    /** Epochs of fine-tuning (distilling the original model) in pruning trials, where there is training data. */
    public static final int FINE_TUNING_EPOCHS = 2;
    /** The search stops refining a knob once the interval is this narrow. */
    static final double RESOLUTION = 0.02;
    static final double MAX_SPARSITY = 0.97;

    private final Path input;
    private final Path output;
    private List<Gate> gates = List.of();
    private Path evaluationFile;
    private Path trainingFile;
    private Path calibrationFile;
    private Duration budget = Duration.ofMinutes(2);
    private Objective objective = Objective.SIZE;
    private int jobs = 1;
    private SyntheticInputs.Overrides inputs = SyntheticInputs.Overrides.NONE;
    private UnaryOperator<Validation> latencySettings = UnaryOperator.identity();
    private Consumer<Trial> onTrial = trial -> { };
    private TrialRunner runner = TrialRunner.local();

    private final List<Trial> trials = new ArrayList<>();
    private long start;
    private Path work;
    private boolean budgetSpent;
    /** Each trial's expected cost relative to its stage's first (fine-tuning epochs doubled: 2). */
    private final Map<Integer, Double> costs = new java.util.HashMap<>();

    private Tuner(Path input, Path output) {
        this.input = input;
        this.output = output;
    }

    /** A search that writes the best model for {@code input} to {@code output}. */
    public static Tuner of(Path input, Path output) {
        return new Tuner(input, output);
    }

    /** The gates every trial must pass (accuracy gates need {@link #evaluationData}). */
    public Tuner gates(List<Gate> checks) {
        this.gates = List.copyOf(checks);
        return this;
    }

    /** Labelled (or unlabelled) held-out data every trial is judged on; required. */
    public Tuner evaluationData(Path file) {
        this.evaluationFile = file;
        return this;
    }

    /** Training data: pruning trials fine-tune on it. */
    public Tuner trainingData(Path file) {
        this.trainingFile = file;
        return this;
    }

    /** Calibration data for static int8 (default: a sample of the training, else the evaluation data). */
    public Tuner calibrationData(Path file) {
        this.calibrationFile = file;
        return this;
    }

    public Tuner budget(Duration time) {
        if (time.isNegative() || time.isZero()) {
            throw new SettingException("budget", "must be a positive number of seconds, got " + time.toSeconds());
        }
        this.budget = time;
        return this;
    }

    public Tuner objective(Objective best) {
        this.objective = best;
        return this;
    }

    /** Trials compressed and evaluated at once (default 1); timing stays one at a time. */
    public Tuner jobs(int parallel) {
        if (parallel < 1) {
            throw new SettingException("jobs", "must be at least 1, got " + parallel);
        }
        this.jobs = parallel;
        return this;
    }

    /** Shapes and values for made-up inputs, for models whose inputs the data does not give. */
    public Tuner inputs(SyntheticInputs.Overrides overrides) {
        this.inputs = overrides;
        return this;
    }

    /** Execution providers, batch sizes and timing of the latency measurement. */
    public Tuner latency(UnaryOperator<Validation> settings) {
        this.latencySettings = settings;
        return this;
    }

    /**
     * Where trials run (default: threads here, {@link TrialRunner#local}); the search still times
     * them here, one at a time. The caller closes the runner.
     */
    public Tuner runner(TrialRunner trialRunner) {
        this.runner = trialRunner;
        return this;
    }

    /** Called after every trial, in the order they finish. */
    public Tuner onTrial(Consumer<Trial> callback) {
        this.onTrial = callback;
        return this;
    }

    /**
     * What the search found.
     *
     * @param trials every trial, in the order they started
     * @param winner the best passing trial by the objective, or null when none passed
     * @param paretoFront the trials no other measured trial beats on both the objective and accuracy
     * @param closest when none passed, the trial whose worst failed gate missed by least; else null
     * @param recipe the winner's recipe file (its steps and the gates), or null
     * @param budgetSpent whether the search stopped for the budget rather than having tried everything
     * @param seconds how long the search took
     */
    public record Result(List<Trial> trials, Trial winner, List<Trial> paretoFront, Trial closest, Path recipe,
            boolean budgetSpent, double seconds) {
    }

    /**
     * Searches, then writes the winner to the output (and its recipe beside it, as
     * {@link #recipePath}); nothing is written when no trial passes.
     */
    public Result run() throws ModelFormatException, DataFormatException, IOException {
        if (evaluationFile == null) {
            throw new SettingException("data", "tune judges every trial on evaluation data (--data)");
        }
        if (output.toAbsolutePath().normalize().equals(input.toAbsolutePath().normalize())) {
            throw new SettingException("output", "would overwrite the input model " + input);
        }
        DataFiles.load(evaluationFile); // bad data fails here, once, not in every trial
        if (trainingFile != null) {
            DataFiles.load(trainingFile);
        }
        CompressionTargets targets = CompressionTargets.of(ModelImporter.load(input));
        Path parent = output.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        work = Files.createTempDirectory(parent, ".tune-");
        start = System.nanoTime();
        try {
            search(targets);
            Trial winner = trials.stream().filter(Trial::passed).min(better()).orElse(null);
            Path recipe = null;
            if (winner != null) {
                recipe = recipePath(output);
                writeRecipe(winner, recipe);
                Files.move(trialFile(winner), output, StandardCopyOption.REPLACE_EXISTING,
                        StandardCopyOption.ATOMIC_MOVE);
            }
            Trial closest = winner != null ? null : trials.stream().filter(Trial::measured)
                    .min(Comparator.comparingDouble(Trial::miss)).orElse(null);
            return new Result(List.copyOf(trials), winner, paretoFront(), closest, recipe, budgetSpent, elapsed());
        } finally {
            try (Stream<Path> files = Files.list(work)) {
                for (Path file : files.toList()) {
                    Files.deleteIfExists(file);
                }
            }
            Files.deleteIfExists(work);
        }
    }

    /** Where the winner's recipe goes: beside the model, {@code NAME.recipe.json} for {@code NAME.onnx}. */
    public static Path recipePath(Path model) {
        String name = model.getFileName().toString();
        String stem = name.endsWith(".onnx") ? name.substring(0, name.length() - 5) : name;
        return model.resolveSibling(stem + ".recipe.json");
    }

    /** Runs the stages; {@link #budgetSpent} tells whether the budget ended them. */
    private void search(CompressionTargets targets) throws IOException {
        List<List<Map<String, Object>>> formats = new ArrayList<>();
        formats.add(List.of(step("quantize", "mode", "dynamic")));
        formats.add(List.of(step("quantize", "mode", "static", "calibration", "minmax")));
        formats.add(List.of(step("quantize", "mode", "static", "calibration", "entropy")));
        if (objective == Objective.LATENCY) {
            // ONNX Runtime's QGemm runs one weight zero point a matrix a fifth faster at batch 1 than
            // one a column: per tensor where the outputs keep their SQNR within a decibel, and
            // everywhere, whose cost the gates judge (docs/BENCHMARKS.md).
            formats.add(List.of(step("quantize", "mode", "static", "calibration", "minmax", "per_channel", "auto")));
            formats.add(List.of(step("quantize", "mode", "static", "calibration", "minmax", "per_channel", false)));
        }
        if (targets.float16().refusal() == null && targets.float16().float16Nodes() > 0) {
            formats.add(List.of(step("quantize", "mode", "fp16")));
        }
        if (!targets.int4().weights().isEmpty()) {
            formats.add(List.of(step("quantize", "mode", "int4", "method", "rtn")));
            formats.add(List.of(step("quantize", "mode", "int4", "method", "hqq")));
        }
        for (int i = 0; i < formats.size(); i += jobs) {
            if (!fits("quantize", 1)) {
                budgetSpent = true;
                return;
            }
            round("quantize", formats.subList(i, Math.min(formats.size(), i + jobs)), 1);
        }
        List<List<Map<String, Object>>> bases = bases();
        String method = objective == Objective.SIZE ? "l1" : "channels";
        String stage = objective == Objective.SIZE ? "prune" : "channels";
        double top = objective == Objective.SIZE ? MAX_SPARSITY : 0.9;
        double reached = 0;
        List<Map<String, Object>> trainedBase = bases.get(0);
        boolean prunable = !targets.prunable().isEmpty();
        if (prunable) {
            Map<List<Map<String, Object>>, Double> found = new LinkedHashMap<>();
            for (List<Map<String, Object>> base : bases) {
                found.put(base, bisect(stage, 0, top, x -> then(List.of(prune(method, x)), base), 1));
                if (budgetSpent) {
                    return;
                }
            }
            // Fine-tuning goes on with the base whose pruned model was best.
            Trial best = trials.stream().filter(t -> t.passed() && t.stage().equals(stage)).min(better()).orElse(null);
            if (best != null) {
                trainedBase = best.steps().subList(1, best.steps().size());
            }
            reached = found.getOrDefault(trainedBase, 0.0);
        }
        if (objective == Objective.SIZE && !targets.factorizable().isEmpty()) {
            // x = 1 - kept energy: larger x keeps less, as larger sparsity does.
            bisect("low-rank", 0, 0.5, x -> then(List.of(step("low-rank", "energy", round3(1 - x))), bases.get(0)), 1);
            if (budgetSpent) {
                return;
            }
        }
        if (prunable && trainingFile != null) {
            // Fine-tuning only adds accuracy, so each search starts where the one before stopped; the
            // epochs double while that moves the sparsity and the budget lasts.
            for (int epochs = FINE_TUNING_EPOCHS; !budgetSpent; epochs *= 2) {
                int e = epochs;
                List<Map<String, Object>> base = trainedBase;
                double found = bisect(stage + "+finetune", reached, top, x -> then(List.of(prune(method, x),
                        step("finetune", "epochs", e, "distill", 1.0)), base), (double) e / FINE_TUNING_EPOCHS);
                if (found <= reached && epochs > FINE_TUNING_EPOCHS) {
                    return;
                }
                reached = found;
            }
        }
    }

    private static Map<String, Object> prune(String method, double sparsity) {
        return step("prune", "method", method, "sparsity", sparsity);
    }

    private static List<Map<String, Object>> then(List<Map<String, Object>> steps, List<Map<String, Object>> base) {
        return Stream.concat(steps.stream(), base.stream()).toList();
    }

    /**
     * The formats the later stages end with: the best passing trial of the quantize stage of each
     * family (int8, int4, float16), the two best of them by the objective; no format when none passed.
     * Two, because the best format alone need not be the best after pruning: int8 keeps a pruned
     * zero exactly zero, where int4 with zero points does not, and gzip sees the difference.
     */
    private List<List<Map<String, Object>>> bases() {
        Map<String, Trial> bestByFamily = new LinkedHashMap<>();
        trials.stream().filter(t -> t.passed() && t.stage().equals("quantize")).sorted(better())
                .forEach(t -> bestByFamily.putIfAbsent(family(t), t));
        List<List<Map<String, Object>>> bases = bestByFamily.values().stream().sorted(better()).limit(2)
                .map(Trial::steps).toList();
        return bases.isEmpty() ? List.of(List.of()) : bases;
    }

    private static String family(Trial quantized) {
        Object mode = quantized.steps().get(0).get("mode");
        return "int4".equals(mode) || "fp16".equals(mode) ? (String) mode : "int8";
    }

    /**
     * The largest x in [lo, hi) whose recipe passes (lo when none above it does), found by
     * k-section (k = jobs); stops early, noting it, when the budget is spent.
     */
    private double bisect(String stage, double lo, double hi, DoubleFunction<List<Map<String, Object>>> recipe,
            double cost) throws IOException {
        double passing = lo;
        double failing = Double.POSITIVE_INFINITY; // the smallest x that failed; hi itself is never tried
        while (Math.min(failing, hi) - passing > RESOLUTION) {
            if (!fits(stage, cost)) {
                budgetSpent = true;
                return passing;
            }
            double top = Math.min(failing, hi);
            List<Double> probes = new ArrayList<>();
            for (int i = 1; i <= jobs; i++) {
                double x = round3(passing + (top - passing) * i / (jobs + 1));
                if (x > passing && x < top && !probes.contains(x)) {
                    probes.add(x);
                }
            }
            if (probes.isEmpty()) {
                break;
            }
            List<Trial> done = round(stage, probes.stream().map(recipe::apply).toList(), cost);
            for (int i = 0; i < probes.size(); i++) {
                if (done.get(i).passed()) {
                    passing = Math.max(passing, probes.get(i));
                } else if (done.get(i).error() != null) {
                    return passing; // the stage cannot run on this model (its reason is in the trial)
                }
            }
            for (int i = 0; i < probes.size(); i++) {
                if (!done.get(i).passed() && probes.get(i) > passing) {
                    failing = Math.min(failing, probes.get(i));
                }
            }
        }
        return passing;
    }

    /**
     * Whether a round of {@code stage} is expected to end within the budget: its slowest trial so far
     * (else the slowest of any stage) times {@code cost}, relative to the trials it ran before (the
     * first trial always runs).
     */
    private boolean fits(String stage, double cost) {
        if (trials.isEmpty()) {
            return true;
        }
        java.util.OptionalDouble same = trials.stream().filter(t -> t.stage().equals(stage) && costs.get(t.number()) == cost)
                .mapToDouble(Trial::seconds).max();
        double expected = same.isPresent() ? same.getAsDouble() : cost * trials.stream()
                .filter(t -> t.stage().equals(stage)).mapToDouble(t -> t.seconds() / costs.get(t.number())).max()
                .orElse(trials.stream().mapToDouble(Trial::seconds).max().orElse(0));
        return elapsed() + expected <= budget.toMillis() / 1000.0;
    }

    /** Compresses and evaluates the recipes at once, then times those that pass, one at a time. */
    private List<Trial> round(String stage, List<List<Map<String, Object>>> recipes, double cost)
            throws IOException {
        int first = trials.size() + 1;
        for (int i = 0; i < recipes.size(); i++) {
            costs.put(first + i, cost);
        }
        List<TrialTask> tasks = new ArrayList<>();
        for (int i = 0; i < recipes.size(); i++) {
            tasks.add(new TrialTask(first + i, stage, recipes.get(i), input.toString(), evaluationFile.toString(),
                    trainingFile == null ? null : trainingFile.toString(),
                    calibrationFile == null ? null : calibrationFile.toString(), accuracyGates(), inputs,
                    stage.equals("quantize")));
        }
        List<Trial> done = runner.run(tasks, work);
        List<Trial> timed = new ArrayList<>();
        for (Trial trial : done) {
            Trial result = timeIfPassing(trial);
            trials.add(result);
            timed.add(result);
            onTrial.accept(result);
        }
        return timed;
    }

    /** The trial with its speed measured and gated, where it passed everything else and speed matters. */
    private Trial timeIfPassing(Trial trial) throws IOException {
        List<Gate> speed = gates.stream().filter(g -> g.kind() == Gate.Kind.MIN_SPEEDUP).toList();
        if (!trial.passed() || speed.isEmpty() && objective != Objective.LATENCY) {
            return trial;
        }
        long begin = System.nanoTime();
        try {
            ValidationReport report = latencySettings.apply(Validation.of(input, trialFile(trial))).inputs(inputs)
                    .gates(speed).run();
            Double speedup = report.latency().stream().map(LatencyRow::speedup).min(Double::compare).orElse(null);
            return new Trial(trial.number(), trial.stage(), trial.steps(), trial.bytes(), trial.gzipBytes(),
                    trial.accuracy(), trial.accuracyDrop(), speedup, trial.seconds() + TrialTask.seconds(begin),
                    report.passed(), TrialTask.failed(report.gates()), TrialTask.miss(report.gates()), null);
        } catch (ModelFormatException | DataFormatException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
    }

    private List<Gate> accuracyGates() {
        return gates.stream().filter(g -> g.kind() != Gate.Kind.MIN_SPEEDUP).toList();
    }

    private Path trialFile(Trial trial) {
        return TrialRunner.file(work, trial.number());
    }

    /** Better first: by the objective, then the more accurate, then the earlier (cheaper) trial. */
    private Comparator<Trial> better() {
        Comparator<Trial> primary = objective == Objective.SIZE
                ? Comparator.comparingLong(Trial::gzipBytes).thenComparingLong(Trial::bytes)
                : Comparator.comparingDouble((Trial t) -> t.speedup() == null ? 0 : -t.speedup());
        return primary.thenComparingDouble(t -> -t.accuracy()).thenComparingInt(Trial::number);
    }

    /** Measured trials that no other measured trial beats on both the objective and accuracy. */
    private List<Trial> paretoFront() {
        List<Trial> measured = trials.stream().filter(t -> t.measured()
                && (objective == Objective.SIZE || t.speedup() != null)).toList();
        List<Trial> front = new ArrayList<>();
        for (Trial t : measured) {
            boolean dominated = measured.stream().anyMatch(o -> o != t && atLeastAsGood(o, t) && strictlyBetter(o, t));
            if (!dominated) {
                front.add(t);
            }
        }
        return front;
    }

    private double goodness(Trial t) {
        return objective == Objective.SIZE ? -t.gzipBytes() : t.speedup() == null ? 0 : t.speedup();
    }

    private boolean atLeastAsGood(Trial a, Trial b) {
        return goodness(a) >= goodness(b) && a.accuracy() >= b.accuracy();
    }

    private boolean strictlyBetter(Trial a, Trial b) {
        return goodness(a) > goodness(b) || a.accuracy() > b.accuracy();
    }

    private void writeRecipe(Trial winner, Path file) throws IOException {
        Map<String, Object> recipe = new LinkedHashMap<>();
        recipe.put("steps", winner.steps());
        Map<String, Object> gateFields = new LinkedHashMap<>();
        gates.forEach(g -> gateFields.put(g.kind().reportName(), g.limit()));
        recipe.put("gates", gateFields);
        Path temp = work.resolve("recipe.json");
        Files.writeString(temp, new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT)
                .writeValueAsString(recipe) + "\n");
        Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private double elapsed() {
        return TrialTask.seconds(start);
    }





    private static Map<String, Object> step(String type, Object... fields) {
        Map<String, Object> step = new LinkedHashMap<>();
        step.put("type", type);
        for (int i = 0; i < fields.length; i += 2) {
            step.put((String) fields[i], fields[i + 1]);
        }
        return step;
    }


    private static double round3(double x) {
        return Math.round(x * 1000) / 1000.0;
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "tune %s -> %s (%s, %d s, %d jobs)", input, output, objective.id(),
                budget.toSeconds(), jobs);
    }
}
