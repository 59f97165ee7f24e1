package dev.edgecompress.cli;

import dev.edgecompress.exporter.validation.Gate;
import dev.edgecompress.pipeline.tune.Objective;
import dev.edgecompress.pipeline.tune.Trial;
import dev.edgecompress.pipeline.Cluster;
import dev.edgecompress.pipeline.tune.TrialRunner;
import dev.edgecompress.pipeline.tune.Tuner;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code edgecompress tune MODEL -o OUT --data D [gates] --budget S}: the best model that passes the
 * gates within a time budget ({@link Tuner}).
 */
final class TuneCommand implements Command {

    @Override
    public String name() {
        return "tune";
    }

    @Override
    public String synopsis() {
        return "MODEL -o OUT --data DATA [--train DATA] [--calib DATA] [gates] [--budget SECONDS]"
                + " [--objective size|latency] [--jobs N] [--report FILE.json]";
    }

    @Override
    public String summary() {
        return "search recipes for the best model that passes the gates, within a time budget";
    }

    @Override
    public Options options() {
        Options options = new Options()
                .addOption(Option.builder("o").longOpt("output").hasArg().argName("OUT").required()
                        .desc("the best model to write; its recipe goes beside it as NAME.recipe.json").get())
                .addOption(Option.builder().longOpt("data").hasArg().argName("DATA")
                        .desc("held-out data every trial is judged on (.npz or ONNX test data folder); required")
                        .get())
                .addOption(Option.builder().longOpt("train").hasArg().argName("DATA")
                        .desc("training data (labels not needed): pruning trials fine-tune " + Tuner.FINE_TUNING_EPOCHS
                                + " epochs on it, learning the original model's outputs")
                        .get())
                .addOption(Option.builder().longOpt("calib").hasArg().argName("DATA")
                        .desc("calibration data for static int8 (default: 512 samples of --train, else --data)").get())
                .addOption(Option.builder().longOpt("budget").hasArg().argName("SECONDS")
                        .desc("time for the search (default 120); no trial starts that is expected to end past it")
                        .get())
                .addOption(Option.builder().longOpt("objective").hasArg().argName("size|latency")
                        .desc("what the winner is best at among the models that pass: size (default: the smallest gzipped"
                        + " file) or latency (the largest speedup)")
                        .get())
                .addOption(Option.builder().longOpt("jobs").hasArg().argName("N")
                        .desc("trials compressed and evaluated at once (default 1); timing stays one at a time")
                        .get())
                .addOption(Option.builder().longOpt("report").hasArg().argName("FILE.json")
                        .desc("write every trial, the Pareto front and the winner as JSON").get());
        SharedOptions.addLatency(options);
        SharedOptions.addInputs(options);
        SharedOptions.addCluster(options, "run the trials as tasks");
        return SharedOptions.addGates(options);
    }

    @Override
    public ExitCode run(CommandLine line, PrintStream out, PrintStream err) throws Exception {
        Path input = Command.modelArgument(line);
        Path output = Path.of(line.getOptionValue("output"));
        if (!line.hasOption("data")) {
            throw new UsageException("--data is required: every trial is judged on it");
        }
        List<Gate> gates = SharedOptions.gates(line);
        if (gates.isEmpty()) {
            throw new UsageException("give at least one gate (--max-accuracy-drop, --max-size, --min-speedup, ...):"
                    + " tune looks for the best model that passes them");
        }
        int budget = SharedOptions.positive("budget", line.getOptionValue("budget", "120"));
        int jobs = SharedOptions.positive("jobs", line.getOptionValue("jobs", "1"));
        Objective objective = Objective.parse(line.getOptionValue("objective", "size"));
        ValidateCommand.Settings latency = ValidateCommand.Settings.of(line);
        Tuner tuner = Tuner.of(input, output).gates(gates).evaluationData(Path.of(line.getOptionValue("data")))
                .trainingData(SharedOptions.path(line, "train")).calibrationData(SharedOptions.path(line, "calib"))
                .budget(Duration.ofSeconds(budget)).objective(objective).jobs(jobs).inputs(latency.inputs())
                .latency(v -> latency.apply(v, err))
                .onTrial(trial -> out.println(describe(trial)));
        Tuner.Result result;
        try (Cluster cluster = SharedOptions.cluster(line)) {
            result = tuner.runner(cluster == null ? TrialRunner.local() : cluster.trials()).run();
        }
        out.printf(Locale.ROOT, "searched   %d trials in %.0f s%s%n", result.trials().size(), result.seconds(),
                result.budgetSpent() ? " (the budget ended the search)" : "");
        out.println("pareto     " + String.join(", ", result.paretoFront().stream()
                .map(t -> "#" + t.number()).toList()));
        if (line.hasOption("report")) {
            writeReport(Path.of(line.getOptionValue("report")), result, objective, budget, output);
        }
        if (result.winner() == null) {
            Trial closest = result.closest();
            err.println("edgecompress: no trial passed the gates" + (closest == null ? "" : "; the closest was #"
                    + closest.number() + " (" + closest.describe() + "): " + String.join("; ",
                    closest.failedGates())));
            return ExitCode.GATE_FAILED;
        }
        out.printf("wrote      %s (trial #%d: %s)%n", output, result.winner().number(), result.winner().describe());
        out.printf("recipe     %s (edgecompress compress %s -o %s --recipe %s reproduces it)%n", result.recipe(),
                input, output, result.recipe());
        return ExitCode.OK;
    }

    /** A finished trial in a line: number, stage, recipe, size, accuracy, speedup, verdict, time. */
    static String describe(Trial trial) {
        if (!trial.measured()) {
            return String.format(Locale.ROOT, "trial %3d  %-9s %s: did not run: %s", trial.number(), trial.stage(),
                    trial.describe(), trial.error());
        }
        return String.format(Locale.ROOT, "trial %3d  %-9s %s: %s, top-1 %.2f%% (%+.2f pt)%s, %s, %.0f s",
                trial.number(), trial.stage(), trial.describe(), InspectCommand.bytes(trial.bytes()),
                trial.accuracy() * 100, -trial.accuracyDrop(), trial.speedup() == null ? ""
                        : String.format(Locale.ROOT, ", %.2fx", trial.speedup()),
                trial.passed() ? "passed" : "failed: " + String.join("; ", trial.failedGates()), trial.seconds());
    }

    private static void writeReport(Path file, Tuner.Result result, Objective objective, int budget, Path output)
            throws OutputException {
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("objective", objective.id());
        report.put("budget_seconds", budget);
        report.put("seconds", result.seconds());
        report.put("budget_spent", result.budgetSpent());
        report.put("trials", result.trials());
        report.put("pareto_front", result.paretoFront().stream().map(Trial::number).toList());
        report.put("winner", result.winner() == null ? null : result.winner().number());
        report.put("closest", result.closest() == null ? null : result.closest().number());
        report.put("output", result.winner() == null ? null : output.toString());
        report.put("recipe", result.recipe() == null ? null : result.recipe().toString());
        try {
            Path temp = file.resolveSibling("." + file.getFileName() + ".partial");
            Files.writeString(temp, Json.write(report) + "\n");
            Files.move(temp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (IOException e) {
            throw new OutputException(file, e.getMessage(), e);
        }
    }
}
