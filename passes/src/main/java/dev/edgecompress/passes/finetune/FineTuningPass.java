package dev.edgecompress.passes.finetune;

import dev.edgecompress.ir.Model;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassResult;
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
        Trainer.Result result = context.trainer(name()).train(model, config, FakeQuantization.NONE,
                context::progress);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("device", result.device());
        details.put("epochs", result.epochs());
        return PassResult.changed(details);
    }
}
