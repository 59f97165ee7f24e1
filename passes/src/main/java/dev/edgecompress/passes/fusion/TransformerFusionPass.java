package dev.edgecompress.passes.fusion;

import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.OpsetImport;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.passes.ModelRunner;
import dev.edgecompress.passes.OutputCheck;
import dev.edgecompress.passes.Pass;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassResult;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * ONNX Runtime's fused transformer kernels where the graph spells out what they compute, as its
 * own transformer optimizer writes them (ONNX Runtime's session does not find these patterns in
 * PyTorch exports):
 * <ul>
 *   <li>multi-head self-attention from one packed projection: {@code MatMul(x, W) + b -> Reshape
 *       [B, S, 3, heads, D] -> Transpose (2, 0, 3, 1, 4) -> Gather 0 / 1 / 2 -> softmax(q k^T /
 *       scale) v -> Transpose (0, 2, 1, 3) -> Reshape} becomes {@code com.microsoft.Attention(x, W,
 *       b, num_heads)};</li>
 *   <li>{@code LayerNormalization(a + b)} over the last axis, both operands computed, becomes
 *       {@code com.microsoft.SkipLayerNormalization}, its fourth output the sum where other nodes
 *       read it (the residual stream);</li>
 *   <li>GELU written as {@code x * (erf(x / sqrt 2) + 1) * 0.5} becomes {@code com.microsoft.Gelu},
 *       or {@code BiasGelu} when x is a product plus a constant bias.</li>
 * </ul>
 * The fused nodes take the results' places; the nodes they replace are left to dead-code removal.
 * The rewrite must not change results: with a runtime to check on, the outputs before and after
 * are compared (relative tolerance {@link OutputCheck#TOLERANCE}) and a mismatch undoes every
 * fusion, with a warning.
 */
public final class TransformerFusionPass implements Pass {

    static final String DOMAIN = "com.microsoft";
    private static final double SQRT2 = Math.sqrt(2);

    /**
     * A result a fused node took over: the value it replaced and the fused node's value in its
     * place; {@code kind} names the fusion (null for a fusion's second result).
     */
    private record Fused(String kind, Value original, Value replacement) {
    }

    @Override
    public String name() {
        return "fuse-transformer";
    }

    @Override
    public boolean isHousekeeping() {
        return true;
    }

    @Override
    public PassResult run(Model model, PassContext context) {
        ModelRunner runner = context.runner();
        Map<String, Tensor> before = null;
        List<Fused> fused = new ArrayList<>();
        for (Graph graph : model.graph().withSubgraphs()) {
            if (before == null && runner != null && hasCandidates(graph)) {
                before = runQuietly(runner, model);
            }
            for (Node node : List.copyOf(graph.nodes())) {
                fused.addAll(switch (node.normalizedDomain().isEmpty() ? node.opType() : "") {
                    case "Softmax" -> attention(graph, node);
                    case "LayerNormalization" -> skipLayerNorm(graph, node);
                    case "Mul" -> gelu(graph, node);
                    default -> List.of();
                });
            }
        }
        if (fused.isEmpty()) {
            return PassResult.unchanged();
        }
        if (model.opsetVersion(DOMAIN) < 0) {
            model.opsets().add(new OpsetImport(DOMAIN, 1));
        }
        Map<String, Integer> counts = new LinkedHashMap<>();
        fused.stream().filter(f -> f.kind() != null).forEach(f -> counts.merge(f.kind(), 1, Integer::sum));
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("fused", counts);
        if (before == null) {
            return PassResult.changed(details).withWarning(name() + " was not checked: "
                    + (runner == null ? "no runtime to check it on" : "the model does not run on "
                    + runner.describeInputs()));
        }
        StringBuilder problem = new StringBuilder();
        double error;
        try {
            error = OutputCheck.compare(before, runner.run(model), problem);
        } catch (RuntimeException e) {
            error = -1;
            problem.append(e.getMessage());
        }
        if (error < 0) {
            undo(fused);
            return PassResult.unchanged().withWarning(name() + " undid " + fused.size() + " fusions: the fused model"
                    + " changed the results (" + problem + ")");
        }
        details.put("max_output_error", error);
        details.put("checked_on", runner.describeInputs());
        return PassResult.changed(details);
    }

    private static Map<String, Tensor> runQuietly(ModelRunner runner, Model model) {
        try {
            return runner.run(model);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static boolean hasCandidates(Graph graph) {
        return graph.nodes().stream().anyMatch(n -> n.normalizedDomain().isEmpty() && (n.opType().equals("Softmax")
                || n.opType().equals("LayerNormalization") || n.opType().equals("Erf")));
    }

    /** Points every use back at the original results and drops the fused nodes. */
    private static void undo(List<Fused> fused) {
        for (int i = fused.size() - 1; i >= 0; i--) {
            fused.get(i).replacement().replaceAllUsesWith(fused.get(i).original());
        }
        for (int i = fused.size() - 1; i >= 0; i--) {
            Node node = fused.get(i).replacement().producer();
            if (node.graph() != null && node.outputs().stream().noneMatch(v -> v != null && v.hasUses())) {
                node.graph().remove(List.of(node));
            }
        }
    }

    // ---- Attention ----

    private static List<Fused> attention(Graph graph, Node softmax) {
        Value scores = softmax.input(0);
        Node scaling = producer(scores, "Div", "Mul");
        if (scaling == null) {
            return List.of();
        }
        Node qk = producer(scaling.input(0), "MatMul");
        Node transposeK = qk == null ? null : producer(qk.input(1), "Transpose");
        if (transposeK == null || !Arrays.equals(perm(transposeK), new long[] {0, 1, 3, 2})) {
            return List.of();
        }
        Node gatherQ = producer(qk.input(0), "Gather");
        Node gatherK = producer(transposeK.input(0), "Gather");
        Node weighted = single(softmax.output(0), "MatMul", 0);
        Node gatherV = weighted == null ? null : producer(weighted.input(1), "Gather");
        if (gatherQ == null || gatherK == null || gatherV == null || gatherIndex(gatherQ) != 0
                || gatherIndex(gatherK) != 1 || gatherIndex(gatherV) != 2) {
            return List.of();
        }
        Value packed = gatherQ.input(0);
        if (gatherK.input(0) != packed || gatherV.input(0) != packed) {
            return List.of();
        }
        Node split = producer(packed, "Transpose");
        if (split == null || !Arrays.equals(perm(split), new long[] {2, 0, 3, 1, 4})) {
            return List.of();
        }
        Node heads = producer(split.input(0), "Reshape");
        Long headCount = heads == null ? null : shapeElement(heads.input(1), 3, 5);
        Long three = heads == null ? null : shapeElement(heads.input(1), 2, 5);
        if (headCount == null || three == null || three != 3) {
            return List.of();
        }
        Node biasAdd = producer(heads.input(0), "Add");
        int biasIndex = biasAdd == null ? -1 : constantIndex(biasAdd, 1);
        Node projection = biasIndex < 0 ? null : producer(biasAdd.input(1 - biasIndex), "MatMul");
        Tensor weight = projection == null ? null : projection.input(1).constValue();
        if (weight == null || weight.rank() != 2 || weight.dim(1) % 3 != 0
                || weight.dim(1) / 3 % headCount != 0) {
            return List.of();
        }
        long hidden = weight.dim(1) / 3;
        Float scale = scale(scaling, hidden / headCount);
        Node merge = single(weighted.output(0), "Transpose", 0);
        Node output = merge == null ? null : single(merge.output(0), "Reshape", 0);
        if (scale == null || output == null || !Arrays.equals(perm(merge), new long[] {0, 2, 1, 3})) {
            return List.of();
        }
        Node attention = new Node(DOMAIN, "Attention", List.of(projection.input(0), projection.input(1),
                biasAdd.input(biasIndex)), List.of(""));
        attention.setAttribute(Attribute.of("num_heads", headCount));
        if (Math.abs(scale - 1 / Math.sqrt((double) hidden / headCount)) > 1e-6 * scale) {
            attention.setAttribute(Attribute.of("scale", scale));
        }
        attention.setName(graph.freshName(softmax.name() == null ? "Attention" : softmax.name() + "/Attention"));
        graph.insertBefore(output, attention);
        output.output(0).replaceAllUsesWith(attention.output(0));
        return List.of(new Fused("Attention", output.output(0), attention.output(0)));
    }

    /**
     * The attention scale: a constant divisor or factor, or a divisor computed at run time from
     * shapes (exporters compute sqrt(head size) so), taken as 1 / sqrt(head size) and checked by
     * the output comparison.
     */
    private static Float scale(Node scaling, long headSize) {
        Value factor = scaling.input(1);
        Tensor constant = scalar(factor);
        if (constant != null) {
            float value = constant.toFloatArray()[0];
            return scaling.opType().equals("Mul") ? value : 1 / value;
        }
        return scaling.opType().equals("Div") && computedFromShapes(factor, 8) ? (float) (1 / Math.sqrt(headSize))
                : null;
    }

    /** Whether {@code value} is computed only from Shape outputs and constants, within {@code depth} nodes. */
    private static boolean computedFromShapes(Value value, int depth) {
        if (value.constValue() != null) {
            return true;
        }
        Node producer = value.producer();
        if (producer == null || depth == 0 || !producer.normalizedDomain().isEmpty()) {
            return false;
        }
        if (producer.opType().equals("Shape")) {
            return true;
        }
        return producer.inputs().stream().allMatch(v -> v == null || computedFromShapes(v, depth - 1));
    }

    // ---- SkipLayerNormalization ----

    private static List<Fused> skipLayerNorm(Graph graph, Node norm) {
        long axis = norm.intAttribute("axis", -1);
        Node add = producer(norm.input(0), "Add");
        if (add == null || axis != -1 || norm.outputs().size() > 1 && norm.outputs().subList(1, norm.outputs().size())
                .stream().anyMatch(v -> v != null && (v.hasUses() || v.isGraphOutput()))) {
            return List.of();
        }
        Value a = add.input(0);
        Value b = add.input(1);
        if (a == null || b == null || a.isInitializer() || b.isInitializer() || a.producer() == null
                || b.producer() == null) {
            return List.of(); // a broadcast constant (a position embedding) is not a skip input
        }
        Value sum = add.output(0);
        boolean sumReadElsewhere = sum.uses().size() > 1 || sum.isGraphOutput();
        List<Value> inputs = new ArrayList<>(List.of(a, b, norm.input(1)));
        if (norm.input(2) != null) {
            inputs.add(norm.input(2));
        }
        Node skip = new Node(DOMAIN, "SkipLayerNormalization", inputs,
                sumReadElsewhere ? List.of("", "", "", "") : List.of(""));
        skip.setAttribute(Attribute.of("epsilon", norm.attribute("epsilon") == null ? 1e-5f
                : norm.attribute("epsilon").asFloat()));
        skip.setName(graph.freshName(norm.name() == null ? "SkipLayerNormalization"
                : norm.name() + "/SkipLayerNormalization"));
        graph.insertBefore(norm, skip);
        norm.output(0).replaceAllUsesWith(skip.output(0));
        List<Fused> fused = new ArrayList<>(List.of(new Fused("SkipLayerNormalization", norm.output(0),
                skip.output(0))));
        if (sumReadElsewhere) {
            // The residual stream reads the sum from the fused node (the LayerNormalization too, now dead).
            sum.replaceAllUsesWith(skip.output(3));
            fused.add(new Fused(null, sum, skip.output(3)));
        }
        return fused;
    }

    // ---- GELU ----

    /**
     * {@code Mul(Mul(x, Add(Erf(Div(x, sqrt 2)), 1)), 0.5)}, the two products in either order and
     * with either operand order, {@code Div} also as {@code Mul} by 1 / sqrt 2.
     */
    private static List<Fused> gelu(Graph graph, Node outer) {
        int halfIndex = scalarIndex(outer, 0.5);
        if (halfIndex < 0) {
            return List.of();
        }
        Node inner = producer(outer.input(1 - halfIndex), "Mul");
        if (inner == null) {
            return List.of();
        }
        for (int x = 0; x < 2; x++) {
            Value input = inner.input(x);
            Node plusOne = producer(inner.input(1 - x), "Add");
            int oneIndex = plusOne == null ? -1 : scalarIndex(plusOne, 1.0);
            Node erf = oneIndex < 0 ? null : producer(plusOne.input(1 - oneIndex), "Erf");
            Node scaled = erf == null ? null : producer(erf.input(0), "Div", "Mul");
            if (scaled == null || scaled.input(0) != input) {
                continue;
            }
            Tensor divisor = scalar(scaled.input(1));
            double expected = scaled.opType().equals("Div") ? SQRT2 : 1 / SQRT2;
            if (divisor == null || Math.abs(divisor.toFloatArray()[0] - expected) > 1e-3) {
                continue;
            }
            Node biasAdd = producer(input, "Add");
            int biasIndex = biasAdd == null ? -1 : constantIndex(biasAdd, 1);
            Node gelu = biasIndex >= 0 && biasAdd.input(1 - biasIndex).producer() != null
                    ? new Node(DOMAIN, "BiasGelu", List.of(biasAdd.input(1 - biasIndex), biasAdd.input(biasIndex)),
                            List.of(""))
                    : new Node(DOMAIN, "Gelu", List.of(input), List.of(""));
            gelu.setName(graph.freshName(outer.name() == null ? gelu.opType() : outer.name() + "/" + gelu.opType()));
            graph.insertBefore(outer, gelu);
            outer.output(0).replaceAllUsesWith(gelu.output(0));
            return List.of(new Fused(gelu.opType(), outer.output(0), gelu.output(0)));
        }
        return List.of();
    }

    // ---- matching helpers ----

    /** The producer of {@code value} when it is one of {@code ops} in the default domain, else null. */
    private static Node producer(Value value, String... ops) {
        Node node = value == null ? null : value.producer();
        if (node == null || !node.normalizedDomain().isEmpty() || node.outputs().size() < 1) {
            return null;
        }
        return Arrays.asList(ops).contains(node.opType()) ? node : null;
    }

    /** The only node reading {@code value}, when it is {@code op} reading it at {@code index}. */
    private static Node single(Value value, String op, int index) {
        if (value == null || value.uses().size() != 1 || value.isGraphOutput()) {
            return null;
        }
        var use = value.uses().get(0);
        Node node = use.node();
        return node.normalizedDomain().isEmpty() && node.opType().equals(op) && use.inputIndex() == index ? node
                : null;
    }

    private static long[] perm(Node transpose) {
        return transpose.attribute("perm") == null ? null : transpose.attribute("perm").asInts();
    }

    /** The constant index of a Gather over axis 0, or -1. */
    private static long gatherIndex(Node gather) {
        Tensor index = gather.input(1) == null ? null : gather.input(1).constValue();
        if (gather.intAttribute("axis", 0) != 0 || index == null || index.elementCount() != 1) {
            return -1;
        }
        return index.toIntegers()[0];
    }

    /**
     * Element {@code index} of a shape of {@code rank} values: a constant, or a Concat whose part at
     * that position is a one-element constant; null when not known.
     */
    private static Long shapeElement(Value shape, int index, int rank) {
        if (shape.constValue() != null) {
            long[] values = shape.constValue().toIntegers();
            return values.length == rank ? values[index] : null;
        }
        Node concat = producer(shape, "Concat");
        if (concat == null || concat.inputs().size() != rank) {
            return null;
        }
        Tensor part = concat.input(index).constValue();
        return part != null && part.elementCount() == 1 ? part.toIntegers()[0] : null;
    }

    /** A one-element float constant, or null. */
    private static Tensor scalar(Value value) {
        Tensor constant = value == null ? null : value.constValue();
        return constant != null && constant.type() == dev.edgecompress.ir.DataType.FLOAT
                && constant.elementCount() == 1 ? constant : null;
    }

    /** Which input of a two-input node is the float scalar {@code expected} (within 1e-6), or -1. */
    private static int scalarIndex(Node node, double expected) {
        for (int i = 0; i < 2 && i < node.inputs().size(); i++) {
            Tensor constant = scalar(node.input(i));
            if (constant != null && Math.abs(constant.toFloatArray()[0] - expected) < 1e-6) {
                return i;
            }
        }
        return -1;
    }

    /** Which input of a two-input node is a float constant of {@code rank}, or -1. */
    private static int constantIndex(Node node, int rank) {
        for (int i = 0; i < 2 && i < node.inputs().size(); i++) {
            Tensor constant = node.input(i) == null ? null : node.input(i).constValue();
            if (constant != null && constant.type() == dev.edgecompress.ir.DataType.FLOAT && constant.rank() == rank) {
                return i;
            }
        }
        return -1;
    }
}
