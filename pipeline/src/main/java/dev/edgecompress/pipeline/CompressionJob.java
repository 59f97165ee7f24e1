package dev.edgecompress.pipeline;

import dev.edgecompress.exporter.ExportOptions;
import dev.edgecompress.exporter.WrittenModel;
import dev.edgecompress.exporter.validation.Gate;
import dev.edgecompress.exporter.validation.NodeSensitivity;
import dev.edgecompress.exporter.validation.Validation;
import dev.edgecompress.exporter.validation.ValidationReport;
import dev.edgecompress.importer.ModelFormatException;
import dev.edgecompress.importer.data.DataFiles;
import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.data.DataFormatException;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.passes.Pass;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassPipeline;
import dev.edgecompress.runtime.Evaluation;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.Progress;
import dev.edgecompress.runtime.SessionConfig;
import dev.edgecompress.runtime.SyntheticInputs;
import dev.edgecompress.runtime.training.TrainingDevice;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.function.UnaryOperator;

/**
 * One compression from start to end, as {@code edgecompress compress} runs it: the recipe's steps
 * on the input model, the result written (atomically, once ONNX Runtime loads it), then validated
 * against the input when data, gates or a report are asked for. When a quantizing recipe fails an
 * accuracy gate on the evaluation data, the nodes that hurt most go back to float one at a time
 * (the accuracy-aware fallback) until the gates pass. A failed run leaves no output behind.
 *
 * <pre>{@code
 * CompressionJob.Result result = CompressionJob.of(Path.of("model.onnx"), Path.of("model.int8.onnx"),
 *                 new Recipe(List.of(StepParser.parse("quantize", Map.of("mode", "static"))), List.of()))
 *         .calibrationData(Path.of("calib.npz"))
 *         .evaluationData(Path.of("test.npz"))
 *         .gates(List.of(new Gate(Gate.Kind.MAX_ACCURACY_DROP, 1.0)))
 *         .run();
 * }</pre>
 *
 * Data problems throw {@link SettingException} naming the data that is missing: {@code train},
 * {@code calib} or {@code data}.
 */
public final class CompressionJob {

    /** Samples taken from the training or evaluation data for calibration when no calibration data is given. */
    public static final int CALIBRATION_SAMPLES = 512;

    private static final int EVALUATION_BATCH = 256;

    private final Path input;
    private final Path output;
    private final Recipe recipe;
    private List<Gate> gates = List.of();
    private Path calibrationFile;
    private Path trainingFile;
    private Path evaluationFile;
    private TrainingDevice device;
    private Path checkpoints;
    private SyntheticInputs.Overrides inputs = SyntheticInputs.Overrides.NONE;
    private List<Integer> latencyBatches;
    private ExportOptions exportOptions = ExportOptions.defaults();
    private boolean validate;
    private boolean sensitivity;
    private boolean fallback = true;
    private Cluster cluster;
    private UnaryOperator<Validation> validationSettings = UnaryOperator.identity();
    private PassContext progress = PassContext.quiet();
    private Consumer<String> log = line -> { };

    private CompressionJob(Path input, Path output, Recipe recipe) {
        this.input = input;
        this.output = output;
        this.recipe = recipe;
    }

    /** Compresses {@code input} by {@code recipe} (its steps, and its gates unless {@link #gates} replaces them). */
    public static CompressionJob of(Path input, Path output, Recipe recipe) {
        CompressionJob job = new CompressionJob(input, output, recipe);
        job.gates = recipe.gates();
        return job;
    }

    /** The gates the written model must pass (by default the recipe's). */
    public CompressionJob gates(List<Gate> checks) {
        this.gates = List.copyOf(checks);
        return this;
    }

    /** Calibration data for static quantization and QAT (default: a sample of the training, else evaluation data). */
    public CompressionJob calibrationData(Path file) {
        this.calibrationFile = file;
        return this;
    }

    /** Training data for fine-tuning and quantization-aware training. */
    public CompressionJob trainingData(Path file) {
        this.trainingFile = file;
        return this;
    }

    /** Labelled held-out data: validation and the fallback evaluate on it, training measures accuracy on it. */
    public CompressionJob evaluationData(Path file) {
        this.evaluationFile = file;
        return this;
    }

    /** Where training runs (default: the GPU where TensorFlow can use one, else the CPU). */
    public CompressionJob device(TrainingDevice trainingDevice) {
        this.device = trainingDevice;
        return this;
    }

    /** A directory for resume-safe training checkpoints ({@link Compressor#checkpoints}). */
    public CompressionJob checkpoints(Path directory) {
        this.checkpoints = directory;
        return this;
    }

    /**
     * The batch sizes the model will run at: keep_faster and validation time them
     * ({@link Compressor#latencyBatches}).
     */
    public CompressionJob latencyBatches(List<Integer> sizes) {
        this.latencyBatches = sizes;
        return this;
    }

