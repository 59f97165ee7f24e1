package dev.edgecompress.cli;

import dev.edgecompress.pipeline.LatencyBench;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/** {@code edgecompress bench MODEL [--ep cpu,cuda] [--batch N,..] [--runs N]}: latency of one model. */
final class BenchCommand implements Command {

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
        List<LatencyBench.Row> rows = LatencyBench.run(model, line.hasOption("data")
                ? Path.of(line.getOptionValue("data")) : null, SharedOptions.providers(line),
                SharedOptions.batches(line), SharedOptions.plan(line), SharedOptions.inputs(line),
                TerminalProgress.on(err));
        if (line.hasOption("json")) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("model", model.toString());
            json.put("latency", rows);
            out.println(Json.write(json));
        } else {
            out.printf("%-5s %6s %6s %12s %12s %12s %14s%n", "ep", "batch", "runs", "p50 ms", "p90 ms", "mean ms",
                    "samples/s");
            for (LatencyBench.Row r : rows) {
                out.printf("%-5s %6d %6d %12.4f %12.4f %12.4f %,14.0f%n", r.ep(), r.batch(), r.runs(), r.msP50(),
                        r.msP90(), r.msMean(), r.samplesPerSecond());
            }
        }
        return ExitCode.OK;
    }
}
