package dev.edgecompress.cli;

import dev.edgecompress.exporter.Compressor;
import dev.edgecompress.exporter.QuantizationSensitivity;
import dev.edgecompress.exporter.ExportOptions;
import dev.edgecompress.exporter.Recipe;
import dev.edgecompress.exporter.UnloadableModelException;
import dev.edgecompress.exporter.WrittenModel;
import dev.edgecompress.exporter.validation.Gate;
import dev.edgecompress.exporter.validation.ValidationReport;
import dev.edgecompress.passes.PassConfigException;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassPipeline;
import dev.edgecompress.passes.Steps;
import dev.edgecompress.runtime.Evaluation;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.Progress;
import dev.edgecompress.runtime.SessionConfig;
import dev.edgecompress.runtime.SyntheticInputs;
import dev.edgecompress.runtime.data.DataFormatException;
import dev.edgecompress.runtime.data.Dataset;
import dev.edgecompress.runtime.training.TrainingDevice;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Function;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code edgecompress compress MODEL -o OUT [--prune METHOD:SPARSITY]... | [--recipe FILE]}:
 * imports, runs the pipeline, exports, and validates against the input when data, gates or a
 * report are asked for. With no pass options it writes a lossless copy.
 */
final class CompressCommand implements Command {

    @Override
    public String name() {
        return "compress";
    }

    @Override
    public String synopsis() {
        return "MODEL -o OUT [--prune METHOD:SPARSITY]... [--recipe FILE.json] [--data DATA] [gates]"
                + " [--report FILE.json]";
    }

    @Override
    public String summary() {
        return "compress a model, write it, validate it (no pass options: a lossless copy)";
    }

    @Override
    public Options options() {
        Options options = new Options()
                .addOption(Option.builder("o").longOpt("output").hasArg().argName("OUT").required()
                        .desc("the model to write; its external data, if any, goes to OUT.data").get())
                .addOption(Option.builder().longOpt("prune").hasArg().argName("METHOD:SPARSITY")
                        .desc("unstructured pruning: magnitude (per weight) or l1 (one global threshold, as"
                                + " PyTorch's global_unstructured), for example l1:0.8; repeatable").get())
                .addOption(Option.builder().longOpt("low-rank").hasArg().argName("energy:E|ratio:R|budget:B")
                        .desc("SVD low-rank factorization of Gemm, MatMul and Conv weights: keep the fraction E of"
                                + " singular-value energy, the fraction R of each layer's parameters, or the fraction"
                                + " B of all of them, spread over the layers by their spectra").get())
                .addOption(Option.builder().longOpt("finetune").hasArg().argName("epochs=N,lr=X[,batch=B]")
                        .desc("fine-tune the weights on --train after the other passes (pruned weights stay zero);"
                                + " optimizer=adam (default)|sgd|momentum|rmsprop|adagrad, weight_decay=W (L2),"
                                + " decay=constant|cosine (to zero by the end)|step (/10 at 50% and 75%);"
                                + " distill=A[,temperature=T] learns the share A from the original model's outputs;"
                                + " early_stop=1 ends at the first epoch meeting --max-accuracy-drop on --data;"
                                + " batch_norm=train (default)|frozen;"
                                + " add final_sparsity=S,end_step=T[,begin_step=,frequency=,"
                                + "initial_sparsity=,power=] to prune gradually (global L1) while training").get())
                .addOption(Option.builder().longOpt("device").hasArg().argName("auto|cpu|gpu")
                        .desc("where training runs: auto (default: the GPU where TensorFlow can use one, else the"
                                + " CPU), cpu, or gpu (fails, saying what is missing, without one); the report names"
                                + " the device that ran").get())
                .addOption(Option.builder().longOpt("checkpoint").hasArg().argName("DIR")
                        .desc("save training state to DIR after every epoch; run the same command again after an"
                                + " interruption and training resumes from the last epoch saved").get())
                .addOption(Option.builder().longOpt("train").hasArg().argName("DATA")
                        .desc("training data for --finetune and --quantize qat (.npz; with 'labels' unless distill=1)")
                        .get())
                .addOption(Option.builder().longOpt("quantize").hasArg().argName("MODE")
                        .desc("int8 quantization: static (QDQ; calibrated on --calib), dynamic, or qat"
                                + "[,epochs=N,lr=X,...] (quantization-aware training on --train, as --finetune takes"
                                + " it, then static QDQ with the trained ranges; default epochs=2,lr=0.00001)").get())
                .addOption(Option.builder().longOpt("calibration").hasArg().argName("METHOD")
                        .desc("how static quantization picks activation ranges: minmax (default), percentile"
                                + " (99.999%), entropy (KL), mse (least squared error)").get())
                .addOption(Option.builder().longOpt("per-tensor")
                        .desc("one scale per weight instead of one per output channel").get())
                .addOption(Option.builder().longOpt("exclude").hasArg().argName("NAMES")
                        .desc("node names or op types to leave in float, comma-separated").get())
                .addOption(Option.builder().longOpt("sensitivity")
                        .desc("rank the quantized nodes by the damage each does alone (on --data), and print it")
                        .get())
                .addOption(Option.builder().longOpt("calib").hasArg().argName("DATA")
                        .desc("calibration data for static quantization and QAT (default: 512 samples spread over --train,"
                                + " else over --data)")
                        .get())
                .addOption(Option.builder().longOpt("recipe").hasArg().argName("FILE.json")
                        .desc("the pipeline as a file: ordered steps and gates (see README)").get())
                .addOption(Option.builder().longOpt("external-data").hasArg().argName("MODE")
                        .desc("auto (default): keep tensors where the input had them, and move them out when the"
                                + " model would pass 2 GiB; always: every tensor over the threshold; never").get())
                .addOption(Option.builder().longOpt("sparse-storage")
                        .desc("store mostly-zero weights (under 1/3 non-zeros, as pruning leaves them) as ONNX"
                                + " sparse initializers: values plus indices; ONNX Runtime loads them").get())
                .addOption(Option.builder().longOpt("external-threshold").hasArg().argName("BYTES")
                        .desc("tensors smaller than this stay inside the model file (default "
                                + ExportOptions.DEFAULT_THRESHOLD + ")").get());
        options.addOption(Option.builder().longOpt("fail-on-warning")
                .desc("exit 1 when a pass warns: it changed nothing, or reached only part of what it was asked to"
                        + " (for CI)").get());
        ValidateCommand.addReportOptions(options);
        SharedOptions.addLatency(options);
        SharedOptions.addInputs(options);
        return SharedOptions.addGates(options);
    }

