package dev.edgecompress.passes.quantization;

import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.OpsetImport;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.passes.Pass;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassResult;
import dev.edgecompress.passes.analysis.CompressionTargets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Dynamic int8 quantization of MatMul and Gemm with constant weights, and of LSTMs, in the main
 * graph and inside If, Loop and Scan bodies: weights are int8 offline
 * (symmetric, per output column by default), activations are quantized at run time, batch by
 * batch, so no calibration data is needed. The standard ONNX form, which ONNX Runtime fuses into
 * its DynamicQuantizeMatMul / MatMulIntegerToFloat kernels:
 * <pre>
 *   x -> Gemm(W, b) -> y
 *
 *   x -> DynamicQuantizeLinear -> (x_q, x_scale, x_zero_point)
 *   MatMulInteger(x_q, W_q [K,N] int8, x_zero_point, W_zero_point) -> Cast(float)
 *     -> Mul(x_scale * W_scale) -> Add(b) -> y
 *
 *   LSTM(x, W [D,4H,I], R [D,4H,H], B, ...)
 *   com.microsoft.DynamicQuantizeLSTM(x, W_q [D,I,4H] int8, R_q [D,H,4H] int8, B, ...,
 *                                     W_scale [D,4H], W_zero_point, R_scale [D,4H], R_zero_point)
 * </pre>
 * Every weighted node left in float is reported with the reason (Conv has no dynamic int8 form
 * here; a weight computed at run time; an LSTM in batch-first layout, which ONNX Runtime's
 * kernel does not take).
 */
public final class DynamicQuantizationPass implements Pass {

    private final QuantizationConfig config;

    public DynamicQuantizationPass(QuantizationConfig config) {
        this.config = config;
    }

    @Override
    public Set<Need> needs() {
        return Set.of(Need.CLEANUP_BEFORE, Need.QUANTIZATION_OPSET);
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
        int replaced = 0;
        int lstms = 0;
        Map<String, Integer> leftFloat = new java.util.TreeMap<>();
        for (Graph graph : model.graph().withSubgraphs()) {
            List<Node> done = new ArrayList<>();
            for (Node node : List.copyOf(graph.nodes())) {
                if (!node.normalizedDomain().isEmpty() || config.excludes(node.name(), node.opType())) {
                    continue;
                }
                if (node.opType().equals("LSTM") && lstmEligible(node)) {
                    quantizeLstm(model, graph, node);
                    lstms++;
                    replaced++;
                } else if (eligible(node)) {
                    rewrite(graph, node);
                    done.add(node);
                } else if (CompressionTargets.WEIGHTED_OPS.contains(node.opType()) && node.input(1) != null) {
                    leftFloat.merge(node.opType() + reason(node), 1, Integer::sum);
                }
            }
            graph.remove(done);
            replaced += done.size();
        }
        String warning = leftFloat.isEmpty() ? null : name() + " left " + leftFloat.values().stream()
                .mapToInt(Integer::intValue).sum() + " weighted nodes in float: " + leftFloat.entrySet().stream()
                .map(e -> e.getValue() + " " + e.getKey()).collect(java.util.stream.Collectors.joining("; "));
        if (replaced == 0) {
            return PassResult.unchanged().withWarning(warning != null ? warning : name()
                    + " changed nothing: the model has no MatMul, Gemm or LSTM with constant weights");
        }
        return PassResult.changed(Map.of("quantized_nodes", replaced, "lstm", lstms)).withWarning(warning);
    }


    private static String reason(Node node) {
        return switch (node.opType()) {
            case "Conv", "ConvTranspose" -> " (dynamic int8 covers MatMul, Gemm and LSTM; use static for"
                    + " convolutions)";
            case "GRU", "RNN" -> " (ONNX Runtime has no int8 " + node.opType() + " kernel)";
            case "LSTM" -> node.intAttribute("layout", 0) != 0 ? " (batch-first layout, which ONNX Runtime's"
                    + " DynamicQuantizeLSTM does not take)" : " (weights computed at run time)";
            default -> " (no constant 2-D weight)";
        };
    }

    private static boolean lstmEligible(Node node) {
        return node.intAttribute("layout", 0) == 0 && isConstantFloat(node.input(1), 3)
                && isConstantFloat(node.input(2), 3);
    }

    private static boolean isConstantFloat(Value value, int rank) {
        return value != null && value.constValue() != null && value.constValue().type() == DataType.FLOAT
                && value.constValue().rank() == rank;
    }

    /** LSTM as ONNX Runtime's DynamicQuantizeLSTM: W and R int8 per gate row, transposed to [D, in, 4H]. */
    private void quantizeLstm(Model model, Graph graph, Node node) {
        List<Value> inputs = new ArrayList<>();
        inputs.add(node.input(0));
        Value[] w = quantizedRecurrent(graph, node.input(1));
        Value[] r = quantizedRecurrent(graph, node.input(2));
        inputs.add(w[0]);
        inputs.add(r[0]);
        for (int i = 3; i <= 7; i++) {
            inputs.add(node.input(i));
        }
        inputs.addAll(List.of(w[1], w[2], r[1], r[2]));
        List<String> names = new ArrayList<>();
        for (Value output : node.outputs()) {
            names.add(output == null ? null : graph.freshName(output.name() + "_int8"));
        }
        while (names.size() < 3) {
            names.add(null);
        }
        Node quantized = new Node("com.microsoft", "DynamicQuantizeLSTM", inputs, names);
        quantized.setName(node.name());
        node.attributes().values().stream().filter(a -> !a.name().equals("layout")).forEach(quantized::setAttribute);
        graph.replace(node, quantized);
        if (model.opsetVersion("com.microsoft") < 0) {
            model.opsets().add(new OpsetImport("com.microsoft", 1));
        }
    }

    /** {quantized [D, cols, rows], scale [D, rows], zero point [D, rows]} of a weight [D, rows, cols]. */
    private Value[] quantizedRecurrent(Graph graph, Value weight) {
        Tensor tensor = weight.constValue();
        int directions = (int) tensor.dim(0);
        int rows = (int) tensor.dim(1);
        int cols = (int) tensor.dim(2);
        float[] values = tensor.toFloatArray();
        WeightQuantizer.Quantized q = WeightQuantizer.quantize(values, new long[] {(long) directions * rows, cols}, 0,
                true);
        byte[] transposed = new byte[values.length];
        for (int d = 0; d < directions; d++) {
            for (int row = 0; row < rows; row++) {
                for (int col = 0; col < cols; col++) {
                    transposed[(d * cols + col) * rows + row] = q.values()[(d * rows + row) * cols + col];
                }
            }
        }
        String base = weight.name();
        long[] perRow = {directions, rows};
        return new Value[] {
            graph.addInitializer(graph.freshName(base + "_quantized"),
                    QdqRewriter.int8(new long[] {directions, cols, rows}, transposed)),
            graph.addInitializer(graph.freshName(base + "_scale"), Tensor.ofFloats(perRow, q.scales())),
            graph.addInitializer(graph.freshName(base + "_zero_point"),
                    QdqRewriter.int8(perRow, new byte[directions * rows])),
        };
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
        WeightQuantizer.Quantized q = WeightQuantizer.quantize(values, dims, 1, config.perChannel(node.name()));
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
        node.output(0).replaceWith(result, "_float");
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
