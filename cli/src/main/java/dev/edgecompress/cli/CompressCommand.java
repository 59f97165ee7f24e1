package dev.edgecompress.cli;

import dev.edgecompress.exporter.ExportOptions;
import dev.edgecompress.exporter.UnloadableModelException;
import dev.edgecompress.exporter.WrittenModel;
import dev.edgecompress.exporter.validation.Gate;
import dev.edgecompress.exporter.validation.NodeSensitivity;
import dev.edgecompress.exporter.validation.ValidationReport;
import dev.edgecompress.ir.SettingException;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassPipeline;
import dev.edgecompress.pipeline.Cluster;
import dev.edgecompress.pipeline.CompressionJob;
import dev.edgecompress.pipeline.Recipe;
import dev.edgecompress.pipeline.Step;
import dev.edgecompress.pipeline.StepParser;
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
                .addOption(Option.builder().longOpt("cluster").hasArg().argName("K")
                        .desc("weight sharing: the non-zero values of each prunable weight replaced by the nearest of K"
                                + " k-means centroids (zeros stay zero), after pruning and fine-tuning, before"
                                + " quantization; K[,per=channel][,init=linear]").get())
                .addOption(Option.builder().longOpt("quantize").hasArg().argName("MODE")
                        .desc("int8 quantization: static (QDQ; calibrated on --calib), dynamic, or qat"
                                + "[,epochs=N,lr=X,...] (quantization-aware training on --train, as --finetune takes"
                                + " it, then static QDQ with the trained ranges; default epochs=2,lr=0.00001);"
                                + " static,keep_faster=1 leaves float the weighted nodes whose int8 form runs slower on"
                                + " ONNX Runtime at the --batch sizes (default 1 and 64, 1 and 8 for large inputs):"
                                + " float where faster at one and slower at none; static,per_channel=auto takes Gemm and"
                                + " MatMul weights per tensor (faster on ONNX Runtime) where the outputs on --calib keep"
                                + " their SQNR within 1 dB; fuse=0 keeps attention, LayerNorm and GELU"
                                + " as standard ONNX operators instead of ONNX Runtime's fused kernels;"
                                + " fp16[,keep_io=0][,compute=fp32]: float16 weights and arithmetic, float32 inputs and"
                                + " outputs unless keep_io=0, reductions and softmax kept float32 (--exclude adds node"
                                + " names or op types); compute=fp32 stores float16 weights widened as the model loads,"
                                + " for execution providers without fast float16 kernels (ONNX Runtime's CPU);"
                                + " int4[,block=32|64|128][,method=rtn|hqq|gptq][,format=matmulnbits|qdq]"
                                + "[,accuracy_level=4]: 4-bit weight-only MatMul and Gemm (gptq calibrates on --calib;"
                                + " qdq needs operator set 21)").get())
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
        SharedOptions.addCluster(options, "calibrate and evaluate");
        return SharedOptions.addGates(options);
    }

    @Override
    public ExitCode run(CommandLine line, PrintStream out, PrintStream err) throws Exception {
        Path input = Command.modelArgument(line);
        Path output = Path.of(line.getOptionValue("output"));
        Recipe recipe = recipe(line);
        List<Gate> gates = mergeGates(recipe.gates(), SharedOptions.gates(line));
        ValidateCommand.requireDataForGates(line, gates);
        ValidateCommand.Settings validation = ValidateCommand.Settings.of(line);
        CompressionJob job = CompressionJob.of(input, output, recipe).gates(gates)
                .calibrationData(SharedOptions.path(line, "calib")).trainingData(SharedOptions.path(line, "train"))
                .evaluationData(SharedOptions.path(line, "data")).device(trainingDevice(line))
                .checkpoints(SharedOptions.path(line, "checkpoint"))
                .inputs(SharedOptions.inputs(line)).export(exportOptions(line))
                .latencyBatches(line.hasOption("batch") ? validation.batches() : null)
                .validate(line.hasOption("report") || line.hasOption("markdown") || line.hasOption("junit"))
                .sensitivity(line.hasOption("sensitivity"))
                .validation(v -> validation.apply(v, err))
                .progress(passProgress(err))
                .log(text -> {
                    TerminalProgress.clearLine(err);
                    err.println("edgecompress: " + text);
                });
        CompressionJob.Result result;
        try (Cluster cluster = SharedOptions.cluster(line)) {
            if (cluster != null) {
                job.cluster(cluster);
            }
            result = job.run();
        } catch (SettingException e) {
            if (List.of("train", "calib", "data").contains(e.field())) {
                throw new UsageException("--" + e.getMessage());
            }
            throw e;
        } catch (UnloadableModelException e) {
            throw e;
        } catch (IOException e) {
            throw new OutputException(output, e.getMessage(), e);
        }
        result.steps().forEach(step -> out.println("step       " + describe(step)));
        result.warnings().forEach(w -> err.println("edgecompress: warning: " + w));
        boolean warned = line.hasOption("fail-on-warning") && !result.warnings().isEmpty();
        WrittenModel written = result.written();
        out.printf("wrote      %s (%s%s)%n", written.model(), InspectCommand.bytes(written.modelBytes()),
                written.externalBytes() > 0 ? " + " + InspectCommand.bytes(written.externalBytes()) + " external data"
                        : "");
        ValidationReport report = result.report();
        if (report == null) {
            return warned ? ExitCode.GATE_FAILED : ExitCode.OK;
        }
        if (!result.sensitivity().isEmpty()) {
            printSensitivity(result.sensitivity(), out);
        }
        result.fallback().forEach(f -> out.printf("fallback   %s back to float: %s%n", f.node(),
                f.gatesPass() ? "the gates on --data pass" : "still failing"));
        ValidateCommand.print(report, out);
        ValidateCommand.writeReports(report, line);
        return report.passed() && !warned ? ExitCode.OK : ExitCode.GATE_FAILED;
    }


    private static void printSensitivity(List<NodeSensitivity> ranking, PrintStream out) {
        out.println("sensitivity (each node quantized alone, most damaging first):");
        out.printf("  %-28s %-8s %14s %10s %10s%n", "node", "op", "accuracy drop", "agreement", "SQNR dB");
        for (NodeSensitivity s : ranking) {
            out.printf("  %-28s %-8s %14s %10.4f %10s%n", s.node(), s.opType(),
                    Double.isNaN(s.accuracyDrop()) ? "n/a" : String.format("%.2f pt", s.accuracyDrop()), s.agreement(),
                    s.sqnrDb() == null ? "inf" : String.format("%.1f", s.sqnrDb()));
        }
    }

    private static TrainingDevice trainingDevice(CommandLine line) throws UsageException {
        if (!line.hasOption("device")) {
            return null;
        }
        try {
            return TrainingDevice.parse(line.getOptionValue("device"));
        } catch (IllegalArgumentException e) {
            throw new UsageException("--device: " + e.getMessage());
        }
    }

    /** The recipe file, or the recipe the pass options stand for; never both. */
    private static Recipe recipe(CommandLine line) throws Exception {
        String[] prunes = line.getOptionValues("prune");
        boolean passOptions = prunes != null || line.hasOption("quantize") || line.hasOption("low-rank")
                || line.hasOption("finetune") || line.hasOption("cluster");
        if (line.hasOption("recipe")) {
            if (passOptions) {
                throw new UsageException("give the passes either in --recipe or as options, not both");
            }
            return Recipe.read(Path.of(line.getOptionValue("recipe")));
        }
        List<Step> steps = new ArrayList<>();
        for (String prune : prunes == null ? new String[0] : prunes) {
            steps.add(optionStep("prune", prune, StepParser::pruneOption));
        }
        if (line.hasOption("low-rank")) {
            steps.add(optionStep("low-rank", line.getOptionValue("low-rank"), StepParser::lowRankOption));
        }
        if (line.hasOption("finetune")) {
            steps.add(optionStep("finetune", line.getOptionValue("finetune"), StepParser::finetuneOption));
        }
        if (line.hasOption("cluster")) {
            steps.add(optionStep("cluster", line.getOptionValue("cluster"), StepParser::clusterOption));
        }
        if (line.hasOption("quantize")) {
            steps.add(optionStep("quantize", line.getOptionValue("quantize"), text -> {
                Map<String, Object> params = StepParser.quantizeOption(text);
                if (line.hasOption("calibration")) {
                    params.put("calibration", line.getOptionValue("calibration"));
                }
                if (line.hasOption("per-tensor")) {
                    params.put("per_channel", false);
                }
                if (line.hasOption("exclude")) {
                    params.put("exclude", List.of(line.getOptionValue("exclude").split(",")));
                }
                return params;
            }));
        }
        return new Recipe(steps, List.of());
    }

    /**
     * The step {@code --type value} stands for (the option is named as the step type), read now
     * so a bad value is a usage error.
     */
    private static Step optionStep(String type, String value, Function<String, Map<String, Object>> parse)
            throws UsageException {
        try {
            return StepParser.parse(type, parse.apply(value));
        } catch (SettingException e) {
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
        if (step.changed().get("kept_float") instanceof List<?> kept && !kept.isEmpty()) {
            text.append("  kept float (faster): ").append(kept.stream().map(String::valueOf)
                    .collect(java.util.stream.Collectors.joining(", ")));
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