    @Override
    public ExitCode run(CommandLine line, PrintStream out, PrintStream err) throws Exception {
        Path input = Command.modelArgument(line);
        Path output = Path.of(line.getOptionValue("output"));
        ExportOptions exportOptions = exportOptions(line);
        Recipe recipe = recipe(line);
        List<Gate> gates = mergeGates(recipe.gates(), SharedOptions.gates(line));

        Dataset calibration = calibrationData(line, recipe);
        Training trainingRun = training(line, recipe, gates, input);
        SyntheticInputs.Overrides inputs = SharedOptions.inputs(line);
        Compressor compressor = compressor(input, recipe, calibration, trainingRun, inputs)
                .progress(passProgress(err));
        List<PassPipeline.Step> steps = compressor.run();
        WrittenModel written;
        try {
            written = compressor.export(output, exportOptions);
        } catch (UnloadableModelException e) {
            throw e;
        } catch (IOException e) {
            throw new OutputException(output, e.getMessage(), e);
        }
        try {
            return validateWritten(line, out, err, input, recipe, gates, calibration, trainingRun, inputs, compressor,
                    steps, written, exportOptions);
        } catch (Exception | Error e) {
            // A failed run leaves no output behind.
            java.nio.file.Files.deleteIfExists(written.model());
            if (written.externalData() != null) {
                java.nio.file.Files.deleteIfExists(written.externalData());
            }
            throw e;
        }
    }

