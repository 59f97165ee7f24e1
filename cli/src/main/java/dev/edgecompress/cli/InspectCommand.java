package dev.edgecompress.cli;

import dev.edgecompress.passes.analysis.CompressionTargets;
import dev.edgecompress.passes.analysis.ModelSummary;
import dev.edgecompress.passes.float16.Float16ConversionPass;
import dev.edgecompress.passes.quantization.int4.WeightOnlyInt4Pass;
import dev.edgecompress.pipeline.Inspection;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.apache.commons.cli.CommandLine;
import org.apache.commons.cli.Option;
import org.apache.commons.cli.Options;

/** {@code edgecompress inspect MODEL [--json]}: what a model is made of and what can be compressed. */
final class InspectCommand implements Command {

    @Override
    public String name() {
        return "inspect";
    }

    @Override
    public String synopsis() {
        return "MODEL [--json]";
    }

    @Override
    public String summary() {
        return "show a model's structure, parameters and compression targets";
    }

    @Override
    public Options options() {
        return new Options().addOption(Option.builder().longOpt("json").desc("print JSON instead of a table").get());
    }

    @Override
    public ExitCode run(CommandLine line, PrintStream out, PrintStream err) throws Exception {
        Path path = Command.modelArgument(line);
        Inspection inspection = Inspection.of(path);
        ModelSummary summary = inspection.summary();
        List<String> untrainable = inspection.untrainable();
        if (line.hasOption("json")) {
            Map<String, Object> json = new LinkedHashMap<>();
            json.put("file", path.toString());
            json.put("bytes", inspection.modelBytes());
            json.put("external_data_bytes", inspection.externalBytes());
            json.put("summary", summary);
            json.put("training", Map.of("translatable", untrainable.isEmpty(), "unsupported_nodes", untrainable));
            out.println(Json.write(json));
        } else {
            printTable(inspection, out);
            out.println();
            if (untrainable.isEmpty()) {
                out.println("Fine-tuning: every operator translates to TensorFlow");
            } else {
                out.printf("Fine-tuning: %d nodes have operators training does not translate yet%n", untrainable.size());
                untrainable.stream().limit(UNTRAINABLE_LISTED).forEach(node -> out.println("  " + node));
                if (untrainable.size() > UNTRAINABLE_LISTED) {
                    out.printf("  ... and %d more (--json lists all)%n", untrainable.size() - UNTRAINABLE_LISTED);
                }
            }
        }
        return ExitCode.OK;
    }

    /** Untrainable nodes listed in the table; JSON lists them all. */
    private static final int UNTRAINABLE_LISTED = 20;

