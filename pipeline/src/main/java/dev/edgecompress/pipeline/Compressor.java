package dev.edgecompress.pipeline;

import dev.edgecompress.exporter.ExportOptions;
import dev.edgecompress.exporter.ModelExporter;
import dev.edgecompress.exporter.UnloadableModelException;
import dev.edgecompress.exporter.WrittenModel;
import dev.edgecompress.exporter.validation.Gate;
import dev.edgecompress.exporter.validation.Validation;
import dev.edgecompress.exporter.validation.ValidationReport;
import dev.edgecompress.importer.ModelFormatException;
import dev.edgecompress.importer.ModelImporter;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.data.DataFormatException;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.passes.ActivationSource;
import dev.edgecompress.passes.Cleanup;
import dev.edgecompress.passes.Pass;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassPipeline;
import dev.edgecompress.passes.cleanup.NormalizePass;
import dev.edgecompress.passes.finetune.FineTuneConfig;
import dev.edgecompress.passes.finetune.Trainer;
import dev.edgecompress.passes.opset.OpsetUpgradePass;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.SyntheticInputs;
import dev.edgecompress.runtime.training.TrainingDevice;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * The compression pipeline as a library, for deployment tooling:
 *
 * <pre>{@code
 * Compressor compressor = Compressor.load(Path.of("model.onnx")).prune("l1", 0.8);
 * compressor.export(Path.of("model.pruned.onnx"));
 * ValidationReport report = compressor.validate(Path.of("test.npz"),
 *         List.of(new Gate(Gate.Kind.MAX_ACCURACY_DROP, 1.0)));
 * }</pre>
 *
 * Passes run in the order they are added, when the model is exported; when any compression pass
 * ran, the cleanup passes follow (BatchNormalization folding, dead code removal, ...). With no
 * passes, export writes a lossless copy. Not thread-safe.
 */
public final class Compressor {

    private final Path source;
    private final Model model;
    private final List<Pass> passes = new ArrayList<>();
    /** The quantize step whose choices are measured ({@link MeasuredQuantization}), and its pass; null if none. */
    private Step.Quantize measured;
    private Pass measuredPass;
    /** The batch sizes keep_faster times at; null for its default. */
    private List<Integer> latencyBatches;
    /** How the training steps added train, checked against the data given before any pass runs. */
    private final List<FineTuneConfig> trainings = new ArrayList<>();
    /** Whether a cluster step came before: training after it keeps the shared values. */
    private boolean clustered;
    private List<PassPipeline.Step> steps;
    private Path exported;
    private PassContext context = PassContext.quiet();
    private ActivationSource activations;
    private Cluster cluster;
    private Dataset calibrationData;
    private SyntheticInputs.Overrides inputs = SyntheticInputs.Overrides.NONE;
    /** Runs models on probe inputs: the opset upgrade's check, then the written model's. */
    private RuntimeModelRunner runner;
    private Dataset training;
    private Dataset heldOut;
    private TrainingDevice device;
    private double stopAtAccuracy = Double.NaN;
    private Path checkpoints;
    private Consumer<String> log = line -> { };

    /** Samples per ONNX Runtime call while calibrating. */
    static final int CALIBRATION_BATCH = 64;

    private Compressor(Path source, Model model) {
        this.source = source;
        this.model = model;
    }

    public static Compressor load(Path model) throws ModelFormatException {
        return new Compressor(model, ModelImporter.load(model));
    }

    /** Unstructured pruning: {@code method} "magnitude" (per weight) or "l1" (one global threshold). */
    public Compressor prune(String method, double sparsity) {
        return step(StepParser.parse("prune", Map.of("method", method, "sparsity", sparsity)));
    }

    /** int8 quantization: {@code mode} "static" (needs {@link #calibration}) or "dynamic". */
    public Compressor quantize(String mode) {
        return step(StepParser.parse("quantize", Map.of("mode", mode)));
    }

    /**
     * The data static quantization calibrates on (checked against the model's inputs now).
     *
     * @throws DataFormatException when the data does not fit the model
     */
    public Compressor calibration(Dataset data) throws DataFormatException, IOException {
        requireNotRun();
        this.activations = RuntimeActivationSource.checked(model, data, CALIBRATION_BATCH);
        this.calibrationData = data;
        return this;
    }

    /**
     * Gathers calibration statistics over {@code computers} (their ranges are exactly the ones this
     * process would find); other uses of the calibration data run here.
     */
    public Compressor cluster(Cluster computers) {
        requireNotRun();
        this.cluster = computers;
        return this;
    }

    /**
     * Shapes for the dynamic dimensions of made-up inputs, and values for integer inputs: what
     * checks run on (an operator set upgrade is checked on ONNX Runtime) when no data is given.
     */
    public Compressor inputs(SyntheticInputs.Overrides overrides) {
        requireNotRun();
        this.inputs = overrides;
        return this;
    }

