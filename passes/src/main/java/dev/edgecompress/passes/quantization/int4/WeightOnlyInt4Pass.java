package dev.edgecompress.passes.quantization.int4;

import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.OpsetImport;
import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.passes.ActivationSource;
import dev.edgecompress.passes.Pass;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassResult;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * 4-bit weight-only quantization of MatMul and Gemm with constant 2-D weights, in the main graph
 * and inside If, Loop and Scan bodies: each weight becomes 16-level codes in blocks along its
 * input dimension, with a float scale (and a zero point) per block; activations stay float.
 * Written as ONNX Runtime's {@code com.microsoft.MatMulNBits} (packed codes, one fused kernel):
 * <pre>
 *   x -> MatMul(W [K, N]) -> y        x -> MatMulNBits(B uint8 [N, K/block, block/2], scales [N * K/block],
 *                                                        zero points, bias; K, N, bits 4, block_size) -> y
 * </pre>
 * or, with format qdq, as standard ONNX (operator set 21): {@code DequantizeLinear(W int4/uint4 [K, N],
 * scale [K/block, N], zero point; axis 0, block_size) -> MatMul}. Gemm's alpha is folded into the
 * weights and beta into the bias. Every weighted node left in float is reported with the reason.
 * GPTQ measures each layer's inputs on calibration data, layer after layer on the model as
 * quantized so far, as its authors do; inside subgraphs, which calibration does not reach
 * layer by layer, it falls back to round to nearest and says so.
 */
public final class WeightOnlyInt4Pass implements Pass {

    static final String DOMAIN = "com.microsoft";
    /** The first operator set whose DequantizeLinear takes 4-bit types and blocks. */
    static final long QDQ_OPSET = 21;

    private final Int4Config config;

    public WeightOnlyInt4Pass(Int4Config config) {
        this.config = config;
    }

    @Override
    public String name() {
        return "quantize-int4";
    }

    @Override
    public Map<String, Object> params() {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("block", config.block());
        params.put("method", config.method().id());
        params.put("format", config.format().id());
        params.put("accuracy_level", config.accuracyLevel());
        if (!config.exclude().isEmpty()) {
            params.put("exclude", config.exclude());
        }
        return params;
    }

    @Override
    public Set<Need> needs() {
        return config.method() == Int4Config.Method.GPTQ ? Set.of(Need.CALIBRATION_DATA, Need.CLEANUP_BEFORE)
                : Set.of(Need.CLEANUP_BEFORE);
    }

    /**
     * A node to quantize: its weight W [K, N] of y = x W column by column ({@code columns[n * K + k]},
     * as the quantizers take it), and its bias (or null).
     */
    private record Target(Graph graph, Node node, float[] columns, int rows, int cols, float[] bias) {
    }

    /**
     * What 4-bit quantization would act on, changing nothing: each MatMul or Gemm it quantizes
     * (node and weight as K x N), and the weighted nodes it leaves float (op type and reason, counted).
     */
    public record Plan(List<String> weights, Map<String, Integer> leftFloat) {
    }

    /** The plan of quantizing {@code model} to 4 bits (any method, nothing excluded). */
    public static Plan plan(Model model) {
        Map<String, Integer> leftFloat = new TreeMap<>();
        List<String> weights = new ArrayList<>();
        for (Node node : candidates(model, Set.of(), leftFloat)) {
            Tensor weight = node.input(1).constValue();
            boolean transposed = node.opType().equals("Gemm") && node.intAttribute("transB", 0) != 0;
            weights.add(String.format("%s %s %d x %d", label(node), node.opType(), weight.dim(transposed ? 1 : 0),
                    weight.dim(transposed ? 0 : 1)));
        }
        return new Plan(weights, leftFloat);
    }