    private ExitCode validateWritten(CommandLine line, PrintStream out, PrintStream err, Path input, Recipe recipe,
            List<Gate> gates, Dataset calibration, Training trainingRun, SyntheticInputs.Overrides inputs,
            Compressor compressor, List<PassPipeline.Step> steps, WrittenModel written, ExportOptions exportOptions)
            throws Exception {
        Path output = written.model();
        steps.forEach(step -> out.println("step       " + describe(step)));
        List<String> warnings = steps.stream().flatMap(s -> s.warnings().stream()).toList();
        warnings.forEach(w -> err.println("edgecompress: warning: " + w));
        boolean warned = line.hasOption("fail-on-warning") && !warnings.isEmpty();
        out.printf("wrote      %s (%s%s)%n", output, InspectCommand.bytes(written.modelBytes()),
                written.externalBytes() > 0 ? " + " + InspectCommand.bytes(written.externalBytes()) + " external data"
                        : "");
        boolean validate = line.hasOption("data") || !gates.isEmpty() || line.hasOption("report")
                || line.hasOption("markdown") || line.hasOption("junit");
        if (!validate) {
            return warned ? ExitCode.GATE_FAILED : ExitCode.OK;
        }
        for (Gate gate : gates) {
            if (gate.kind().needsData() && !line.hasOption("data")) {
                throw new UsageException("--" + gate.kind().option() + " needs --data to evaluate on");
            }
        }
        ValidationReport report = ValidateCommand.run(compressor.validation(), line, gates, err).withSteps(steps);
        Map<String, Object> quantizeStep = recipe.quantizeStep();
        boolean accuracyFailed = report.failedGates().stream().anyMatch(g -> g.name().equals("max_accuracy_drop")
                || g.name().equals("min_agreement") || g.name().startsWith("min_sqnr[")
                || g.name().startsWith("min_cosine["));
        if (quantizeStep != null && line.hasOption("data") && (accuracyFailed || line.hasOption("sensitivity"))) {
            Dataset evaluation = Dataset.load(Path.of(line.getOptionValue("data")));
            boolean classes = gates.stream().anyMatch(g -> g.kind() == Gate.Kind.MAX_ACCURACY_DROP
                    || g.kind() == Gate.Kind.MIN_AGREEMENT);
            List<QuantizationSensitivity.NodeSensitivity> ranking = QuantizationSensitivity.rank(input, quantizeStep,
                    calibration, evaluation, classes ? QuantizationSensitivity.Damage.ACCURACY
                            : QuantizationSensitivity.Damage.SIMILARITY);
            printSensitivity(ranking, out);
            List<String> fallback = new ArrayList<>();
            if (accuracyFailed) {
                List<Gate> accuracyGates = gates.stream().filter(g -> g.kind().needsData()).toList();
                for (QuantizationSensitivity.NodeSensitivity node : ranking) {
                    fallback.add(node.node());
                    compressor = compressor(input, recipe.withQuantizeExclude(fallback), calibration, trainingRun,
                            inputs);
                    steps = compressor.run();
                    written = compressor.export(output, exportOptions);
                    ValidationReport quick = compressor.validation().data(evaluation).withoutLatency()
                            .gates(accuracyGates).run();
                    out.printf("fallback   %s back to float: %s%n", node.node(), quick.passed() ? "the gates on --data"
                            + " pass" : "still failing");
                    if (quick.passed()) {
                        break;
                    }
                }
                report = ValidateCommand.run(compressor.validation(), line, gates, err).withSteps(steps);
                if (fallback.size() == ranking.size() && !ranking.isEmpty()) {
                    String warning = "the accuracy-aware fallback put all " + ranking.size() + " quantized nodes back"
                            + " to float: no int8 node stays within the gates on this data";
                    err.println("edgecompress: warning: " + warning);
                    report = report.withWarning(warning);
                    warned |= line.hasOption("fail-on-warning");
                }
            }
            report = report.withQuantization(new ValidationReport.Quantization(ranking, fallback));
        }
        ValidateCommand.print(report, out);
        ValidateCommand.writeReports(report, line);
        return report.passed() && !warned ? ExitCode.OK : ExitCode.GATE_FAILED;
    }

    /** What training steps train on, where, until when, and where they keep checkpoints. */
    private record Training(Dataset data, Dataset heldOut, TrainingDevice device, double stopAt, Path checkpoints) {
    }

