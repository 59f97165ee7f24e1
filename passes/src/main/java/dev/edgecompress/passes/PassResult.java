package dev.edgecompress.passes;

import java.util.List;
import java.util.Map;

/**
 * What one pass did.
 *
 * @param changed whether the model changed (the pipeline verifies the model after such passes)
 * @param details pass-specific facts for the report (layers pruned, nodes folded, ...)
 * @param warnings what the user asked for and did not get, one line each: weights the pass could
 *     not reach, nodes it left alone and why; empty when it did all it was asked
 */
public record PassResult(boolean changed, Map<String, Object> details, List<String> warnings) {

    public PassResult {
        details = Map.copyOf(details);
        warnings = List.copyOf(warnings);
    }

    public static PassResult unchanged() {
        return new PassResult(false, Map.of(), List.of());
    }

    public static PassResult changed(Map<String, Object> details) {
        return new PassResult(true, details, List.of());
    }

    /** This result with {@code warning} added; a null warning adds nothing. */
    public PassResult withWarning(String warning) {
        if (warning == null) {
            return this;
        }
        List<String> all = new java.util.ArrayList<>(warnings);
        all.add(warning);
        return new PassResult(changed, details, all);
    }
}