    /**
     * The batch sizes the model will run at: where a quantize step with {@code keep_faster} times
     * int8 against float (a node stays float when that is faster at one of them and slower at none;
     * without this call at 1 and 64, or 1 and 8 for samples of more than 65,536 values), and where
     * {@link #validation} times the result.
     */
    public Compressor latencyBatches(List<Integer> sizes) {
        requireNotRun();
        if (sizes.isEmpty() || sizes.stream().anyMatch(b -> b < 1)) {
            throw new SettingException("batch", "needs positive batch sizes, got " + sizes);
        }
        this.latencyBatches = List.copyOf(sizes);
        return this;
    }

    /**
     * The data the fine-tuning step trains on: labelled, or unlabelled where the step learns from
     * the original model alone ({@code distill} 1; the teacher is the model loaded).
     */
    public Compressor training(Dataset data) {
        return training(data, null);
    }

    /**
     * The data fine-tuning and quantization-aware training train on, as {@link #training(Dataset)},
     * and labelled held-out data to measure top-1 accuracy on after every epoch (null: none).
     */
    public Compressor training(Dataset data, Dataset heldOut) {
        requireNotRun();
        this.training = data;
        this.heldOut = heldOut;
        return this;
    }

    /**
     * The held-out top-1 accuracy at which steps with {@code early_stop} end training (after the
     * epoch that reaches it); the command line derives it from the accuracy gate.
     */
    public Compressor stopTrainingAt(double heldOutAccuracy) {
        requireNotRun();
        this.stopAtAccuracy = heldOutAccuracy;
        return this;
    }

    /**
     * A directory for resume-safe training checkpoints: each training step saves its state there
     * after every epoch, and a run interrupted and started again with the same settings, data and
     * model resumes from the last epoch saved, to the same weights.
     */
    public Compressor checkpoints(Path directory) {
        requireNotRun();
        this.checkpoints = directory;
        return this;
    }

    /**
     * Where training runs: {@link TrainingDevice#GPU} fails at run time, naming what is missing,
     * where no GPU can be used. Without this call, the GPU where one can be used, else the CPU.
     */
    public Compressor device(TrainingDevice trainingDevice) {
        requireNotRun();
        this.device = trainingDevice;
        return this;
    }

    /** A step as a recipe names it ({@link StepParser}). */
    public Compressor step(String type, Map<String, Object> params) {
        return step(StepParser.parse(type, params));
    }

    /** A step; one that trains after a {@code cluster} step keeps the shared values ({@link Step#afterClustering}). */
    public Compressor step(Step step) {
        requireNotRun();
        clustered |= step instanceof Step.Cluster;
        step = clustered ? step.afterClustering() : step;
        List<Pass> made = step.passes();
        passes.addAll(made);
        if (step instanceof Step.Quantize quantize && quantize.measured()) {
            if (measured != null) {
                throw new SettingException(quantize.keepFaster() ? "keep_faster" : "per_channel", "one quantize step"
                        + " per run may measure its choices (keep_faster, per_channel=auto)");
            }
            measured = quantize;
            measuredPass = made.get(made.size() - 1);
        }
        if (step.training() != null) {
            trainings.add(step.training());
        }
        return this;
    }

    /** Every step of a recipe, in order. */
    public Compressor recipe(Recipe recipe) {
        recipe.steps().forEach(this::step);
        return this;
    }

    /** Any pass, for passes written outside this library. */
    public Compressor pass(Pass pass) {
        requireNotRun();
        passes.add(pass);
        return this;
    }

    /** Where results worth a log line go as training runs (each epoch's loss, held-out top-1, time). */
    public Compressor log(Consumer<String> lines) {
        this.log = lines;
        return this;
    }

    public Compressor progress(PassContext passContext) {
        this.context = passContext;
        return this;
    }

    /** Runs the pipeline now (export runs it otherwise); returns what each pass did. */
    public List<PassPipeline.Step> run() {
        if (steps == null) {
            checkTrainingSteps();
            PassContext runContext = activations == null ? context : context.withActivations(cluster == null
                    ? activations : cluster.activations(calibrationData, CALIBRATION_BATCH));
            runner = new RuntimeModelRunner(calibrationData != null ? calibrationData : training, inputs);
            runContext = runContext.withRunner(runner);
            if (training != null) {
                TrainingDevice trainingDevice = device == null ? TrainingDevice.best() : device;
                trainingDevice.requireUsable(); // before any pass runs
                Trainer trainer = new RuntimeTrainer(training, source, new RuntimeTrainer.Options(heldOut,
                        trainingDevice, stopAtAccuracy, checkpoints, log));
                runContext = runContext.withTrainer(trainer);
            }
            List<Pass> all = withCleanup(passes);
            steps = measured == null ? new PassPipeline(all).run(model, runContext)
                    : new MeasuredQuantization(all, measuredPass, measured, runContext,
                            calibrationData != null ? calibrationData : training, inputs, latencyBatches).run(model);
        }
        return steps;
    }