    /**
     * The training a recipe's training steps need, or null when none trains: --train, --data as
     * held-out data, --device, --checkpoint, and for early stops the accuracy the gate asks for.
     */
    private static Training training(CommandLine line, Recipe recipe, List<Gate> gates, Path input) throws Exception {
        if (!recipe.trains()) {
            return null;
        }
        if (!line.hasOption("train")) {
            throw new UsageException("--finetune and --quantize qat need training data: --train DATA (with"
                    + " labels, or without under distill=1)");
        }
        Dataset data = Dataset.load(Path.of(line.getOptionValue("train")));
        Dataset heldOut = line.hasOption("data") ? Dataset.load(Path.of(line.getOptionValue("data"))) : null;
        double stopAt = Double.NaN;
        for (Gate gate : gates) {
            if (gate.kind() == Gate.Kind.MAX_ACCURACY_DROP && heldOut != null && recipe.stopsEarly()) {
                stopAt = accuracy(input, heldOut) - gate.limit() / 100;
            }
        }
        return new Training(data, heldOut, trainingDevice(line), stopAt,
                line.hasOption("checkpoint") ? Path.of(line.getOptionValue("checkpoint")) : null);
    }

    private static Compressor compressor(Path input, Recipe recipe, Dataset calibration, Training training,
            SyntheticInputs.Overrides inputs) throws Exception {
        Compressor compressor = Compressor.load(input).recipe(recipe).inputs(inputs);
        if (calibration != null) {
            compressor.calibration(calibration);
        }
        if (training != null) {
            compressor.training(training.data(), training.heldOut()).device(training.device())
                    .stopTrainingAt(training.stopAt());
            if (training.checkpoints() != null) {
                compressor.checkpoints(training.checkpoints());
            }
        }
        return compressor;
    }

    private static void printSensitivity(List<QuantizationSensitivity.NodeSensitivity> ranking, PrintStream out) {
        out.println("sensitivity (each node quantized alone, most damaging first):");
        out.printf("  %-28s %-8s %14s %10s %10s%n", "node", "op", "accuracy drop", "agreement", "SQNR dB");
        for (QuantizationSensitivity.NodeSensitivity s : ranking) {
            out.printf("  %-28s %-8s %14s %10.4f %10s%n", s.node(), s.opType(),
                    Double.isNaN(s.accuracyDrop()) ? "n/a" : String.format("%.2f pt", s.accuracyDrop()), s.agreement(),
                    s.sqnrDb() == null ? "inf" : String.format("%.1f", s.sqnrDb()));
        }
    }

    /** The model's top-1 accuracy on {@code data}, on ONNX Runtime: what an early stop aims at. */
    private static double accuracy(Path model, Dataset data) {
        try (InferenceSession session = InferenceSession.open(model, SessionConfig.defaults())) {
            return Evaluation.run(session, null, data, EVALUATION_BATCH, Progress.NONE).referenceAccuracy();
        } catch (DataFormatException e) {
            throw new PassConfigException("early_stop", e.getMessage());
        }
    }

    private static final int EVALUATION_BATCH = 256;

    private static TrainingDevice trainingDevice(CommandLine line) throws UsageException {
        try {
            return TrainingDevice.parse(line.getOptionValue("device", "auto"));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--device: " + e.getMessage());
        }
    }

    /** Calibration samples when a step quantizes statically: --calib, else a sample of --train or --data. */
    private static Dataset calibrationData(CommandLine line, Recipe recipe) throws Exception {
        boolean needed = recipe.steps().stream().anyMatch(s -> s.type().equals("quantize")
                && !"dynamic".equals(s.params().getOrDefault("mode", "static")));
        if (!needed) {
            return null;
        }
        if (line.hasOption("calib")) {
            return Dataset.load(Path.of(line.getOptionValue("calib")));
        }
        // Training data first: the held-out data is for judging the result, not for shaping it.
        for (String option : List.of("train", "data")) {
            if (line.hasOption(option)) {
                return Dataset.load(Path.of(line.getOptionValue(option))).sample(CALIBRATION_SAMPLES);
            }
        }
        throw new UsageException("static quantization needs calibration data: --calib DATA (or --train or --data to"
                + " sample from)");
    }

    /** Samples taken from --train or --data for calibration when no --calib is given. */
    static final int CALIBRATION_SAMPLES = 512;

