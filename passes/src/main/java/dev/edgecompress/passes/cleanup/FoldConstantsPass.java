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
        for (Graph graph : model.graph().withSubgraphs()) {
            folded += fold(graph);
        }
        return folded == 0 ? PassResult.unchanged() : PassResult.changed(Map.of("folded", folded));
    }

    private static int fold(Graph graph) {
        List<Node> folded = new ArrayList<>();
        for (Node node : List.copyOf(graph.nodes())) {
            Tensor constant = constantOf(node);
            if (constant == null || node.output(0).isGraphOutput()) {
                continue;
            }
            Value output = node.output(0);
            String name = output.name();
            output.setName(graph.freshName(name + "_folded"));
            Value initializer = graph.addInitializer(name, constant.withName(null));
            output.replaceAllUsesWith(initializer);
            folded.add(node);
        }
        graph.remove(folded);
        return folded.size();
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
