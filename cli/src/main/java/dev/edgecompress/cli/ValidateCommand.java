package dev.edgecompress.cli;

import dev.edgecompress.exporter.validation.Gate;
import dev.edgecompress.exporter.validation.GateResult;
import dev.edgecompress.exporter.validation.LatencyRow;
import dev.edgecompress.exporter.validation.ModelStats;
import dev.edgecompress.exporter.validation.OutputMetrics;
import dev.edgecompress.exporter.validation.ReportWriter;
import dev.edgecompress.exporter.validation.Validation;
import dev.edgecompress.exporter.validation.ValidationReport;
import dev.edgecompress.pipeline.Cluster;
import dev.edgecompress.runtime.ExecutionProvider;
import dev.edgecompress.runtime.Latency;
import dev.edgecompress.runtime.SyntheticInputs;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/**
 * {@code edgecompress validate --reference A --candidate B [--data DATA] [gates]}: compares two
 * models on ONNX Runtime, writes the reports, and exits 0 when every gate passed, 1 when one failed.
 */
final class ValidateCommand implements Command {

    @Override
    public String name() {
        return "validate";
    }

    @Override
    public String synopsis() {
        return "--reference MODEL --candidate MODEL [--data DATA] [--ep cpu,cuda] [gates] [--report FILE.json]";
    }

    @Override
    public String summary() {
        return "compare a candidate model with its reference: accuracy, outputs, latency, size, gates";
    }

    @Override
    public Options options() {
        Options options = new Options()
                .addOption(Option.builder().longOpt("reference").hasArg().argName("MODEL").required()
                        .desc("the original model").get())
                .addOption(Option.builder().longOpt("candidate").hasArg().argName("MODEL").required()
                        .desc("the model to check").get());
        addReportOptions(options);
        SharedOptions.addLatency(options);
        SharedOptions.addInputs(options);
        SharedOptions.addCluster(options, "evaluate on --data");
        return SharedOptions.addGates(options);
    }

    /** --data, --report, --markdown, --junit: shared with compress. */
    static void addReportOptions(Options options) {
        options.addOption(Option.builder().longOpt("data").hasArg().argName("DATA")
                        .desc(".npz file or ONNX test data folder to evaluate on; with 'labels', accuracy is top-1"
                                + " accuracy, else agreement with the reference").get())
                .addOption(Option.builder().longOpt("report").hasArg().argName("FILE.json")
                        .desc("write the report as JSON").get())
                .addOption(Option.builder().longOpt("markdown").hasArg().argName("FILE.md")
                        .desc("write the report as Markdown").get())
                .addOption(Option.builder().longOpt("junit").hasArg().argName("FILE.xml")
                        .desc("write the gates as JUnit XML test cases").get());
    }

    @Override
    public ExitCode run(CommandLine line, PrintStream out, PrintStream err) throws Exception {
        if (!line.getArgList().isEmpty()) {
            throw new UsageException("unexpected arguments " + line.getArgList());
        }
        Validation validation = Validation.of(Path.of(line.getOptionValue("reference")),
                Path.of(line.getOptionValue("candidate")));
        ValidationReport report;
        try (Cluster cluster = SharedOptions.cluster(line)) {
            if (cluster != null) {
                validation.evaluations(cluster.evaluations());
            }
            report = run(validation, line, SharedOptions.gates(line), err);
        }
        print(report, out);
        writeReports(report, line);
        return report.passed() ? ExitCode.OK : ExitCode.GATE_FAILED;
    }

    /** Configures {@code validation} from the shared options and runs it with {@code gates}. */
    static ValidationReport run(Validation validation, CommandLine line, List<Gate> gates, PrintStream err)
            throws Exception {
        requireDataForGates(line, gates);
        if (line.hasOption("data")) {
            validation.data(Path.of(line.getOptionValue("data")));
        }
        return Settings.of(line).apply(validation, err).gates(gates).run();
    }

    /** A gate that evaluates the outputs needs --data to evaluate on. */
    static void requireDataForGates(CommandLine line, List<Gate> gates) throws UsageException {
        for (Gate gate : gates) {
            if (gate.kind().needsData() && !line.hasOption("data")) {
                throw new UsageException("--" + gate.kind().option() + " needs --data to evaluate on");
            }
        }
    }