    private void checkTrainingSteps() {
        for (FineTuneConfig config : trainings) {
            if (config.earlyStop() && (heldOut == null || Double.isNaN(stopAtAccuracy))) {
                throw new SettingException("early_stop", "needs labelled held-out data (--data) and an accuracy"
                        + " gate (--max-accuracy-drop) to stop at");
            }
            if (training != null && !training.hasLabels() && config.distill() < 1) {
                throw new SettingException("distill", training.source() + " has no 'labels' array; without"
                        + " labels, fine-tuning can only learn from the original model: distill=1");
            }
        }
    }

    /**
     * The passes that run: the ones added, after normalization (weights held in Constant nodes
     * become initializers, so every pass sees them), with cleanup and the operator set upgrade
     * quantization needs before quantization (BatchNormalization folded into the weights it
     * scales), and cleanup after any compression (the weights replaced are dropped).
     */
    static List<Pass> withCleanup(List<Pass> added) {
        List<String> cleanupNames = Cleanup.passes().stream().map(Pass::name).toList();
        boolean compresses = added.stream().anyMatch(p -> !cleanupNames.contains(p.name()));
        List<Pass> all = new ArrayList<>();
        if (compresses) {
            all.add(new NormalizePass());
        }
        for (Pass pass : added) {
            boolean afterCleanup = !all.isEmpty() && cleanupNames.contains(all.get(all.size() - 1).name());
            if (pass.needs().contains(Pass.Need.CLEANUP_BEFORE) && !afterCleanup) {
                all.addAll(Cleanup.passes());
            }
            if (pass.needs().contains(Pass.Need.QUANTIZATION_OPSET)) {
                all.add(new OpsetUpgradePass(OpsetUpgradePass.QUANTIZATION_OPSET));
            }
            all.add(pass);
        }
        boolean endsWithCleanup = !all.isEmpty() && cleanupNames.contains(all.get(all.size() - 1).name());
        if (compresses && !endsWithCleanup) {
            all.addAll(Cleanup.passes());
        }
        return all;
    }

    /** The model, after the pipeline ran. */
    public Model model() {
        run();
        return model;
    }

    public WrittenModel export(Path out) throws IOException {
        return export(out, ExportOptions.defaults());
    }

    /**
     * Runs the pipeline and writes the model, atomically, once ONNX Runtime has loaded it: a model
     * it cannot load is never written ({@link UnloadableModelException}).
     */
    public WrittenModel export(Path out, ExportOptions options) throws IOException {
        run();
        WrittenModel written = ModelExporter.write(model, out, options, this::requireLoadable);
        exported = out;
        return written;
    }

    private void requireLoadable(Path file) throws UnloadableModelException {
        String problem = InferenceSession.loadProblem(file);
        if (problem == null && !passes.isEmpty()) {
            // Some faults (a bias that no longer matches its convolution) show only when the model runs;
            // inputs the original cannot run on either (a negative OneHot depth, made up) prove nothing.
            problem = runner.runProblem(model);
            if (problem != null && runner.runProblem(source) != null) {
                problem = null;
            }
        }
        if (problem == null) {
            return;
        }
        String inputProblem = InferenceSession.loadProblem(source);
        if (inputProblem != null) {
            throw new UnloadableModelException(source + ": ONNX Runtime cannot load this model: " + inputProblem,
                    true, null);
        }
        String last = steps.isEmpty() ? "none" : steps.get(steps.size() - 1).pass();
        List<String> passNames = steps.stream().map(PassPipeline.Step::pass).toList();
        throw new UnloadableModelException("ONNX Runtime cannot load or run the model the passes produced ("
                + String.join(", ", passNames) + "; last: " + last + "), so nothing was written: " + problem, false,
                null);
    }

    /** Validates the exported model against the original on {@code data} with default settings. */
    public ValidationReport validate(Path data, List<Gate> gates)
            throws ModelFormatException, DataFormatException, IOException {
        return validation().data(data).gates(gates).run().withSteps(run());
    }

    /**
     * A validation of the exported model against the original, timed at {@link #latencyBatches}
     * when given, to configure further.
     */
    public Validation validation() {
        if (exported == null) {
            throw new IllegalStateException("export the model before validating it");
        }
        Validation validation = Validation.of(source, exported);
        return latencyBatches == null ? validation : validation.latencyBatches(latencyBatches);
    }

    private void requireNotRun() {
        if (steps != null) {
            throw new IllegalStateException("the pipeline already ran");
        }
    }
}
