package dev.edgecompress.passes;

import dev.edgecompress.ir.Model;
import java.util.Map;
import java.util.Set;

/**
 * One rewrite of a model. A pass is a small final class with a typed configuration record that
 * validates itself when built; {@link #run} changes the model in place and says what it did.
 */
public interface Pass {

    /** The pass's name in reports and recipes, for example {@code prune-l1}. */
    String name();

    /** The configuration, as reports and provenance record it; none by default. */
    default Map<String, Object> params() {
        return Map.of();
    }

    /** Rewrites {@code model}; returns whether anything changed, and details for the report. */
    PassResult run(Model model, PassContext context);

    /**
     * Whether the pass prepares or tidies the model rather than compressing it (cleanup,
     * normalization): such a pass changing nothing is no news, while a compression pass that
     * changes nothing is reported as a warning.
     */
    default boolean isHousekeeping() {
        return false;
    }

    /** What a pass needs the pipeline to provide or to do before it runs. */
    enum Need {
        /** Activation ranges measured on calibration data ({@link PassContext#activations(String)}). */
        CALIBRATION_DATA,
        /** A trainer over training data ({@link PassContext#trainer(String)}). */
        TRAINER,
        /** The cleanup passes just before it (BatchNormalization folded into the weights it scales). */
        CLEANUP_BEFORE,
        /** The model at the operator set int8 is written in ({@code OpsetUpgradePass#QUANTIZATION_OPSET}). */
        QUANTIZATION_OPSET
    }

    /** What the pipeline must provide or do before this pass runs; nothing by default. */
    default Set<Need> needs() {
        return Set.of();
    }
}
