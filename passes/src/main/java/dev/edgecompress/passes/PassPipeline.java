package dev.edgecompress.passes;

import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.Verifier;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Runs passes in order. After each pass that changed the model it runs the IR {@link Verifier};
 * it times each pass and records what it changed (parameters, non-zeros, bytes, nodes). A failure
 * becomes a {@link PassException} naming the pass and the passes before it. The model's metadata
 * records the pipeline (provenance).
 */
public final class PassPipeline {

    /** Metadata key of the provenance record. */
    public static final String PROVENANCE_KEY = "edgecompress.pipeline";

    private final List<Pass> passes;

    public PassPipeline(List<Pass> passes) {
        this.passes = List.copyOf(passes);
    }

    public List<Pass> passes() {
        return passes;
    }

    /**
     * What one pass did.
     *
     * @param changed before/after counts and the pass's own details; empty when nothing changed
     * @param warnings what the pass was asked for and did not do, one line each
     */
    public record Step(String pass, Map<String, Object> params, double seconds, Map<String, Object> changed,
            List<String> warnings) {

        public Step {
            warnings = List.copyOf(warnings);
        }
    }

    /** Runs every pass on {@code model} in place; returns one step per pass. */
    public List<Step> run(Model model, PassContext context) {
        List<Step> steps = new ArrayList<>();
        List<String> done = new ArrayList<>();
        for (Pass pass : passes) {
            ModelStatistics before = ModelStatistics.of(model);
            long start = System.nanoTime();
            PassResult result;
            try {
                result = pass.run(model, context);
            } catch (PassException | SettingException e) {
                throw e; // already names the pass, or is the user's configuration to fix
            } catch (RuntimeException e) {
                throw new PassException(pass.name(), done, e.getMessage() == null ? e.toString() : e.getMessage(), e);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            Map<String, Object> changed = new LinkedHashMap<>();
            if (result.changed()) {
                List<String> problems = Verifier.verify(model);
                if (!problems.isEmpty()) {
                    throw new PassException(pass.name(), done, "it left a model that breaks the IR rules: "
                            + String.join("; ", problems), null);
                }
                ModelStatistics after = ModelStatistics.of(model);
                changed.put("parameters", List.of(before.parameters(), after.parameters()));
                changed.put("nonzero_parameters", List.of(before.nonzeroParameters(), after.nonzeroParameters()));
                changed.put("parameter_bytes", List.of(before.parameterBytes(), after.parameterBytes()));
                changed.put("nodes", List.of(before.nodes(), after.nodes()));
                changed.putAll(result.details());
            }
            List<String> warnings = new ArrayList<>(result.warnings());
            if (!result.changed() && warnings.isEmpty() && !pass.isHousekeeping()) {
                warnings.add(pass.name() + " changed nothing: the model has nothing it applies to");
            }
            steps.add(new Step(pass.name(), pass.params(), seconds, changed, warnings));
            done.add(pass.name());
        }
        recordProvenance(model);
        return steps;
    }

    private void recordProvenance(Model model) {
        if (passes.isEmpty()) {
            return;
        }
        StringBuilder text = new StringBuilder();
        for (Pass pass : passes) {
            text.append(text.length() == 0 ? "" : "; ").append(pass.name()).append(pass.params());
        }
        model.metadata().put(PROVENANCE_KEY, text.toString());
        model.metadata().put("edgecompress.version", version());
    }

    private static String version() {
        String version = PassPipeline.class.getPackage().getImplementationVersion();
        return version != null ? version : "development";
    }
}
