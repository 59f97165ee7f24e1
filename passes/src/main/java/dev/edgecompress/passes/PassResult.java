package dev.edgecompress.passes;

import java.util.Map;

/**
 * What one pass did.
 *
 * @param changed whether the model changed (the pipeline verifies the model after such passes)
 * @param details pass-specific facts for the report (layers pruned, nodes folded, ...)
 */
public record PassResult(boolean changed, Map<String, Object> details) {

    public PassResult {
        details = Map.copyOf(details);
    }

    public static PassResult unchanged() {
        return new PassResult(false, Map.of());
    }

    public static PassResult changed(Map<String, Object> details) {
        return new PassResult(true, details);
    }
}
