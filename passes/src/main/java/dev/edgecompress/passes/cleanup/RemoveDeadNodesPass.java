package dev.edgecompress.passes.cleanup;

import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Value;
import dev.edgecompress.passes.Pass;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Removes nodes none of whose outputs is used or a graph output (walking backwards, so whole dead
 * chains go at once), then initializers nothing uses that are not graph inputs; in the main graph,
 * then in each subgraph.
 */
public final class RemoveDeadNodesPass implements Pass {

    @Override
    public boolean isHousekeeping() {
        return true;
    }

    @Override
    public String name() {
        return "remove-dead-nodes";
    }

    @Override
    public PassResult run(Model model, PassContext context) {
        int[] removed = new int[2];
        for (Graph graph : model.graph().withSubgraphs()) {
            removeDead(graph, removed);
        }
        if (removed[0] == 0 && removed[1] == 0) {
            return PassResult.unchanged();
        }
        return PassResult.changed(Map.of("removed_nodes", removed[0], "removed_initializers", removed[1]));
    }

    private static void removeDead(Graph graph, int[] removed) {
        List<Node> nodes = graph.nodes();
        int removedNodes = 0;
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node node = nodes.get(i);
            boolean live = node.outputs().stream().anyMatch(v -> v != null && (v.hasUses() || v.isGraphOutput()));
            if (!live) {
                graph.remove(List.of(node));
                removedNodes++;
            }
        }
        List<Value> unused = new ArrayList<>();
        for (Value initializer : graph.initializers()) {
            if (!initializer.hasUses() && !initializer.isGraphOutput() && !initializer.isGraphInput()) {
                unused.add(initializer);
            }
        }
        for (Value initializer : graph.sparseInitializers()) {
            if (!initializer.hasUses() && !initializer.isGraphOutput() && !initializer.isGraphInput()) {
                unused.add(initializer);
            }
        }
        graph.removeInitializers(unused);
        removed[0] += removedNodes;
        removed[1] += unused.size();
    }
}
