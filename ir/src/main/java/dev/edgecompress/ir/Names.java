package dev.edgecompress.ir;

import java.util.HashSet;
import java.util.Set;

/**
 * The one authority for fresh value names in a graph and all its subgraphs: ONNX values share one
 * namespace across nesting levels, so a new name must be unused anywhere in the tree.
 */
final class Names {

    private final Graph root;
    private Set<String> used;

    Names(Graph root) {
        this.root = root;
    }

    /** A name starting with {@code base} that no value in the tree has yet, now claimed. */
    String fresh(String base) {
        Set<String> taken = taken();
        String stem = base == null || base.isEmpty() ? "v" : base;
        String candidate = stem;
        for (int i = 1; taken.contains(candidate); i++) {
            candidate = stem + "_" + i;
        }
        taken.add(candidate);
        return candidate;
    }

    void claim(String name) {
        if (used != null && name != null) {
            used.add(name);
        }
    }

    /** Claims every name defined in {@code graph}, a subgraph joining the tree. */
    void claimAll(Graph graph) {
        collect(graph, taken());
    }

    private Set<String> taken() {
        if (used == null) {
            used = new HashSet<>();
            collect(root, used);
        }
        return used;
    }

    private static void collect(Graph graph, Set<String> into) {
        graph.inputs().forEach(v -> into.add(v.name()));
        graph.initializers().forEach(v -> into.add(v.name()));
        for (Node node : graph.nodes()) {
            for (Value output : node.outputs()) {
                if (output != null) {
                    into.add(output.name());
                }
            }
            node.subgraphs().forEach(g -> collect(g, into));
        }
    }
}