    /**
     * The nodes to quantize, main graph and subgraphs, in order; the weighted nodes left float go
     * into {@code leftFloat} (op type and reason, counted).
     */
    private static List<Node> candidates(Model model, Set<String> exclude, Map<String, Integer> leftFloat) {
        List<Node> nodes = new ArrayList<>();
        for (Graph graph : model.graph().withSubgraphs()) {
            for (Node node : graph.nodes()) {
                if (!node.normalizedDomain().isEmpty() || !WEIGHTED.contains(node.opType())) {
                    continue;
                }
                boolean excluded = node.name() != null && exclude.contains(node.name())
                        || exclude.contains(node.opType());
                String reason = excluded ? "excluded" : reasonToKeep(node);
                if (reason == null) {
                    nodes.add(node);
                } else if (!reason.isEmpty()) {
                    leftFloat.merge(node.opType() + " (" + reason + ")", 1, Integer::sum);
                }
            }
        }
        return nodes;
    }

    @Override
    public PassResult run(Model model, PassContext context) {
        long opset = model.opsetVersion("");
        if (config.format() == Int4Config.Format.QDQ && opset < QDQ_OPSET) {
            throw new SettingException("format", "qdq needs the model at operator set " + QDQ_OPSET + " or later"
                    + " (DequantizeLinear with 4-bit types and block_size); this model is at " + opset
                    + "; the default format, matmulnbits, runs at any operator set");
        }
        Map<String, Integer> leftFloat = new TreeMap<>();
        List<Target> targets = candidates(model, config.exclude(), leftFloat).stream()
                .map(node -> target(node.graph(), node)).toList();
        String floatWarning = leftFloat.isEmpty() ? null : name() + " left " + leftFloat.values().stream()
                .mapToInt(Integer::intValue).sum() + " weighted nodes in float: " + leftFloat.entrySet().stream()
                .map(e -> e.getValue() + " " + e.getKey()).collect(Collectors.joining("; "));
        if (targets.isEmpty()) {
            return PassResult.unchanged().withWarning(floatWarning != null ? floatWarning : name()
                    + " changed nothing: the model has no MatMul or Gemm with a constant 2-D float weight");
        }
        ActivationSource source = config.method() == Int4Config.Method.GPTQ ? context.activations(name()) : null;
        long floatBytes = 0;
        long quantizedBytes = 0;
        double signal = 0;
        double noise = 0;
        int roundedInSubgraphs = 0;
        Map<String, Double> sqnrByNode = new LinkedHashMap<>();
        for (int i = 0; i < targets.size(); i++) {
            Target target = targets.get(i);
            context.progress(name(), (double) i / targets.size());
            boolean gptq = source != null && target.graph() == model.graph();
            roundedInSubgraphs += source != null && !gptq ? 1 : 0;
            // GPTQ works on its copy of the weights (it updates the rows not yet quantized).
            Blocks blocks = gptq ? Gptq.quantize(target.columns().clone(), target.rows(), target.cols(),
                    config.block(), hessian(model, target, source))
                    : dataFree(target.columns(), target.rows(), target.cols());
            double s = 0;
            double e = 0;
            for (int n = 0; n < target.cols(); n++) {
                for (int k = 0; k < target.rows(); k++) {
                    double w = target.columns()[n * target.rows() + k];
                    double error = w - blocks.value(k, n);
                    s += w * w;
                    e += error * error;
                }
            }
            signal += s;
            noise += e;
            sqnrByNode.put(label(target.node()), round(10 * Math.log10(s / Math.max(e, 1e-30))));
            floatBytes += 4L * target.columns().length;
            quantizedBytes += write(model, target, blocks);
        }
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("quantized_nodes", targets.size());
        details.put("weight_bytes", Map.of("before", floatBytes, "after", quantizedBytes));
        details.put("weight_sqnr_db", round(10 * Math.log10(signal / Math.max(noise, 1e-30))));
        details.put("weight_sqnr_db_by_node", sqnrByNode);
        PassResult result = PassResult.changed(details).withWarning(floatWarning);
        if (roundedInSubgraphs > 0) {
            result = result.withWarning(String.format("%s: %d weighted nodes inside subgraphs were quantized by round"
                    + " to nearest: calibration does not reach them layer by layer, as gptq needs", name(),
                    roundedInSubgraphs));
        }
        return result;
    }

    private Blocks dataFree(float[] columns, int rows, int cols) {
        return switch (config.method()) {
            case HQQ -> BlockQuantizer.halfQuadratic(columns, rows, cols, config.block());
            default -> BlockQuantizer.roundToNearest(columns, rows, cols, config.block());
        };
    }