    /** Shapes and values for made-up inputs ({@link Compressor#inputs}). */
    public CompressionJob inputs(SyntheticInputs.Overrides overrides) {
        this.inputs = overrides;
        return this;
    }

    public CompressionJob export(ExportOptions options) {
        this.exportOptions = options;
        return this;
    }

    /** Validates the written model even without data or gates (to write a report). */
    public CompressionJob validate(boolean always) {
        this.validate = always;
        return this;
    }

    /** Ranks the quantized nodes by the damage each does alone on the evaluation data, gates failing or not. */
    public CompressionJob sensitivity(boolean rank) {
        this.sensitivity = rank;
        return this;
    }

    /**
     * Whether a quantizing recipe that fails an accuracy gate puts its most damaging nodes back to
     * float until the gates pass (default true); without, the failure is the result.
     */
    public CompressionJob fallback(boolean enabled) {
        this.fallback = enabled;
        return this;
    }

    /**
     * Calibrates and validates over {@code computers}, the data split into parts whose statistics
     * merge exactly: the numbers of a run here. Training, the fallback's per-node evaluations and
     * latency stay here.
     */
    public CompressionJob cluster(Cluster computers) {
        this.cluster = Objects.requireNonNull(computers);
        return this;
    }

    /** Execution providers, latency settings, progress and the like of the validation. */
    public CompressionJob validation(UnaryOperator<Validation> settings) {
        this.validationSettings = settings;
        return this;
    }

    /** Where results worth a log line go (each training epoch's loss, held-out top-1, time). */
    public CompressionJob log(Consumer<String> lines) {
        this.log = lines;
        return this;
    }

    public CompressionJob progress(PassContext passContext) {
        this.progress = passContext;
        return this;
    }

    /**
     * What a compression did.
     *
     * @param steps what each pass of the final pipeline did
     * @param written the model written
     * @param report the validation of the written model, or null when none was asked for
     * @param sensitivity the quantized nodes, most damaging first, or empty when not ranked
     * @param fallback the nodes put back to float, in order, each with whether the gates passed after it
     * @param warnings what the compression did less of than asked: the passes' warnings (a pass
     *     that changed nothing or reached only part of the model) and a fallback that put every
     *     quantized node back to float; the report's own warnings (latency) are in the report
     */
    public record Result(List<PassPipeline.Step> steps, WrittenModel written, ValidationReport report,
            List<NodeSensitivity> sensitivity, List<Fallback> fallback, List<String> warnings) {

        public Result {
            warnings = List.copyOf(warnings);
        }

        Result(List<PassPipeline.Step> steps, WrittenModel written, ValidationReport report) {
            this(steps, written, report, List.of(), List.of(), stepWarnings(steps));
        }

        private static List<String> stepWarnings(List<PassPipeline.Step> steps) {
            return steps.stream().flatMap(s -> s.warnings().stream()).toList();
        }
    }

    /** One node put back to float by the fallback, and whether the accuracy gates passed after it. */
    public record Fallback(String node, boolean gatesPass) {
    }

    /** Runs the job: compress, write, validate, fall back; on any failure nothing stays written. */
    public Result run() throws ModelFormatException, DataFormatException, IOException {
        boolean evaluates = validate || evaluationFile != null || !gates.isEmpty();
        for (Gate gate : gates) {
            if (gate.kind().needsData() && evaluationFile == null) {
                throw new SettingException("data", "the " + gate.kind().reportName() + " gate needs evaluation data");
            }
        }
        Dataset calibration = calibrationData();
        Training training = training();
        Compressor compressor = compressor(recipe, calibration, training);
        List<PassPipeline.Step> steps = compressor.run();
        WrittenModel written = compressor.export(output, exportOptions);
        try {
            if (!evaluates) {
                return new Result(steps, written, null);
            }
            return validate(compressor, steps, written, calibration, training);
        } catch (IOException | DataFormatException | ModelFormatException | RuntimeException | Error e) {
            Files.deleteIfExists(written.model());
            if (written.externalData() != null) {
                Files.deleteIfExists(written.externalData());
            }
            throw e;
        }
    }

