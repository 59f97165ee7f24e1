package dev.edgecompress.passes.pruning;

import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.passes.Pass;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Per-tensor magnitude pruning: in each prunable weight, the smallest-|w| fraction is set to zero
 * (the configured sparsity, or the weight's override). Each layer ends at the same sparsity.
 */
public final class MagnitudePruningPass implements Pass {

    private final PruningConfig config;

    public MagnitudePruningPass(PruningConfig config) {
        this.config = config;
    }

    @Override
    public String name() {
        return "prune-magnitude";
    }

    @Override
    public Map<String, Object> params() {
        return config.params();
    }

    @Override
    public PassResult run(Model model, PassContext context) {
        PruningTargets.Selection selection = PruningTargets.select(model, config.skip(), config.minElements());
        Map<String, Value> targets = selection.weights();
        List<Map<String, Object>> layers = new ArrayList<>();
        int done = 0;
        for (Map.Entry<String, Value> target : targets.entrySet()) {
            Value weight = target.getValue();
            Tensor tensor = weight.constValue();
            double fraction = overrideFor(weight);
            long k = MagnitudeSelection.count(fraction, tensor.elementCount());
            weight.replaceConstValue(MagnitudeSelection.pruneSmallest(List.of(tensor), k).get(0));
            layers.add(layer(target.getKey(), tensor.elementCount(), k));
            context.progress("pruning", ++done / (double) targets.size());
        }
        PassResult result = layers.isEmpty() ? PassResult.unchanged() : PassResult.changed(Map.of("layers", layers));
        return result.withWarning(selection.warning(name()));
    }

    private double overrideFor(Value weight) {
        Double byName = config.layerSparsity().get(weight.name());
        if (byName != null) {
            return byName;
        }
        return weight.uses().stream().map(u -> u.node().name()).filter(n -> n != null)
                .filter(config.layerSparsity()::containsKey)
                .map(config.layerSparsity()::get).findFirst().orElse(config.sparsity());
    }

    static Map<String, Object> layer(String name, long parameters, long pruned) {
        Map<String, Object> layer = new LinkedHashMap<>();
        layer.put("weight", name);
        layer.put("parameters", parameters);
        layer.put("zeros", pruned);
        return layer;
    }
}
