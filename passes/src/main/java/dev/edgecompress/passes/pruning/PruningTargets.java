package dev.edgecompress.passes.pruning;

import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Value;
import dev.edgecompress.passes.analysis.CompressionTargets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The weights a pruning pass works on: the prunable weights of {@link CompressionTargets} (float
 * weights of Conv, ConvTranspose, Gemm and MatMul), each once even when several nodes share it,
 * less those skipped (by node name, op type or initializer name) and those smaller than
 * {@code minElements}.
 */
final class PruningTargets {

    private PruningTargets() {
    }

    /** Prunable weight initializers by name, in graph order. */
    static Map<String, Value> select(Model model, Set<String> skip, long minElements) {
        Map<String, Value> initializers = new LinkedHashMap<>();
        model.graph().initializers().forEach(v -> initializers.put(v.name(), v));
        Map<String, Value> selected = new LinkedHashMap<>();
        for (CompressionTargets.PrunableWeight weight : CompressionTargets.of(model).prunable()) {
            Value value = initializers.get(weight.initializer());
            if (value == null || skip.contains(weight.node()) || skip.contains(weight.opType())
                    || skip.contains(weight.initializer()) || weight.parameters() < minElements) {
                continue;
            }
            selected.putIfAbsent(weight.initializer(), value);
        }
        // A weight some other node uses without being prunable there is still one tensor: keep it whole.
        selected.values().removeIf(v -> v.uses().stream().anyMatch(u -> !isWeightUse(u.node().opType())));
        return selected;
    }

    private static boolean isWeightUse(String opType) {
        return List.of("Conv", "ConvTranspose", "Gemm", "MatMul").contains(opType);
    }
}
