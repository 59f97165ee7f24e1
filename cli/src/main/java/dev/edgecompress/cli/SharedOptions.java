package dev.edgecompress.cli;

import dev.edgecompress.exporter.validation.Gate;
import dev.edgecompress.pipeline.Cluster;
import dev.edgecompress.runtime.ExecutionProvider;
import dev.edgecompress.runtime.Latency;
import dev.edgecompress.runtime.SyntheticInputs;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
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
        options.addOption(Option.builder().longOpt(Gate.Kind.MIN_SQNR.option()).hasArg().argName("DB")
                .desc("gate: every output's signal-to-quantization-noise ratio at least DB (models without classes)")
                .get());
        options.addOption(Option.builder().longOpt(Gate.Kind.MIN_COSINE.option()).hasArg().argName("C")
                .desc("gate: every output's cosine similarity with the reference's at least C").get());
        return options;
    }

    /** --spark MASTER: the work that splits runs on a cluster ({@link Cluster}). */
    static Options addCluster(Options options, String what) {
        return options.addOption(Option.builder().longOpt("spark").hasArg().argName("MASTER")
                .desc(what + " on Apache Spark: local[N] here, spark://HOST:7077 on a cluster; the numbers are"
                        + " those of a run here; needs the edgecompress-spark module and Spark on the class path"
                        + " (see README: --spark)").get());
    }

    /** The cluster --spark names, or null without the option; close it. */
    static Cluster cluster(CommandLine line) throws UsageException {
        if (!line.hasOption("spark")) {
            return null;
        }
        try {
            return Cluster.open(line.getOptionValue("spark"));
        } catch (IllegalStateException e) {
            throw new UsageException("--spark needs the edgecompress-spark module and Apache Spark on the class"
                    + " path; this command line has neither (see README: --spark)");
        }
    }

    /** --shape and --value: what made-up inputs look like where a model's inputs leave it open. */
    static Options addInputs(Options options) {
        options.addOption(Option.builder().longOpt("shape").hasArg().argName("NAME=DIMS")
                .desc("the shape of input NAME for made-up inputs, for example x=1x3x48x320 (needed for dynamic"
                        + " dimensions after the first); repeatable").get());
        options.addOption(Option.builder().longOpt("value").hasArg().argName("NAME=V")
                .desc("the value of every element of input NAME for made-up inputs (integer inputs need one,"
                        + " for example sr=16000); repeatable").get());
        return options;
    }

    static SyntheticInputs.Overrides inputs(CommandLine line) throws UsageException {
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (String text : line.getOptionValues("shape") == null ? new String[0] : line.getOptionValues("shape")) {
            String[] parts = nameValue("--shape", text);
            try {
                long[] dims = Arrays.stream(parts[1].split("x")).mapToLong(Long::parseLong).toArray();
                if (Arrays.stream(dims).anyMatch(d -> d < 0)) {
                    throw new NumberFormatException();
                }
                shapes.put(parts[0], dims);
            } catch (NumberFormatException e) {
                throw new UsageException("--shape " + text + ": dimensions are whole numbers joined by x, such as"
                        + " 1x3x48x320");
            }
        }
        Map<String, Double> values = new LinkedHashMap<>();
        for (String text : line.getOptionValues("value") == null ? new String[0] : line.getOptionValues("value")) {
            String[] parts = nameValue("--value", text);
            try {
                values.put(parts[0], Double.parseDouble(parts[1]));
            } catch (NumberFormatException e) {
                throw new UsageException("--value " + text + ": the value must be a number");
            }
        }
        return new SyntheticInputs.Overrides(shapes, values);
    }

    private static String[] nameValue(String option, String text) throws UsageException {
        int equals = text.lastIndexOf('=');
        if (equals <= 0 || equals == text.length() - 1) {
            throw new UsageException(option + " expects NAME=VALUE, got '" + text + "'");
        }
        return new String[] {text.substring(0, equals), text.substring(equals + 1)};
    }

    /** The path an option gives, or null without the option. */
    static Path path(CommandLine line, String option) {
        return line.hasOption(option) ? Path.of(line.getOptionValue(option)) : null;
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
