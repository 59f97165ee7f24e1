package dev.edgecompress.passes.cleanup;

import dev.edgecompress.ir.Model;
import dev.edgecompress.passes.Pass;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassResult;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Puts a model exported by any tool into the form the compression passes read, before the first
 * of them runs (as ONNX Runtime's quantizer pre-processing does): Identity nodes go, so that a
 * weight an exporter shared through an Identity (PyTorch deduplicates equal initializers that
 * way) is read directly, and {@code Constant} nodes become initializers (Paddle2ONNX and spox keep
 * every weight in one), in the main graph and in every subgraph.
 */
public final class NormalizePass implements Pass {

    @Override
    public String name() {
        return "normalize";
    }

    @Override
    public boolean isHousekeeping() {
        return true;
    }

    @Override
    public PassResult run(Model model, PassContext context) {
        Map<String, Object> details = new LinkedHashMap<>();
        PassResult identities = new RemoveIdentityPass().run(model, context);
        PassResult constants = new FoldConstantsPass().run(model, context);
        if (identities.changed()) {
            details.put("removed_identities", identities.details().get("removed"));
        }
        if (constants.changed()) {
            details.put("constants_as_initializers", constants.details().get("folded"));
        }
        return details.isEmpty() ? PassResult.unchanged() : PassResult.changed(details);
    }
}