    private static void printTable(Inspection inspection, PrintStream out) {
        ModelSummary s = inspection.summary();
        row(out, "Model", inspection.file() + "  (" + bytes(inspection.modelBytes())
                + (inspection.externalBytes() > 0 ? " + " + bytes(inspection.externalBytes()) + " external data" : "")
                + ")");
        row(out, "IR version", String.valueOf(s.irVersion()));
        row(out, "Opsets", s.opsets().entrySet().stream().map(e -> e.getKey() + " " + e.getValue())
                .collect(Collectors.joining(", ")));
        row(out, "Producer", (s.producerName() == null ? "?" : s.producerName())
                + (s.producerVersion() == null ? "" : " " + s.producerVersion()));
        if (s.domain() != null || s.modelVersion() != null) {
            row(out, "Domain", s.domain() + (s.modelVersion() == null ? "" : ", model version " + s.modelVersion()));
        }
        s.metadata().forEach((k, v) -> row(out, "Metadata", k + " = " + v));
        s.inputs().forEach(io -> row(out, "Input", io.name() + " : " + io.type()));
        s.outputs().forEach(io -> row(out, "Output", io.name() + " : " + io.type()));
        row(out, "Nodes", s.nodeCount() + (s.subgraphCount() > 0 ? " (" + s.subgraphCount() + " subgraphs)" : "")
                + (s.functionCount() > 0 ? ", " + s.functionCount() + " local functions" : ""));
        s.opCounts().forEach((op, count) -> out.printf("  %-24s %,d%n", op, count));
        row(out, "Parameters", String.format("%,d in %s", s.parameters(), bytes(s.parameterBytes())));
        s.parametersByType().forEach(t -> out.printf("  %-24s %,d in %s%n", t.type(), t.parameters(), bytes(t.bytes())));

        out.println();
        out.println("Largest initializers");
        table(out, List.of("name", "type", "shape", "bytes"), s.largestInitializers().stream()
                .map(i -> List.of(i.name(), i.type(), Arrays.toString(i.dims()), String.format("%,d", i.bytes())))
                .toList());

        CompressionTargets targets = s.targets();
        out.println();
        long prunable = targets.prunable().stream().mapToLong(CompressionTargets.PrunableWeight::parameters).sum();
        out.printf("Pruning: %d weights, %,d parameters%n", targets.prunable().size(), prunable);
        table(out, List.of("node", "op", "weight", "shape", "parameters"), targets.prunable().stream()
                .map(p -> List.of(p.node(), p.opType(), p.initializer(), Arrays.toString(p.dims()),
                        String.format("%,d", p.parameters()))).toList());
        out.println();
        Map<String, Long> byRole = targets.quantizable().stream().collect(Collectors.groupingBy(
                q -> q.opType() + " (" + q.role() + ")", LinkedHashMap::new, Collectors.counting()));
        out.printf("int8 quantization: %d nodes%n", targets.quantizable().size());
        byRole.forEach((op, count) -> out.printf("  %-48s %d%n", op, count));
        CompressionTargets.OpsetUpgrade upgrade = targets.int8Opset();
        if (upgrade != null && upgrade.refusal() != null) {
            out.printf("  int8 needs opset %d and this model cannot be upgraded: %s%n", upgrade.to(), upgrade.refusal());
        } else if (upgrade != null) {
            out.printf("  int8 first upgrades opset %d -> %d%s%n", upgrade.from(), upgrade.to(),
                    upgrade.conversions().isEmpty() ? " (no operator changes)" : ", converting " + upgrade.conversions()
                            .entrySet().stream().map(e -> e.getKey() + " x" + e.getValue())
                            .collect(Collectors.joining(", ")));
        }
        out.println();
        Float16ConversionPass.Plan half = targets.float16();
        if (half.refusal() != null) {
            out.printf("float16: none (%s)%n", half.refusal());
        } else {
            out.printf("float16: %d nodes compute in float16, %d stay float32%n", half.float16Nodes(),
                    half.float32Ops().values().stream().mapToInt(Integer::intValue).sum());
            new java.util.TreeMap<>(half.float32Ops()).forEach((op, count) -> out.printf("  %-48s %d%n", op, count));
        }
        out.println();
        WeightOnlyInt4Pass.Plan int4 = targets.int4();
        out.printf("int4 weights: %d MatMul/Gemm weights%n", int4.weights().size());
        int4.weights().forEach(w -> out.println("  " + w));
        new java.util.TreeMap<>(int4.leftFloat()).forEach((op, count) -> out.printf("  left float: %s x%d%n", op,
                count));
        out.println();
        out.printf("Clustering: the %d pruning weights%n", targets.prunable().size());
        targets.clustered().forEach((weight, values) -> out.printf("  %s is clustered: %,d distinct non-zero values%n",
                weight, values));
        out.println();
        out.printf("Low-rank factorization: %d weights%n", targets.factorizable().size());
        table(out, List.of("node", "op", "weight", "matrix", "max useful rank"), targets.factorizable().stream()
                .map(f -> List.of(f.node(), f.opType(), f.initializer(), f.rows() + " x " + f.cols(),
                        String.valueOf(f.maxUsefulRank()))).toList());
    }

    private static void row(PrintStream out, String label, String value) {
        out.printf("%-11s %s%n", label, value);
    }

    private static void table(PrintStream out, List<String> header, List<List<String>> rows) {
        if (rows.isEmpty()) {
            return;
        }
        int[] widths = new int[header.size()];
        for (int c = 0; c < widths.length; c++) {
            widths[c] = header.get(c).length();
            for (List<String> row : rows) {
                widths[c] = Math.max(widths[c], row.get(c).length());
            }
        }
        printRow(out, header, widths);
        rows.forEach(r -> printRow(out, r, widths));
    }

    private static void printRow(PrintStream out, List<String> cells, int[] widths) {
        StringBuilder line = new StringBuilder(" ");
        for (int c = 0; c < cells.size(); c++) {
            line.append(' ').append(String.format("%-" + widths[c] + "s", cells.get(c))).append(' ');
        }
        out.println(line.toString().stripTrailing());
    }

    static String bytes(long bytes) {
        if (bytes < 1024) {
            return bytes + " B";
        }
        String[] units = {"KiB", "MiB", "GiB", "TiB"};
        double value = bytes;
        int unit = -1;
        while (value >= 1024 && unit < units.length - 1) {
            value /= 1024;
            unit++;
        }
        return String.format("%.1f %s", value, units[unit]);
    }
}
