package dev.edgecompress.passes.pruning;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Use;
import dev.edgecompress.ir.Value;
import dev.edgecompress.passes.analysis.CompressionTargets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The weights a pruning pass works on: the prunable weights of {@link CompressionTargets} (float
 * weights of Conv, ConvTranspose, Gemm and MatMul, W and R of LSTM, GRU and RNN) in the main graph
 * and every subgraph, each once even when several nodes share it, less those skipped (by node
 * name, op type or initializer name) and those smaller than {@code minElements}.
 *
 * <p>It also accounts for the weights it does not reach, so that a pass can say what it left: every
 * float constant of two or more dimensions and at least {@code minElements} elements is a weight,
 * and one that is not selected, nor skipped on purpose, is unreached, with the reason.
 */
final class PruningTargets {

    /**
     * The selection and what it left.
     *
     * @param weights the selected weight initializers by name, in graph order
     * @param unreached why weights were not reached, with the parameters each reason covers
     */
    record Selection(Map<String, Value> weights, Map<String, Long> unreached, long reachedParameters) {

        long unreachedParameters() {
            return unreached.values().stream().mapToLong(Long::longValue).sum();
        }

        /** A warning line when some weights were not reached or nothing was, else null. */
        String warning(String pass) {
            long missed = unreachedParameters();
            if (weights.isEmpty()) {
                return pass + " changed nothing: the model has no prunable weights"
                        + (missed > 0 ? " (" + reasons() + ")" : "");
            }
            if (missed == 0) {
                return null;
            }
            double share = 100.0 * missed / (missed + reachedParameters);
            return String.format(java.util.Locale.ROOT, "%s reached %d weights; %.0f%% of the weight parameters"
                    + " were not reached (%s)", pass, weights.size(), share, reasons());
        }

        private String reasons() {
            List<String> parts = new ArrayList<>();
            unreached.forEach((reason, parameters) -> parts.add(String.format(java.util.Locale.ROOT, "%,d in %s",
                    parameters, reason)));
            return String.join("; ", parts);
        }
    }

    private PruningTargets() {
    }

    static Selection select(Model model, Set<String> skip, long minElements) {
        Map<String, Value> selected = new LinkedHashMap<>();
        Set<Value> skipped = new LinkedHashSet<>();
        for (Graph graph : model.graph().withSubgraphs()) {
            for (Node node : graph.nodes()) {
                for (Value weight : CompressionTargets.prunableWeights(node)) {
                    Tensor tensor = weight.constValue();
                    if (tensor == null) {
                        continue; // held in a Constant node: accounted below
                    }
                    if (skip.contains(CompressionTargets.label(node)) || skip.contains(node.opType())
                            || skip.contains(weight.name()) || tensor.elementCount() < minElements) {
                        skipped.add(weight);
                        continue;
                    }
                    selected.putIfAbsent(weight.name(), weight);
                }
            }
        }
        Map<String, Long> unreached = new TreeMap<>();
        Set<Value> accounted = new LinkedHashSet<>(skipped);
        accounted.addAll(selected.values());
        // A weight some other node uses without being prunable there is still one tensor: keep it whole.
        selected.values().removeIf(v -> {
            String other = v.uses().stream().map(Use::node).filter(n -> !isWeightUse(n, v)).map(Node::opType)
                    .findFirst().orElse(null);
            if (other != null) {
                unreached.merge("weights also read by " + other, v.constValue().elementCount(), Long::sum);
            }
            return other != null;
        });
        long reached = selected.values().stream().mapToLong(v -> v.constValue().elementCount()).sum();
        for (Graph graph : model.graph().withSubgraphs()) {
            for (Value value : graph.initializers()) {
                if (!accounted.contains(value) && isWeight(value.constValue(), minElements)) {
                    unreached.merge("weights read by " + firstUser(value), value.constValue().elementCount(),
                            Long::sum);
                }
            }
            for (Node node : graph.nodes()) {
                if (node.opType().equals("Constant") && node.normalizedDomain().isEmpty()) {
                    Tensor tensor = CompressionTargets.constantOf(node.output(0));
                    if (tensor != null && isWeight(tensor, minElements)) {
                        unreached.merge("Constant nodes", tensor.elementCount(), Long::sum);
                    }
                }
            }
        }
        return new Selection(selected, unreached, reached);
    }

    private static boolean isWeight(Tensor tensor, long minElements) {
        return tensor.type() == DataType.FLOAT && tensor.rank() >= 2 && tensor.elementCount() >= minElements;
    }

    private static String firstUser(Value value) {
        return value.uses().isEmpty() ? "nothing" : value.uses().get(0).node().opType();
    }

    private static boolean isWeightUse(Node node, Value weight) {
        return CompressionTargets.prunableWeights(node).contains(weight);
    }
}
