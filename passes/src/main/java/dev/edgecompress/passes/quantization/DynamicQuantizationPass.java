package dev.edgecompress.passes.quantization;

import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.passes.Pass;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassResult;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Dynamic int8 quantization of MatMul and Gemm with constant weights: weights are int8 offline
 * (symmetric, per output column by default), activations are quantized at run time, batch by
 * batch, so no calibration data is needed. The standard ONNX form, which ONNX Runtime fuses into
 * its DynamicQuantizeMatMul / MatMulIntegerToFloat kernels:
 * <pre>
 *   x -> Gemm(W, b) -> y
 *
 *   x -> DynamicQuantizeLinear -> (x_q, x_scale, x_zero_point)
 *   MatMulInteger(x_q, W_q [K,N] int8, x_zero_point, W_zero_point) -> Cast(float)
 *     -> Mul(x_scale * W_scale) -> Add(b) -> y
 * </pre>
 */
public final class DynamicQuantizationPass implements Pass {

    private final QuantizationConfig config;

    public DynamicQuantizationPass(QuantizationConfig config) {
        this.config = config;
    }

    @Override
    public String name() {
        return "quantize-dynamic";
    }

    @Override
    public Map<String, Object> params() {
        return config.params(false);
    }

    @Override
    public PassResult run(Model model, PassContext context) {
        Graph graph = model.graph();
        List<Node> replaced = new ArrayList<>();
        for (Node node : List.copyOf(graph.nodes())) {
            if (node.normalizedDomain().isEmpty() && !config.excludes(node.name(), node.opType()) && eligible(node)) {
                rewrite(graph, node);
                replaced.add(node);
            }
        }
        if (replaced.isEmpty()) {
            return PassResult.unchanged();
        }
        graph.remove(replaced);
        return PassResult.changed(Map.of("quantized_nodes", replaced.size()));
    }

    private static boolean eligible(Node node) {
        Value weight = node.input(1);
        if (node.input(0) == null || weight == null || weight.constValue() == null
                || weight.constValue().type() != DataType.FLOAT || weight.constValue().rank() != 2) {
            return false;
        }
        if (node.opType().equals("MatMul")) {
            return node.input(0).constValue() == null;
        }
        if (!node.opType().equals("Gemm") || node.intAttribute("transA", 0) != 0) {
            return false;
        }
        Value bias = node.input(2);
        return bias == null || bias.constValue() != null && bias.constValue().type() == DataType.FLOAT
                && bias.constValue().rank() <= 1;
    }

    private void rewrite(Graph graph, Node node) {
        boolean gemm = node.opType().equals("Gemm");
        Tensor w = node.input(1).constValue();
        float[] values = w.toFloatArray();
        long rows = w.dim(0);
        long cols = w.dim(1);
        if (gemm && node.intAttribute("transB", 0) == 1) {
            values = transpose(values, (int) rows, (int) cols);
            long swap = rows;
            rows = cols;
            cols = swap;
        }
        long[] dims = {rows, cols};
        WeightQuantizer.Quantized q = WeightQuantizer.quantize(values, dims, 1, config.perChannel());
        float alpha = gemm && node.attribute("alpha") != null ? node.attribute("alpha").asFloat() : 1f;
        float[] scales = q.scales().clone();
        for (int c = 0; c < scales.length; c++) {
            scales[c] *= alpha;
        }
        String base = node.input(1).name();
        boolean perColumn = scales.length > 1;
        Value weight = graph.addInitializer(graph.freshName(base + "_quantized"), QdqRewriter.int8(dims, q.values()));
        Value weightZero = graph.addInitializer(graph.freshName(base + "_zero_point"),
                QdqRewriter.int8(perColumn ? new long[] {scales.length} : new long[0], new byte[scales.length]));
        Value weightScale = graph.addInitializer(graph.freshName(base + "_scale"),
                Tensor.ofFloats(perColumn ? new long[] {scales.length} : new long[0], scales));

        String out = node.output(0).name();
        Node quantize = insert(graph, node, new Node(null, "DynamicQuantizeLinear", List.of(node.input(0)),
                List.of(graph.freshName(out + "_input_quantized"), graph.freshName(out + "_input_scale"),
                        graph.freshName(out + "_input_zero_point"))));
        Node product = insert(graph, node, new Node(null, "MatMulInteger", List.of(quantize.output(0), weight,
                quantize.output(2), weightZero), List.of(graph.freshName(out + "_int32"))));
        Node cast = insert(graph, node, new Node(null, "Cast", List.of(product.output()),
                List.of(graph.freshName(out + "_float"))));
        cast.setAttribute(Attribute.of("to", (long) DataType.FLOAT.code()));
        Node scale = insert(graph, node, new Node(null, "Mul", List.of(quantize.output(1), weightScale),
                List.of(graph.freshName(out + "_scale"))));
        Node rescaled = insert(graph, node, new Node(null, "Mul", List.of(cast.output(), scale.output()),
                List.of(graph.freshName(out + "_rescaled"))));
        Value result = rescaled.output();
        Value bias = gemm ? node.input(2) : null;
        if (bias != null) {
            float beta = node.attribute("beta") != null ? node.attribute("beta").asFloat() : 1f;
            Value scaledBias = bias;
            if (beta != 1f) {
                float[] b = bias.constValue().toFloatArray();
                for (int i = 0; i < b.length; i++) {
                    b[i] *= beta;
                }
                scaledBias = graph.addInitializer(graph.freshName(bias.name() + "_scaled"),
                        Tensor.ofFloats(bias.constValue().dims(), b));
            }
            result = insert(graph, node, new Node(null, "Add", List.of(result, scaledBias),
                    List.of(graph.freshName(out + "_biased")))).output();
        }
        Value original = node.output(0);
        String name = original.name();
        original.setName(graph.freshName(name + "_float"));
        result.setName(name);
        original.replaceAllUsesWith(result);
    }

    private static Node insert(Graph graph, Node before, Node node) {
        return graph.insertBefore(before, node);
    }

    private static float[] transpose(float[] values, int rows, int cols) {
        float[] out = new float[values.length];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[c * rows + r] = values[r * cols + c];
            }
        }
        return out;
    }
}