    /** H = X^T X of the target's inputs over the calibration data, on the model as quantized so far. */
    private static double[] hessian(Model model, Target target, ActivationSource source) {
        int k = target.rows();
        double[] h = new double[k * k];
        source.collect(model, List.of(target.node().input(0).name()), batch -> {
            Tensor inputs = batch.get(target.node().input(0).name());
            Gptq.accumulate(h, inputs.toFloatArray(), k);
        });
        return h;
    }

    private static final Set<String> WEIGHTED = Set.of("MatMul", "Gemm", "Conv", "ConvTranspose");

    /** Why {@code node} stays float; null when it quantizes; "" when it is nothing to report. */
    private static String reasonToKeep(Node node) {
        if (node.opType().startsWith("Conv")) {
            return "4-bit weight-only covers MatMul and Gemm; use static int8 for convolutions";
        }
        Value a = node.input(0);
        Value b = node.input(1);
        if (a == null || b == null || a.constValue() != null) {
            return "";
        }
        Tensor weight = b.constValue();
        if (weight == null || weight.type() != DataType.FLOAT || weight.rank() != 2) {
            return "no constant 2-D float weight";
        }
        if (node.opType().equals("Gemm")) {
            if (node.intAttribute("transA", 0) != 0) {
                return "transposed input";
            }
            Value c = node.input(2);
            if (c != null && (c.constValue() == null || c.constValue().type() != DataType.FLOAT
                    || c.constValue().rank() > 1 || c.constValue().elementCount() != outputs(node, weight))) {
                return "bias not a constant vector";
            }
        }
        return null;
    }

    private static long outputs(Node gemm, Tensor weight) {
        return gemm.intAttribute("transB", 0) != 0 ? weight.dim(0) : weight.dim(1);
    }

    private static Target target(Graph graph, Node node) {
        Tensor tensor = node.input(1).constValue();
        float[] w = tensor.toFloatArray();
        boolean transposed = node.opType().equals("Gemm") && node.intAttribute("transB", 0) != 0;
        // Stored [K, N], the weight is transposed into columns; Gemm's transposed [N, K] already is columns.
        int rows = (int) tensor.dim(transposed ? 1 : 0);
        int cols = (int) tensor.dim(transposed ? 0 : 1);
        float[] columns = transposed ? w : BlockQuantizer.columnMajor(w, rows, cols);
        float[] bias = null;
        if (node.opType().equals("Gemm")) {
            float alpha = node.attribute("alpha") != null ? node.attribute("alpha").asFloat() : 1f;
            for (int i = 0; i < columns.length && alpha != 1f; i++) {
                columns[i] *= alpha;
            }
            if (node.input(2) != null) {
                float beta = node.attribute("beta") != null ? node.attribute("beta").asFloat() : 1f;
                bias = node.input(2).constValue().toFloatArray();
                for (int i = 0; i < bias.length; i++) {
                    bias[i] *= beta;
                }
            }
        }
        return new Target(graph, node, columns, rows, cols, bias);
    }

