package dev.edgecompress.passes.cleanup;

import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Value;

/** Small graph edits the cleanup passes share. */
final class Rewrites {

    private Rewrites() {
    }

    /**
     * Makes every use of {@code old} use {@code replacement} instead. Graph output names are part
     * of the model's interface, so when {@code old} is a graph output, {@code replacement} takes
     * over its name. Returns false, changing nothing, when that cannot be done: the replacement is
     * itself a graph input, initializer or output.
     */
    static boolean bypass(Value old, Value replacement) {
        Graph graph = old.graph();
        if (graph != null && graph.outputs().contains(old)) {
            if (replacement.producer() == null || graph.outputs().contains(replacement)
                    || replacement.graph() != graph) {
                return false;
            }
            String name = old.name();
            old.setName(graph.freshName(name + "_bypassed"));
            replacement.setName(name);
        }
        old.replaceAllUsesWith(replacement);
        return true;
    }
}
