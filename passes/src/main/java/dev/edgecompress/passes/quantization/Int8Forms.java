package dev.edgecompress.passes.quantization;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import java.util.List;

/**
 * Rewrites, before static quantization, operators ONNX Runtime has no int8 kernel for into ones it
 * has, computing the same values (up to float rounding), so that HardSwish and its kin stay int8
 * between int8 convolutions instead of making float islands:
 * <pre>
 *   Div(x, c)                     Mul(x, 1/c)                        (c a float constant, no zero)
 *   HardSigmoid(x; alpha, beta)   Clip(Add(Mul(x, alpha), beta), 0, 1)
 * </pre>
 * Paddle's HardSwish, x * Clip(x + 3, 0, 6) / 6, and PyTorch's at opset 11, x * HardSigmoid(x),
 * then become QLinearAdd, QLinearMul and a Clip folded into quantization.
 */
final class Int8Forms {

    private Int8Forms() {
    }

    /** Rewrites every graph of {@code model}; returns how many nodes changed. */
    static int rewrite(Model model) {
        int changed = 0;
        for (Graph graph : model.graph().withSubgraphs()) {
            for (Node node : List.copyOf(graph.nodes())) {
                if (!node.normalizedDomain().isEmpty() || node.outputs().size() != 1) {
                    continue;
                }
                if (node.opType().equals("Div") && reciprocal(node.input(1)) != null) {
                    Value inverse = graph.addInitializer(graph.freshName(node.input(1).name() + "_reciprocal"),
                            reciprocal(node.input(1)));
                    graph.replace(node, new Node(null, "Mul", List.of(node.input(0), inverse), List.of("")));
                    changed++;
                } else if (node.opType().equals("HardSigmoid") && node.input(0) != null) {
                    float alpha = node.attribute("alpha") == null ? 0.2f : node.attribute("alpha").asFloat();
                    float beta = node.attribute("beta") == null ? 0.5f : node.attribute("beta").asFloat();
                    String base = node.output(0).name();
                    Node scaled = graph.insertBefore(node, new Node(null, "Mul", List.of(node.input(0),
                            scalar(graph, base + "_alpha", alpha)), List.of(graph.freshName(base + "_scaled"))));
                    Node shifted = graph.insertBefore(node, new Node(null, "Add", List.of(scaled.output(),
                            scalar(graph, base + "_beta", beta)), List.of(graph.freshName(base + "_shifted"))));
                    graph.replace(node, new Node(null, "Clip", List.of(shifted.output(), scalar(graph, base + "_zero",
                            0f), scalar(graph, base + "_one", 1f)), List.of("")));
                    changed++;
                }
            }
        }
        return changed;
    }

    /** 1/c of a float constant without zeros, else null. */
    private static Tensor reciprocal(Value value) {
        Tensor c = value == null ? null : value.constValue();
        if (c == null || c.type() != DataType.FLOAT || c.elementCount() > 1 << 16) {
            return null;
        }
        float[] values = c.toFloatArray();
        for (int i = 0; i < values.length; i++) {
            if (values[i] == 0 || !Float.isFinite(values[i])) {
                return null;
            }
            values[i] = 1 / values[i];
        }
        return Tensor.ofFloats(c.dims(), values);
    }

    private static Value scalar(Graph graph, String base, float value) {
        return graph.addInitializer(graph.freshName(base), Tensor.ofFloats(new long[0], value));
    }
}
