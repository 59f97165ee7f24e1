package dev.edgecompress.passes.finetune;

import dev.edgecompress.ir.Model;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassResult;
import dev.edgecompress.passes.clustering.SharedValues;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Fine-tunes the weights on labelled training data (through the context's {@link Trainer}),
 * recovering accuracy lost to pruning or factorization; the graph does not change, only the
 * weights, so the passes after it see the same structure.
 */
public final class FineTuningPass implements TrainingPass {

    private final FineTuneConfig config;

    public FineTuningPass(FineTuneConfig config) {
        this.config = config;
    }

    @Override
    public FineTuneConfig training() {
        return config;
    }

    @Override
    public Set<Need> needs() {
        return Set.of(Need.TRAINER);
    }

    @Override
    public String name() {
        return "finetune";
    }

    @Override
    public Map<String, Object> params() {
        return config.params();
    }

    @Override
    public PassResult run(Model model, PassContext context) {
        SharedValues.Guard clusters = SharedValues.guard(model, config.keepClusters());
        Trainer.Result result = context.trainer(name()).train(model, config, FakeQuantization.NONE,
                context::progress);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("device", result.device());
        details.put("epochs", result.epochs());
        Map<String, Object> kept = clusters.check(model);
        if (kept != null) {
            details.put("kept_clusters", kept);
        }
        return clusters.warned(PassResult.changed(details), name());
    }
}
