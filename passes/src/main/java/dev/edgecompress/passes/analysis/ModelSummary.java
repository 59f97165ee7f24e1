package dev.edgecompress.passes.analysis;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.OpsetImport;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a model is made of: identity, inputs and outputs, operators, parameters by element type,
 * the largest initializers, and the compression targets. Read-only; the CLI's {@code inspect}
 * prints it, and deployment tooling can read it directly.
 */
public record ModelSummary(
        Long irVersion,
        Map<String, Long> opsets,
        String producerName,
        String producerVersion,
        String domain,
        Long modelVersion,
        Map<String, String> metadata,
        List<Io> inputs,
        List<Io> outputs,
        int nodeCount,
        Map<String, Integer> opCounts,
        int functionCount,
        int subgraphCount,
        long parameters,
        long parameterBytes,
        List<DtypeTotal> parametersByType,
        List<Initializer> largestInitializers,
        CompressionTargets targets) {

    /** How many initializers {@link #largestInitializers()} lists. */
    public static final int LARGEST = 10;

    /** A graph input or output and its type. */
    public record Io(String name, String type) {
    }

    /** Parameters and bytes of one element type. */
    public record DtypeTotal(String type, long parameters, long bytes) {
    }

    /** One initializer: its name, element type, dimensions and size. */
    public record Initializer(String name, String type, long[] dims, long bytes) {
    }

    public static ModelSummary of(Model model) {
        return of(model, CompressionTargets.of(model));
    }

    /**
     * The summary of {@code model} with {@code targets} found elsewhere: on the model as the passes
     * will see it, normalized (see {@code NormalizePass}), while the rest describes the file.
     */
    public static ModelSummary of(Model model, CompressionTargets targets) {
        Graph graph = model.graph();
        Map<String, Long> opsets = new LinkedHashMap<>();
        for (OpsetImport opset : model.opsets()) {
            opsets.put(opset.normalizedDomain().isEmpty() ? "ai.onnx" : opset.normalizedDomain(), opset.version());
        }
        List<Io> inputs = graph.inputs().stream().filter(v -> !v.isInitializer()).map(ModelSummary::io).toList();
        List<Io> outputs = graph.outputs().stream().map(ModelSummary::io).toList();

        Map<String, Integer> counts = new TreeMap<>();
        List<Node> all = graph.allNodes();
        for (Node node : all) {
            String op = node.normalizedDomain().isEmpty() ? node.opType() : node.normalizedDomain() + "." + node.opType();
            counts.merge(op, 1, Integer::sum);
        }
        Map<String, Integer> opCounts = new LinkedHashMap<>();
        counts.entrySet().stream()
                .sorted(Map.Entry.<String, Integer>comparingByValue().reversed().thenComparing(Map.Entry.comparingByKey()))
                .forEach(e -> opCounts.put(e.getKey(), e.getValue()));
        int subgraphs = all.stream().mapToInt(n -> n.subgraphs().size()).sum();

        Map<DataType, long[]> byType = new EnumMap<>(DataType.class);
        List<Initializer> initializers = new ArrayList<>();
        long parameters = 0;
        long bytes = 0;
        List<Value> constants = new ArrayList<>();
        for (Graph g : graph.withSubgraphs()) {
            constants.addAll(g.initializers());
            g.nodes().stream().filter(n -> n.opType().equals("Constant") && n.outputs().size() == 1
                    && CompressionTargets.constantOf(n.output(0)) != null).forEach(n -> constants.add(n.output(0)));
        }
        for (Value value : constants) {
            Tensor tensor = CompressionTargets.constantOf(value);
            long[] total = byType.computeIfAbsent(tensor.type(), t -> new long[2]);
            total[0] += tensor.elementCount();
            total[1] += tensor.byteSize();
            parameters += tensor.elementCount();
            bytes += tensor.byteSize();
            initializers.add(new Initializer(value.name(), typeName(tensor.type()), tensor.dims(), tensor.byteSize()));
        }
        List<DtypeTotal> totals = byType.entrySet().stream()
                .map(e -> new DtypeTotal(typeName(e.getKey()), e.getValue()[0], e.getValue()[1])).toList();
        List<Initializer> largest = initializers.stream()
                .sorted(Comparator.comparingLong(Initializer::bytes).reversed().thenComparing(Initializer::name))
                .limit(LARGEST).toList();

        return new ModelSummary(model.irVersion(), opsets, model.producerName(), model.producerVersion(),
                model.domain(), model.modelVersion(), new LinkedHashMap<>(model.metadata()), inputs, outputs, all.size(),
                opCounts, model.functions().size(), subgraphs, parameters, bytes, totals, largest, targets);
    }

    private static Io io(Value value) {
        return new Io(value.name(), value.type() == null ? "?" : value.type().toString());
    }

    private static String typeName(DataType type) {
        return type.name().toLowerCase();
    }
}
