package dev.edgecompress.passes.pruning;

import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Pruning while training, as Zhu and Gupta's gradual magnitude pruning: at each step of a
 * {@link PolynomialDecay} schedule, the smallest-magnitude weights across all prunable weights
 * together (global L1, as {@link GlobalL1PruningPass}) are masked to reach the step's sparsity.
 * Weights already zero have the smallest magnitudes, so masks only ever grow.
 */
public final class GradualPruning {

    private final PolynomialDecay schedule;
    private final Map<String, long[]> weights = new LinkedHashMap<>();

    /** Gradual pruning of {@code model}'s prunable weights (those {@code prune} would select by default). */
    public GradualPruning(Model model, PolynomialDecay schedule) {
        this.schedule = schedule;
        for (Value weight : PruningTargets.select(model, Set.of(), PruningConfig.DEFAULT_MIN_ELEMENTS).weights().values()) {
            weights.put(weight.name(), weight.constValue().dims());
        }
    }

    public PolynomialDecay schedule() {
        return schedule;
    }

    /** The names of the weights it prunes, in graph order. */
    public Set<String> weights() {
        return weights.keySet();
    }

    /** Whether masks change at training step {@code step} (counted from 1). */
    public boolean prunesAt(long step) {
        return schedule.prunesAt(step);
    }

    /**
     * The masks (1 keeps, 0 prunes) that bring {@code current} (every weight of {@link #weights},
     * by name) to the schedule's sparsity at {@code step}.
     */
    public Map<String, float[]> masks(long step, Map<String, float[]> current) {
        List<Tensor> tensors = new ArrayList<>();
        long total = 0;
        for (Map.Entry<String, long[]> weight : weights.entrySet()) {
            float[] values = current.get(weight.getKey());
            if (values == null) {
                throw new IllegalArgumentException("no values for weight " + weight.getKey());
            }
            tensors.add(Tensor.ofFloats(weight.getValue(), values));
            total += values.length;
        }
        List<Tensor> pruned = MagnitudeSelection.pruneSmallest(tensors,
                MagnitudeSelection.count(schedule.sparsityAt(step), total));
        Map<String, float[]> masks = new LinkedHashMap<>();
        int i = 0;
        for (String name : weights.keySet()) {
            float[] kept = pruned.get(i++).toFloatArray();
            float[] mask = new float[kept.length];
            for (int j = 0; j < kept.length; j++) {
                mask[j] = kept[j] == 0 ? 0 : 1;
            }
            masks.put(name, mask);
        }
        return masks;
    }
}
