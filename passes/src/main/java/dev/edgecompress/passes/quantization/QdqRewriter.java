package dev.edgecompress.passes.quantization;

import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Use;
import dev.edgecompress.ir.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/** The graph edits of QDQ quantization, each drawn before and after. */
final class QdqRewriter {

    private final boolean axisAllowed;

    /**
     * Edits happen in the graph of the value or node they concern (a subgraph's own nodes get
     * their Q/DQ pairs and constants inside it).
     *
     * @param axisAllowed whether DequantizeLinear may take per-channel parameters (opset 13+)
     */
    QdqRewriter(boolean axisAllowed) {
        this.axisAllowed = axisAllowed;
    }

    /**
     * An activation gets a QuantizeLinear/DequantizeLinear pair; its consumers read the
     * dequantized value.
     * <pre>
     *   x -> Conv            x -> QuantizeLinear -> DequantizeLinear -> Conv
     * </pre>
     */
    void quantizeActivation(Value value, QuantParams params) {
        Graph graph = value.producer() != null ? value.producer().graph() : value.graph();
        List<Use> uses = value.uses();
        Value scale = scalar(graph, value.name() + "_scale", params.scale());
        Value zeroPoint = graph.addInitializer(graph.freshName(value.name() + "_zero_point"),
                params.signed() ? int8(new long[0], new byte[] {(byte) params.zeroPoint()})
                        : uint8(new byte[] {(byte) params.zeroPoint()}));
        Node quantize = new Node(null, "QuantizeLinear", List.of(value, scale, zeroPoint),
                List.of(graph.freshName(value.name() + "_quantized")));
        Node dequantize = new Node(null, "DequantizeLinear", List.of(quantize.output(), scale, zeroPoint),
                List.of(graph.freshName(value.name() + "_dequantized")));
        if (value.producer() != null) {
            graph.insertAfter(value.producer(), quantize);
        } else {
            graph.insertBefore(graph.nodes().get(0), quantize);
        }
        graph.insertAfter(quantize, dequantize);
        for (Use use : uses) {
            use.node().replaceInput(use.inputIndex(), dequantize.output());
        }
    }

    /**
     * A float weight becomes int8, symmetric, one scale per output channel along {@code axis} (or
     * one for the tensor), read through a DequantizeLinear.
     * <pre>
     *   W (float) -> Gemm        W_quantized (int8) -> DequantizeLinear(W_scale, axis) -> Gemm
     * </pre>
     * Returns the weight scales, for the bias.
     */
    float[] quantizeWeight(Node node, int input, int axis, boolean perChannel) {
        Graph graph = node.graph();
        Value weight = node.input(input);
        Tensor w = weight.constValue();
        long[] dims = w.dims();
        boolean channels = perChannel && axisAllowed;
        WeightQuantizer.Quantized quantized = WeightQuantizer.quantize(w.toFloatArray(), dims, axis, channels);
        float[] scales = quantized.scales();
        int count = scales.length;
        Value q = graph.addInitializer(graph.freshName(weight.name() + "_quantized"), int8(dims, quantized.values()));
        Value scale = channels ? vector(graph, weight.name() + "_scale", scales)
                : scalar(graph, weight.name() + "_scale", scales[0]);
        // The zero point is 0, DequantizeLinear's default, yet stored: ONNX Runtime 1.29 fuses
        // DequantizeLinear -> Gemm into QGemm only when it is there (measured: 0.35x without it).
        Value zero = graph.addInitializer(graph.freshName(weight.name() + "_zero_point"),
                int8(channels ? new long[] {count} : new long[0], new byte[count]));
        Node dequantize = new Node(null, "DequantizeLinear", List.of(q, scale, zero),
                List.of(graph.freshName(weight.name() + "_dequantized")));
        if (channels) {
            dequantize.setAttribute(Attribute.of("axis", (long) axis));
        }
        graph.insertBefore(node, dequantize);
        node.replaceInput(input, dequantize.output());
        return scales;
    }

    /**
     * A 1-D float bias becomes int32 with scale = input scale x weight scale, zero point 0, so the
     * integer kernel adds it to its int32 accumulator directly.
     * <pre>
     *   b (float) -> Conv        b_quantized (int32) -> DequantizeLinear(x_scale * W_scale) -> Conv
     * </pre>
     */
    void quantizeBias(Node node, int input, float inputScale, float[] weightScales) {
        Graph graph = node.graph();
        Value bias = node.input(input);
        float[] values = bias.constValue().toFloatArray();
        int channels = values.length;
        float[] scales = new float[channels];
        ByteBuffer quantized = ByteBuffer.allocate(channels * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (int c = 0; c < channels; c++) {
            scales[c] = inputScale * weightScales[weightScales.length == 1 ? 0 : c];
            double q = Math.rint(values[c] / scales[c]);
            quantized.putInt((int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, q)));
        }
        boolean channelScales = weightScales.length > 1;
        Value q = graph.addInitializer(graph.freshName(bias.name() + "_quantized"),
                Tensor.of(DataType.INT32, new long[] {channels}, quantized.flip()));
        Value scale = channelScales ? vector(graph, bias.name() + "_scale", scales)
                : scalar(graph, bias.name() + "_scale", scales[0]);
        // No zero point: 0 is DequantizeLinear's default, and ONNX Runtime fuses int32 biases without one.
        Node dequantize = new Node(null, "DequantizeLinear", List.of(q, scale),
                List.of(graph.freshName(bias.name() + "_dequantized")));
        if (channelScales) {
            dequantize.setAttribute(Attribute.of("axis", 0L));
        }
        graph.insertBefore(node, dequantize);
        node.replaceInput(input, dequantize.output());
    }

    private static Value scalar(Graph graph, String base, float value) {
        return graph.addInitializer(graph.freshName(base), Tensor.ofFloats(new long[0], value));
    }

    private static Value vector(Graph graph, String base, float[] values) {
        return graph.addInitializer(graph.freshName(base), Tensor.ofFloats(new long[] {values.length}, values));
    }

    static Tensor int8(long[] dims, byte[] values) {
        return Tensor.of(DataType.INT8, dims, ByteBuffer.wrap(values));
    }

    static Tensor uint8(byte[] values) {
        return Tensor.of(DataType.UINT8, new long[0], ByteBuffer.wrap(values));
    }
}