    /** The execution providers, latency settings and inputs the options give, read before any work. */
    record Settings(List<ExecutionProvider> providers, List<Integer> batches, Latency.Plan plan,
            SyntheticInputs.Overrides inputs) {

        static Settings of(CommandLine line) throws UsageException {
            return new Settings(SharedOptions.providers(line), SharedOptions.batches(line), SharedOptions.plan(line),
                    SharedOptions.inputs(line));
        }

        Validation apply(Validation validation, PrintStream err) {
            return validation.providers(providers).latencyBatches(batches).latency(plan).inputs(inputs)
                    .progress(TerminalProgress.on(err));
        }
    }

    static void writeReports(ValidationReport report, CommandLine line) throws OutputException {
        write(line, "report", file -> ReportWriter.writeJson(report, file));
        write(line, "markdown", file -> ReportWriter.writeMarkdown(report, file));
        write(line, "junit", file -> ReportWriter.writeJunit(report, file));
    }

    private interface Writer {
        void write(Path file) throws IOException;
    }

    private static void write(CommandLine line, String option, Writer writer) throws OutputException {
        if (line.hasOption(option)) {
            Path file = Path.of(line.getOptionValue(option));
            try {
                writer.write(file);
            } catch (IOException e) {
                throw new OutputException(file, e.getMessage(), e);
            }
        }
    }

    /** The short human summary. */
    static void print(ValidationReport report, PrintStream out) {
        ModelStats r = report.reference();
        ModelStats c = report.candidate();
        out.printf("reference  %s: %s (gzip %s), %,d parameters (%,d non-zero)%s%n", r.path(),
                InspectCommand.bytes(r.bytes()), InspectCommand.bytes(r.gzipBytes()), r.parameters(),
                r.nonzeroParameters(), accuracy(report, r));
        out.printf("candidate  %s: %s (gzip %s), %,d parameters (%,d non-zero)%s%n", c.path(),
                InspectCommand.bytes(c.bytes()), InspectCommand.bytes(c.gzipBytes()), c.parameters(),
                c.nonzeroParameters(), accuracy(report, c));
        OutputMetrics m = report.metrics();
        if (m != null) {
            out.printf("outputs    %,d samples: top-1 agreement %.2f%%, max |error| %.3g, mean |error| %.3g, SQNR %s"
                    + " (%.1f s, %.0f%% inside ONNX Runtime)%n", m.samples(), m.agreement() * 100, m.maxAbsError(),
                    m.meanAbsError(), m.sqnrDb() == null ? "inf (identical)" : String.format("%.1f dB", m.sqnrDb()),
                    m.evaluationSeconds(), m.runtimeShare() * 100);
            if (m.outputs().size() > 1 || report.gates().stream().anyMatch(g -> g.name().startsWith("min_sqnr")
                    || g.name().startsWith("min_cosine"))) {
                m.outputs().forEach((name, o) -> out.printf("output     %s: SQNR %s, cosine %.5f%n", name,
                        o.sqnrDb() == null ? "inf (identical)" : String.format("%.1f dB", o.sqnrDb()), o.cosine()));
            }
        }
        for (LatencyRow l : report.latency()) {
            out.printf("latency    %s batch %d: %.4f ms -> %.4f ms median (p90 %.4f -> %.4f), speedup %.2fx"
                    + " (95%% interval %.2f-%.2fx, %d runs)%n", l.ep(), l.batch(), l.referenceMsP50(),
                    l.candidateMsP50(), l.referenceMsP90(), l.candidateMsP90(), l.speedup(), l.speedupLow(),
                    l.speedupHigh(), l.runs());
        }
        report.candidateRuntimeOps().forEach((ep, ops) -> out.printf("runtime    %s runs the candidate as: %s%n", ep,
                ops.entrySet().stream().map(e -> e.getKey() + " x" + e.getValue())
                        .collect(java.util.stream.Collectors.joining(", "))));
        report.warnings().forEach(w -> out.println("warning    " + w));
        for (GateResult g : report.gates()) {
            out.printf("gate       %s %s: %s%n", g.passed() ? "pass" : "FAIL", g.name(), g.message());
        }
        out.println("result     " + (report.passed() ? "passed" : "FAILED: " + report.failedGates().size()
                + " gate(s) failed"));
    }

    private static String accuracy(ValidationReport report, ModelStats stats) {
        if (stats.accuracy() == null) {
            return "";
        }
        String what = report.metrics() != null && report.metrics().labels() ? "top-1 accuracy" : "agreement";
        return String.format(", %s %.2f%%", what, stats.accuracy() * 100);
    }
}