    /** Replaces the target's node by its 4-bit form; returns the bytes its weight now takes. */
    private long write(Model model, Target target, Blocks blocks) {
        Graph graph = target.graph();
        Node node = target.node();
        String base = node.input(1).name();
        String out = node.output(0).name();
        Value bias = target.bias() == null ? null : graph.addInitializer(graph.freshName(base + "_bias"),
                Tensor.ofFloats(new long[] {target.bias().length}, target.bias()));
        long bytes;
        Value result;
        if (config.format() == Int4Config.Format.MATMULNBITS) {
            Value packed = graph.addInitializer(graph.freshName(base + "_int4"), Tensor.of(DataType.UINT8,
                    new long[] {blocks.columns(), blocks.blocks(), blocks.size() / 2},
                    ByteBuffer.wrap(Int4Packing.columnBlocks(blocks))));
            Value scales = graph.addInitializer(graph.freshName(base + "_scales"),
                    Tensor.ofFloats(new long[] {blocks.scales().length}, blocks.scales()));
            Value zeros = null;
            if (!blocks.zerosAllEight()) {
                byte[] packedZeros = Int4Packing.zeroPoints(blocks);
                zeros = graph.addInitializer(graph.freshName(base + "_zero_points"), Tensor.of(DataType.UINT8,
                        new long[] {packedZeros.length}, ByteBuffer.wrap(packedZeros)));
            }
            List<Value> inputs = new ArrayList<>(java.util.Arrays.asList(node.input(0), packed, scales, zeros, null,
                    bias));
            while (inputs.get(inputs.size() - 1) == null) {
                inputs.remove(inputs.size() - 1);
            }
            Node nbits = graph.insertBefore(node, new Node(DOMAIN, "MatMulNBits", inputs,
                    List.of(graph.freshName(out + "_int4"))));
            nbits.setName(node.name());
            nbits.setAttribute(Attribute.of("K", (long) blocks.rows()));
            nbits.setAttribute(Attribute.of("N", (long) blocks.columns()));
            nbits.setAttribute(Attribute.of("bits", 4L));
            nbits.setAttribute(Attribute.of("block_size", (long) blocks.size()));
            nbits.setAttribute(Attribute.of("accuracy_level", (long) config.accuracyLevel()));
            if (model.opsetVersion(DOMAIN) < 0) {
                model.opsets().add(new OpsetImport(DOMAIN, 1));
            }
            result = nbits.output(0);
            bytes = packed.constValue().byteSize() + scales.constValue().byteSize()
                    + (zeros == null ? 0 : zeros.constValue().byteSize());
        } else {
            boolean symmetric = blocks.zerosAllEight();
            DataType type = symmetric ? DataType.INT4 : DataType.UINT4;
            long[] dims = {blocks.rows(), blocks.columns()};
            Value codes = graph.addInitializer(graph.freshName(base + "_int4"), Tensor.of(type, dims,
                    ByteBuffer.wrap(Int4Packing.rowMajor(blocks, symmetric))));
            long[] paramDims = {blocks.blocks(), blocks.columns()};
            Value scales = graph.addInitializer(graph.freshName(base + "_scales"),
                    Tensor.ofFloats(paramDims, Int4Packing.blockMajor(blocks.scales(), blocks)));
            List<Value> inputs = new ArrayList<>(List.of(codes, scales));
            if (!symmetric) {
                inputs.add(graph.addInitializer(graph.freshName(base + "_zero_points"), Tensor.of(DataType.UINT4,
                        paramDims, ByteBuffer.wrap(Int4Packing.zeroPointsRowMajor(blocks)))));
            }
            Node dequantize = graph.insertBefore(node, new Node(null, "DequantizeLinear", inputs,
                    List.of(graph.freshName(base + "_dequantized"))));
            dequantize.setAttribute(Attribute.of("axis", 0L));
            dequantize.setAttribute(Attribute.of("block_size", (long) blocks.size()));
            Node matmul = graph.insertBefore(node, new Node(null, "MatMul", List.of(node.input(0),
                    dequantize.output(0)), List.of(graph.freshName(out + "_int4"))));
            matmul.setName(node.name());
            result = matmul.output(0);
            if (bias != null) {
                result = graph.insertBefore(node, new Node(null, "Add", List.of(result, bias),
                        List.of(graph.freshName(out + "_biased")))).output(0);
            }
            bytes = inputs.stream().mapToLong(v -> v.constValue().byteSize()).sum();
        }
        node.output(0).replaceWith(result, "_float");
        List<Value> replaced = node.inputs().subList(1, node.inputs().size()).stream()
                .filter(v -> v != null && v.isInitializer()).toList();
        graph.remove(List.of(node));
        // The float weight and bias go now, so the step's counts show the 4-bit model.
        graph.removeInitializers(replaced.stream().filter(v -> !v.hasUses() && !v.isGraphOutput()).toList());
        return bytes + (bias == null ? 0 : bias.constValue().byteSize());
    }

    private static String label(Node node) {
        return node.name() != null && !node.name().isEmpty() ? node.name() : node.output(0).name();
    }

    private static double round(double value) {
        return Double.isFinite(value) ? Double.parseDouble(String.format(Locale.ROOT, "%.2f", value)) : value;
    }
}