    /** The recipe file, or the recipe the pass options stand for; never both. */
    private static Recipe recipe(CommandLine line) throws Exception {
        String[] prunes = line.getOptionValues("prune");
        boolean passOptions = prunes != null || line.hasOption("quantize") || line.hasOption("low-rank")
                || line.hasOption("finetune");
        if (line.hasOption("recipe")) {
            if (passOptions) {
                throw new UsageException("give the passes either in --recipe or as options, not both");
            }
            return Recipe.read(Path.of(line.getOptionValue("recipe")));
        }
        List<Recipe.Step> steps = new ArrayList<>();
        for (String prune : prunes == null ? new String[0] : prunes) {
            steps.add(optionStep("prune", prune, Steps::pruneOption));
        }
        if (line.hasOption("low-rank")) {
            steps.add(optionStep("low-rank", line.getOptionValue("low-rank"), Steps::lowRankOption));
        }
        if (line.hasOption("finetune")) {
            steps.add(optionStep("finetune", line.getOptionValue("finetune"), Steps::finetuneOption));
        }
        if (line.hasOption("quantize")) {
            Map<String, Object> params;
            try {
                params = Steps.quantizeOption(line.getOptionValue("quantize"));
            } catch (PassConfigException e) {
                throw new UsageException("--quantize: " + e.getMessage());
            }
            if (line.hasOption("calibration")) {
                params.put("calibration", line.getOptionValue("calibration"));
            }
            if (line.hasOption("per-tensor")) {
                params.put("per_channel", false);
            }
            if (line.hasOption("exclude")) {
                params.put("exclude", List.of(line.getOptionValue("exclude").split(",")));
            }
            try {
                Steps.create("quantize", params);
            } catch (PassConfigException e) {
                throw new UsageException("--quantize: " + e.getMessage());
            }
            steps.add(new Recipe.Step("quantize", params));
        }
        return new Recipe(steps, List.of());
    }

    /**
     * The step {@code --type value} stands for (the option is named as the step type), checked now
     * so a bad value is a usage error.
     */
    private static Recipe.Step optionStep(String type, String value, Function<String, Map<String, Object>> parse)
            throws UsageException {
        try {
            Map<String, Object> params = parse.apply(value);
            Steps.create(type, params);
            return new Recipe.Step(type, params);
        } catch (PassConfigException e) {
            throw new UsageException("--" + type + " " + value + ": " + e.getMessage());
        }
    }

    /** Recipe gates, with command-line gates of the same kind taking their place. */
    private static List<Gate> mergeGates(List<Gate> fromRecipe, List<Gate> fromOptions) {
        Map<Gate.Kind, Gate> gates = new LinkedHashMap<>();
        fromRecipe.forEach(g -> gates.put(g.kind(), g));
        fromOptions.forEach(g -> gates.put(g.kind(), g));
        return new ArrayList<>(gates.values());
    }

    private static PassContext passProgress(PrintStream err) {
        var progress = TerminalProgress.on(err);
        return PassContext.reportingTo((task, fraction) -> progress.update(task, Math.round(fraction * 100), 100));
    }

    private static String describe(PassPipeline.Step step) {
        StringBuilder text = new StringBuilder(String.format(Locale.ROOT, "%-18s %6.2f s", step.pass(), step.seconds()));
        if (step.changed().isEmpty()) {
            return text.append("  (no change)").toString();
        }
        Object nonzeros = step.changed().get("nonzero_parameters");
        Object nodes = step.changed().get("nodes");
        if (nonzeros instanceof List<?> nz && !nz.get(0).equals(nz.get(1))) {
            text.append(String.format("  non-zero parameters %,d -> %,d", nz.get(0), nz.get(1)));
        }
        if (nodes instanceof List<?> n && !n.get(0).equals(n.get(1))) {
            text.append(String.format("  nodes %d -> %d", n.get(0), n.get(1)));
        }
        return text.toString();
    }

    private static ExportOptions exportOptions(CommandLine line) throws UsageException {
        ExportOptions.ExternalData mode = ExportOptions.ExternalData.AUTO;
        if (line.hasOption("external-data")) {
            String value = line.getOptionValue("external-data");
            try {
                mode = ExportOptions.ExternalData.valueOf(value.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--external-data must be auto, always or never, not '" + value + "'");
            }
        }
        long threshold = ExportOptions.DEFAULT_THRESHOLD;
        if (line.hasOption("external-threshold")) {
            String value = line.getOptionValue("external-threshold");
            try {
                threshold = Long.parseLong(value);
            } catch (NumberFormatException e) {
                threshold = -1;
            }
            if (threshold < 0) {
                throw new UsageException("--external-threshold must be a byte count, not '" + value + "'");
            }
        }
        return new ExportOptions(mode, threshold, line.hasOption("sparse-storage"));
    }
}