    private Result validate(Compressor compressor, List<PassPipeline.Step> steps, WrittenModel written,
            Dataset calibration, Training training) throws ModelFormatException, DataFormatException, IOException {
        ValidationReport report = validation(compressor).run().withSteps(steps);
        Step.Quantize quantizeStep = recipe.quantizeStep();
        boolean accuracyFailed = report.failedGates().stream().anyMatch(g -> g.name().equals("max_accuracy_drop")
                || g.name().equals("min_agreement") || g.name().startsWith("min_sqnr[")
                || g.name().startsWith("min_cosine["));
        accuracyFailed &= fallback;
        if (quantizeStep == null || evaluationFile == null || !(accuracyFailed || sensitivity)) {
            return new Result(steps, written, report);
        }
        Dataset evaluation = DataFiles.load(evaluationFile);
        boolean classes = gates.stream().anyMatch(g -> g.kind() == Gate.Kind.MAX_ACCURACY_DROP
                || g.kind() == Gate.Kind.MIN_AGREEMENT);
        List<NodeSensitivity> ranking = QuantizationSensitivity.rank(input, quantizeStep, calibration, evaluation,
                classes ? QuantizationSensitivity.Damage.ACCURACY : QuantizationSensitivity.Damage.SIMILARITY);
        List<String> toFloat = new ArrayList<>();
        List<Fallback> fallback = new ArrayList<>();
        if (accuracyFailed) {
            List<Gate> accuracyGates = gates.stream().filter(g -> g.kind().needsData()).toList();
            for (NodeSensitivity node : ranking) {
                toFloat.add(node.node());
                compressor = compressor(recipe.withQuantizeExclude(toFloat), calibration, training);
                steps = compressor.run();
                written = compressor.export(output, exportOptions);
                boolean passes = compressor.validation().data(evaluation).withoutLatency().gates(accuracyGates).run()
                        .passed();
                fallback.add(new Fallback(node.node(), passes));
                if (passes) {
                    break;
                }
            }
            report = validation(compressor).run().withSteps(steps);
        }
        List<String> warnings = new ArrayList<>(Result.stepWarnings(steps));
        if (accuracyFailed && toFloat.size() == ranking.size() && !ranking.isEmpty()) {
            String exhausted = "the accuracy-aware fallback put all " + ranking.size() + " quantized nodes back to"
                    + " float: no int8 node stays within the gates on this data";
            report = report.withWarning(exhausted);
            warnings.add(exhausted);
        }
        report = report.withQuantization(new ValidationReport.Quantization(ranking, toFloat));
        return new Result(steps, written, report, ranking, fallback, warnings);
    }

    private Validation validation(Compressor compressor) {
        Validation validation = validationSettings.apply(compressor.validation()).gates(gates);
        if (cluster != null) {
            validation.evaluations(cluster.evaluations());
        }
        return evaluationFile == null ? validation : validation.data(evaluationFile);
    }

    /** What training steps train on, where, until when, and where they keep checkpoints. */
    private record Training(Dataset data, Dataset heldOut, TrainingDevice device, double stopAt) {
    }

    private Training training() throws DataFormatException {
        if (!recipe.trains()) {
            return null;
        }
        if (trainingFile == null) {
            throw new SettingException("train", "fine-tuning and quantization-aware training need training data"
                    + " (with labels, or without under distill=1)");
        }
        Dataset data = DataFiles.load(trainingFile);
        Dataset heldOut = evaluationFile != null ? DataFiles.load(evaluationFile) : null;
        double stopAt = Double.NaN;
        for (Gate gate : gates) {
            if (gate.kind() == Gate.Kind.MAX_ACCURACY_DROP && heldOut != null && recipe.stopsEarly()) {
                stopAt = accuracy(heldOut) - gate.limit() / 100;
            }
        }
        return new Training(data, heldOut, device, stopAt);
    }

    /** Calibration samples when a step calibrates: the calibration data, else a sample of the training or evaluation data. */
    private Dataset calibrationData() throws DataFormatException {
        if (!recipe.needs(Pass.Need.CALIBRATION_DATA)) {
            return null;
        }
        if (calibrationFile != null) {
            return DataFiles.load(calibrationFile);
        }
        // Training data first: the held-out data is for judging the result, not for shaping it.
        Path sampled = trainingFile != null ? trainingFile : evaluationFile;
        if (sampled == null) {
            throw new SettingException("calib", "static quantization needs calibration data (or training or"
                    + " evaluation data to sample from)");
        }
        return DataFiles.load(sampled).sample(CALIBRATION_SAMPLES);
    }

    private Compressor compressor(Recipe steps, Dataset calibration, Training training)
            throws ModelFormatException, DataFormatException, IOException {
        Compressor compressor = Compressor.load(input).recipe(steps).inputs(inputs).progress(progress).log(log);
        if (calibration != null) {
            compressor.calibration(calibration);
        }
        if (latencyBatches != null) {
            compressor.latencyBatches(latencyBatches);
        }
        if (cluster != null) {
            compressor.cluster(cluster);
        }
        if (training != null) {
            compressor.training(training.data(), training.heldOut()).stopTrainingAt(training.stopAt());
            if (training.device() != null) {
                compressor.device(training.device());
            }
            if (checkpoints != null) {
                compressor.checkpoints(checkpoints);
            }
        }
        return compressor;
    }

    /** The input model's top-1 accuracy on {@code data}, on ONNX Runtime: what an early stop aims at. */
    private double accuracy(Dataset data) {
        try (InferenceSession session = InferenceSession.open(input, SessionConfig.defaults())) {
            return Evaluation.run(session, null, data, EVALUATION_BATCH, Progress.NONE).referenceAccuracy();
        } catch (DataFormatException e) {
            throw new SettingException("early_stop", e.getMessage());
        }
    }
}
