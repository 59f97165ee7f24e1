package dev.edgecompress.passes.cleanup;

import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.passes.Pass;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Removes Identity nodes, and Dropout nodes in inference mode (no training-mode input, mask
 * unused): their consumers read the input directly.
 *
 * <pre>
 *   x -> Identity -> y -> Relu        x -> Relu
 * </pre>
 */
public final class RemoveIdentityPass implements Pass {

    @Override
    public boolean isHousekeeping() {
        return true;
    }

    @Override
    public String name() {
        return "remove-identity";
    }

    @Override
    public PassResult run(Model model, PassContext context) {
        int removed = 0;
        for (Graph graph : model.graph().withSubgraphs()) {
            removed += remove(graph);
        }
        return removed == 0 ? PassResult.unchanged() : PassResult.changed(Map.of("removed", removed));
    }

    private static int remove(Graph graph) {
        List<Node> removed = new ArrayList<>();
        for (Node node : List.copyOf(graph.nodes())) {
            if (!node.normalizedDomain().isEmpty() || !isRemovable(node)) {
                continue;
            }
            if (Rewrites.bypass(node.output(0), node.input(0))) {
                removed.add(node);
            }
        }
        graph.remove(removed);
        return removed.size();
    }

    private static boolean isRemovable(Node node) {
        if (node.opType().equals("Identity")) {
            return node.input(0) != null;
        }
        if (!node.opType().equals("Dropout") || node.input(0) == null) {
            return false;
        }
        boolean maskUsed = node.outputs().size() > 1 && node.output(1) != null
                && (node.output(1).hasUses() || node.output(1).isGraphOutput());
        boolean trainingMode = node.input(2) != null
                && (node.input(2).constValue() == null || node.input(2).constValue().buffer().get(0) != 0);
        return !maskUsed && !trainingMode;
    }
}
