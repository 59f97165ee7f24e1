package dev.edgecompress.cli;

import dev.edgecompress.exporter.validation.Gate;
import dev.edgecompress.runtime.ExecutionProvider;
import dev.edgecompress.runtime.Latency;
import java.util.ArrayList;
import java.util.List;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/** Options several commands share: gates, execution providers, batch sizes, latency runs. */
final class SharedOptions {

    private SharedOptions() {
    }

    static Options addGates(Options options) {
        options.addOption(Option.builder().longOpt(Gate.Kind.MAX_ACCURACY_DROP.option()).hasArg().argName("POINTS")
                .desc("gate: top-1 accuracy may drop by at most POINTS percentage points").get());
        options.addOption(Option.builder().longOpt(Gate.Kind.MIN_AGREEMENT.option()).hasArg().argName("FRACTION")
                .desc("gate: at least FRACTION of samples keep the reference's top-1 class").get());
        options.addOption(Option.builder().longOpt(Gate.Kind.MAX_SIZE.option()).hasArg().argName("SIZE")
                .desc("gate: candidate size on disk at most SIZE (bytes, or with KB MB GB / KiB MiB GiB)").get());
        options.addOption(Option.builder().longOpt(Gate.Kind.MAX_SIZE_RATIO.option()).hasArg().argName("R")
                .desc("gate: candidate size at most R times the reference's").get());
        options.addOption(Option.builder().longOpt(Gate.Kind.MIN_SPEEDUP.option()).hasArg().argName("X")
                .desc("gate: candidate at least X times faster on every execution provider and batch size").get());
        return options;
    }

    static List<Gate> gates(CommandLine line) throws UsageException {
        List<Gate> gates = new ArrayList<>();
        for (Gate.Kind kind : Gate.Kind.values()) {
            if (line.hasOption(kind.option())) {
                try {
                    gates.add(Gate.parse(kind, line.getOptionValue(kind.option())));
                } catch (IllegalArgumentException e) {
                    throw new UsageException(e.getMessage());
                }
            }
        }
        return gates;
    }

    static Options addLatency(Options options) {
        options.addOption(Option.builder().longOpt("ep").hasArg().argName("LIST")
                .desc("execution providers, comma-separated: cpu (default), cuda").get());
        options.addOption(Option.builder().longOpt("batch").hasArg().argName("LIST")
                .desc("batch sizes to time, comma-separated (default 1,64)").get());
        options.addOption(Option.builder().longOpt("runs").hasArg().argName("N")
                .desc("at least N timed runs per model and batch size (default 100)").get());
        options.addOption(Option.builder().longOpt("time").hasArg().argName("SECONDS")
                .desc("keep timing at least SECONDS per batch size (default 1)").get());
        options.addOption(Option.builder().longOpt("warmup").hasArg().argName("N")
                .desc("untimed runs first (default 10)").get());
        return options;
    }

    static List<ExecutionProvider> providers(CommandLine line) throws UsageException {
        List<ExecutionProvider> eps = new ArrayList<>();
        for (String part : line.getOptionValue("ep", "cpu").split(",")) {
            try {
                eps.add(ExecutionProvider.parse(part));
            } catch (IllegalArgumentException e) {
                throw new UsageException("--ep: " + e.getMessage());
            }
        }
        return eps;
    }

    static List<Integer> batches(CommandLine line) throws UsageException {
        List<Integer> sizes = new ArrayList<>();
        for (String part : line.getOptionValue("batch", "1,64").split(",")) {
            sizes.add(positive("--batch", part));
        }
        return sizes;
    }

    static Latency.Plan plan(CommandLine line) throws UsageException {
        Latency.Plan defaults = Latency.Plan.defaults();
        int runs = line.hasOption("runs") ? positive("--runs", line.getOptionValue("runs")) : defaults.runs();
        int warmup = line.hasOption("warmup") ? nonNegative("--warmup", line.getOptionValue("warmup"))
                : defaults.warmup();
        double seconds = defaults.minSeconds();
        if (line.hasOption("time")) {
            try {
                seconds = Double.parseDouble(line.getOptionValue("time"));
            } catch (NumberFormatException e) {
                seconds = -1;
            }
            if (!(seconds >= 0 && seconds <= defaults.maxSeconds())) {
                throw new UsageException("--time needs seconds between 0 and " + defaults.maxSeconds() + ", not '"
                        + line.getOptionValue("time") + "'");
            }
        }
        return new Latency.Plan(warmup, runs, seconds, defaults.maxSeconds());
    }

    static int positive(String option, String text) throws UsageException {
        int value = nonNegative(option, text);
        if (value == 0) {
            throw new UsageException(option + " must be positive");
        }
        return value;
    }

    private static int nonNegative(String option, String text) throws UsageException {
        try {
            int value = Integer.parseInt(text.trim());
            if (value >= 0) {
                return value;
            }
        } catch (NumberFormatException e) {
            // reported below
        }
        throw new UsageException(option + " needs a whole number, not '" + text + "'");
    }
}
