package dev.edgecompress.cli;

import dev.edgecompress.importer.data.DataFiles;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.runtime.ExecutionProvider;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.Latency;
import dev.edgecompress.runtime.SessionConfig;
import dev.edgecompress.runtime.SyntheticInputs;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/** {@code edgecompress bench MODEL [--ep cpu,cuda] [--batch N,..] [--runs N]}: latency of one model. */
final class BenchCommand implements Command {

    /** One measurement: an execution provider and batch size. */
    record Row(String ep, int batch, int runs, double msP50, double msP90, double msMean, double samplesPerSecond) {
    }

    @Override
    public String name() {
        return "bench";
    }

    @Override
    public String synopsis() {
        return "MODEL [--ep cpu,cuda] [--batch N,...] [--runs N] [--warmup N] [--data DATA | --shape NAME=DIMS"
                + " --value NAME=V] [--json]";
    }

    @Override
    public String summary() {
        return "measure a model's latency on ONNX Runtime";
    }

    @Override
    public Options options() {
        return SharedOptions.addInputs(SharedOptions.addLatency(new Options()))
                .addOption(Option.builder().longOpt("data").hasArg().argName("DATA")
                        .desc("time on the first samples of this .npz or test data folder (default: random inputs)")
                        .get())
                .addOption(Option.builder().longOpt("json").desc("print JSON").get());
    }

    @Override
    public ExitCode run(CommandLine line, PrintStream out, PrintStream err) throws Exception {
        Path model = Command.modelArgument(line);
        dev.edgecompress.importer.ModelImporter.load(model); // a clear error for a bad file before ONNX Runtime's
        Dataset data = line.hasOption("data") ? DataFiles.load(Path.of(line.getOptionValue("data"))) : null;
        Latency.Plan plan = SharedOptions.plan(line);
        SyntheticInputs.Overrides inputs = SharedOptions.inputs(line);
        List<Row> rows = new ArrayList<>();
        for (ExecutionProvider ep : SharedOptions.providers(line)) {
            try (InferenceSession session = InferenceSession.open(model, SessionConfig.defaults().withProvider(ep))) {
                for (int batch : SharedOptions.batches(line)) {
                    Map<String, Tensor> feeds = data != null ? data.bind(session.inputs()).firstBatch(batch)
                            : SyntheticInputs.of(session.inputs(), inputs, batch, 7);
                    int actual = SyntheticInputs.batchOf(feeds);
                    Latency.Stats s = Latency.measure(List.of(session), List.of(feeds), plan,
                            TerminalProgress.on(err)).get(0);
                    rows.add(new Row(ep.id(), actual, s.runs(), s.medianMs(), s.p90Ms(), s.meanMs(),
                            actual / (s.medianMs() / 1000)));
                }
            }
        }
        if (line.hasOption("json")) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("model", model.toString());
            json.put("latency", rows);
            out.println(Json.write(json));
        } else {
            out.printf("%-5s %6s %6s %12s %12s %12s %14s%n", "ep", "batch", "runs", "p50 ms", "p90 ms", "mean ms",
                    "samples/s");
            for (Row r : rows) {
                out.printf("%-5s %6d %6d %12.4f %12.4f %12.4f %,14.0f%n", r.ep(), r.batch(), r.runs(), r.msP50(),
                        r.msP90(), r.msMean(), r.samplesPerSecond());
            }
        }
        return ExitCode.OK;
    }
}
