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
 * chains go at once), then initializers nothing uses that are not graph inputs.
 */
public final class RemoveDeadNodesPass implements Pass {

    @Override
    public String name() {
        return "remove-dead-nodes";
    }

    @Override
    public PassResult run(Model model, PassContext context) {
        Graph graph = model.graph();
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
        if (removedNodes == 0 && unused.isEmpty()) {
            return PassResult.unchanged();
        }
        return PassResult.changed(Map.of("removed_nodes", removedNodes, "removed_initializers", unused.size()));
    }
}
