package dev.edgecompress.passes.cleanup;

import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.ValueType;
import dev.edgecompress.passes.Pass;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Makes constants visible as initializers, so that passes and shape logic can read them:
 * {@code Constant} nodes holding a tensor become initializers, and {@code Shape} of a value whose
 * shape is fully known becomes an int64 initializer, and Unsqueeze, Squeeze, Reshape, Concat and
 * Slice of constants are computed (a weight assembled from constant pieces becomes one constant);
 * in the main graph and in every subgraph (an If branch's constants become that branch's
 * initializers). Shapes with a symbolic dimension (a dynamic
 * batch) are left alone, so the model stays dynamic.
 *
 * <pre>
 *   Constant(value=t) -> c -> Reshape        initializer c = t -> Reshape
 *   x[2,3] -> Shape -> s                     initializer s = [2, 3]
 * </pre>
 */
public final class FoldConstantsPass implements Pass {

    @Override
    public boolean isHousekeeping() {
        return true;
    }

    @Override
    public String name() {
        return "fold-constants";
    }

    @Override
    public PassResult run(Model model, PassContext context) {
        int folded = 0;
        List<Value> computed = new ArrayList<>();
        for (Graph graph : model.graph().withSubgraphs()) {
            folded += fold(graph, computed);
        }
        return folded == 0 ? PassResult.unchanged() : PassResult.changed(Map.of("folded", folded));
    }

    /**
     * Folds the graph's constant nodes. A computed constant lives where its data input lives, and
     * an equal one computed before is reused: If branches that rearrange the same outer weight the
     * same way (Silero VAD's LSTMs, once per state branch) share one tensor instead of a copy each.
     */
    private static int fold(Graph graph, List<Value> computed) {
        List<Node> folded = new ArrayList<>();
        for (Node node : List.copyOf(graph.nodes())) {
            Tensor constant = constantOf(node);
            if (constant == null || node.output(0).isGraphOutput()) {
                continue;
            }
            Value output = node.output(0);
            boolean isComputed = ConstantShapeOps.FOLDED.contains(node.opType());
            Value same = isComputed ? computed.stream().filter(v -> isVisibleIn(v.graph(), graph)
                    && v.constValue().contentEquals(constant)).findFirst().orElse(null) : null;
            if (same != null) {
                output.replaceAllUsesWith(same);
                folded.add(node);
                continue;
            }
            Graph home = isComputed && isVisibleIn(node.input(0).graph(), graph) ? node.input(0).graph() : graph;
            String name = output.name();
            output.setName(graph.freshName(name + "_folded"));
            Value initializer = home.addInitializer(name, constant.withName(null));
            output.replaceAllUsesWith(initializer);
            if (isComputed) {
                computed.add(initializer);
            }
            folded.add(node);
        }
        graph.remove(folded);
        return folded.size();
    }

    /** Whether values of {@code outer} are visible in {@code graph}: it is the same graph or encloses it. */
    private static boolean isVisibleIn(Graph outer, Graph graph) {
        for (Graph g = graph; g != null; g = g.parent()) {
            if (g == outer) {
                return true;
            }
        }
        return false;
    }

    private static Tensor constantOf(Node node) {
        if (!node.normalizedDomain().isEmpty()) {
            return null;
        }
        if (node.opType().equals("Constant")) {
            Attribute value = node.attribute("value");
            return value != null && value.value() instanceof Tensor tensor ? tensor : null;
        }
        if (node.opType().equals("Shape") && node.attributes().isEmpty() && node.input(0) != null) {
            ValueType.TensorType type = node.input(0).tensorType();
            if (type != null && type.shape() != null && type.shape().isStatic()) {
                long[] sizes = type.shape().sizes();
                return Tensor.ofLongs(new long[] {sizes.length}, sizes);
            }
        }
        return ConstantShapeOps.evaluate(node);
    }
}
