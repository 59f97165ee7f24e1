package dev.edgecompress.passes.pruning;

import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.passes.ModelStatistics;
import dev.edgecompress.passes.Pass;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Global L1 unstructured pruning, as PyTorch's {@code prune.global_unstructured} with
 * {@code L1Unstructured}: one threshold over all prunable weights together, zeroing exactly
 * round(sparsity x n) of them (rounded half to even, as Python's round), the smallest |w| first,
 * ties broken by position. Layers end at different sparsities: those with small weights lose more.
 */
public final class GlobalL1PruningPass implements Pass {

    private final PruningConfig config;

    public GlobalL1PruningPass(PruningConfig config) {
        if (!config.layerSparsity().isEmpty()) {
            throw new SettingException("layers", "global L1 pruning has one threshold for all layers;"
                    + " use magnitude pruning for per-layer sparsity");
        }
        this.config = config;
    }

    @Override
    public String name() {
        return "prune-l1";
    }

    @Override
    public Map<String, Object> params() {
        return config.params();
    }

    @Override
    public PassResult run(Model model, PassContext context) {
        PruningTargets.Selection selection = PruningTargets.select(model, config.skip(), config.minElements());
        List<Value> weights = new ArrayList<>(selection.weights().values());
        if (weights.isEmpty()) {
            return PassResult.unchanged().withWarning(selection.warning(name()));
        }
        List<Tensor> tensors = weights.stream().map(Value::constValue).toList();
        long total = tensors.stream().mapToLong(Tensor::elementCount).sum();
        long k = MagnitudeSelection.count(config.sparsity(), total);
        List<Tensor> pruned = MagnitudeSelection.pruneSmallest(tensors, k);
        List<Map<String, Object>> layers = new ArrayList<>();
        for (int i = 0; i < weights.size(); i++) {
            Tensor before = tensors.get(i);
            Tensor after = pruned.get(i);
            weights.get(i).replaceConstValue(after);
            layers.add(MagnitudePruningPass.layer(weights.get(i).name(), before.elementCount(),
                    before.elementCount() - ModelStatistics.nonzero(after)));
        }
        context.progress("pruning", 1);
        return PassResult.changed(Map.of("layers", layers, "pruned", k, "of", total))
                .withWarning(selection.warning(name()));
    }
}
