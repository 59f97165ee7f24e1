package dev.edgecompress.passes.float16;

import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.ElementTypes;
import dev.edgecompress.ir.Float16;
import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Use;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.ValueType;
import dev.edgecompress.passes.Pass;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassResult;
import dev.edgecompress.passes.analysis.CompressionTargets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Float16 weights and computation, as ONNX Runtime's float16 converter writes them: each operator
 * that has a float16 form and computes safely in it takes float16 inputs and gives float16 outputs;
 * float32 stays where an operator has no float16 form, loses accuracy in it ({@link #BLOCKED}:
 * reductions, softmax, exponentials and powers, which overflow or lose the small terms), or the user
 * excluded it. One Cast per value and precision joins the two, shared by all consumers that need it;
 * the graph's inputs and outputs stay float32 unless {@link Float16Config#keepIo()} is off.
 * Initializers read in float16 are stored in float16 (half the bytes); a weight beyond float16's
 * range is clamped to +/-65504 and counted.
 *
 * <p>Only the main graph converts: nodes with subgraphs, and values a subgraph reads, stay float32.
 * An execution provider without a float16 kernel for an operator (ONNX Runtime's CPU for most) runs
 * its float32 kernel between Casts it adds itself, so a converted model loads everywhere.
 */
public final class Float16ConversionPass implements Pass {

    /** Operators whose float tensors (the type parameter T) may all be float16, standard domain. */
    static final Set<String> CONVERTIBLE = Set.of("Abs", "Acos", "Acosh", "Add", "ArgMax", "ArgMin", "Asin", "Asinh",
            "Atan", "Atanh", "AveragePool", "BatchNormalization", "Cast", "Ceil", "Clip", "Compress", "Concat",
            "Conv", "ConvTranspose", "Cos", "Cosh", "DepthToSpace", "Div", "Dropout", "Elu", "Equal", "Erf", "Expand",
            "Flatten", "Floor", "Gather", "GatherElements", "GatherND", "Gelu", "Gemm", "GlobalAveragePool",
            "GlobalMaxPool", "Greater", "GreaterOrEqual", "GridSample", "GRU", "Hardmax", "HardSigmoid", "HardSwish",
            "Identity", "LayerNormalization", "LeakyRelu", "Less", "LessOrEqual", "LSTM", "MatMul",
            "Max", "MaxPool", "MaxRoiPool", "MaxUnpool", "Mean", "Min", "Mish", "Mod", "Mul", "Neg", "Pad", "PRelu",
            "Reciprocal", "ReduceMax", "ReduceMin", "Relu", "Reshape", "Resize", "ReverseSequence", "RNN", "Round",
            "Selu", "Shrink", "Sigmoid", "Sign", "Sin", "Sinh", "Slice",
            "Softplus", "Softsign", "SpaceToDepth", "Split", "Sqrt", "Squeeze", "Sub", "Sum", "Tan", "Tanh",
            "ThresholdedRelu", "Tile", "Transpose", "Trilu", "Unsqueeze", "Upsample", "Where");

    /**
     * Operators kept float32 by default although they have float16 forms: sums over many terms
     * and exponentials lose accuracy or overflow in float16 (LayerNormalization computes its
     * statistics in float32 itself, so it converts; spelled out as ReduceMean, Pow and Sqrt it does
     * not).
     */
    public static final Set<String> BLOCKED = Set.of("Softmax", "LogSoftmax", "ReduceMean", "ReduceSum",
            "ReduceSumSquare", "ReduceL1", "ReduceL2", "ReduceLogSum", "ReduceLogSumExp", "ReduceProd", "CumSum", "Exp",
            "Log", "Pow", "InstanceNormalization", "GroupNormalization", "MeanVarianceNormalization", "LRN", "Det",
            "Einsum", "DFT", "STFT", "TopK", "Range");

    /** Operators that read either precision alike (only the shape), so they need no Cast. */
    private static final Set<String> ANY_PRECISION = Set.of("Shape", "Size");

    /** Float inputs that stay float32 inside converted operators (sizes and rates, not data). */
    private static final Map<String, Set<Integer>> FLOAT32_INPUTS = Map.of("Resize", Set.of(1, 2), "Upsample",
            Set.of(1), "Dropout", Set.of(1));

    /** Float outputs that stay float32 (LayerNormalization's statistics are computed in float32). */
    private static final Map<String, Set<Integer>> FLOAT32_OUTPUTS = Map.of("LayerNormalization", Set.of(1, 2));

    /** The first operator set whose Cast takes a type code (before, it named the type, and ONNX Runtime's check fails). */
    static final long FIRST_OPSET = 6;

    /**
     * With float32 computation, smaller weights stay float32: they save nothing, and ONNX Runtime
     * matches constants such as GELU's sqrt(2) by value to fuse kernels (rounded to float16, the
     * ViT's BiasGelu fusion was lost: 0.83x at batch 1).
     */
    static final int MIN_STORED_ELEMENTS = 16;

    private final Float16Config config;

    public Float16ConversionPass(Float16Config config) {
        this.config = config;
    }

    @Override
    public String name() {
        return "quantize-fp16";
    }

    @Override
    public Map<String, Object> params() {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("keep_io", config.keepIo());
        params.put("compute", config.halfCompute() ? "fp16" : "fp32");
        if (!config.exclude().isEmpty()) {
            params.put("exclude", config.exclude());
        }
        return params;
    }

    @Override
    public Set<Need> needs() {
        return Set.of(Need.CLEANUP_BEFORE);
    }

    /**
     * What conversion with {@code config} would do, changing nothing: how many nodes compute in
     * float16 and which stay float32 (op type and reason, counted), or why nothing converts.
     */
    public record Plan(int float16Nodes, Map<String, Integer> float32Ops, String refusal) {
    }

    /** The plan of converting {@code model} with {@code config}. */
    public static Plan plan(Model model, Float16Config config) {
        String refusal = refusal(model);
        if (refusal != null) {
            return new Plan(0, Map.of(), refusal);
        }
        Float16ConversionPass pass = new Float16ConversionPass(config);
        Conversion conversion = pass.new Conversion(model.graph());
        return new Plan(conversion.converted.size(), Map.copyOf(conversion.float32Ops), null);
    }

    private static String refusal(Model model) {
        long opset = model.opsetVersion("");
        return opset < FIRST_OPSET ? "float16 conversion needs operator set " + FIRST_OPSET
                + " or later (Cast with a type code), the model is at " + opset : null;
    }

    @Override
    public PassResult run(Model model, PassContext context) {
        String refusal = refusal(model);
        if (refusal != null) {
            return PassResult.unchanged().withWarning(name() + " changed nothing: " + refusal);
        }
        return new Conversion(model.graph()).run();
    }

    /** One conversion of one graph. */
    private final class Conversion {
        private final Graph graph;
        private final Map<Value, DataType> types;
        private final Set<Node> converted = new LinkedHashSet<>();
        private final Map<String, Integer> float32Ops = new TreeMap<>();
        private final Map<Value, Value> casts = new HashMap<>();
        private final Set<Node> added = new LinkedHashSet<>();
        private int clamped;
        private int flushed;

        /** Classifies the nodes: which convert, which stay float32 and why. */
        Conversion(Graph graph) {
            this.graph = graph;
            this.types = ElementTypes.of(graph);
            for (Node node : config.halfCompute() ? graph.nodes() : List.<Node>of()) {
                String reason = reasonToKeep(node);
                if (reason == null) {
                    converted.add(node);
                } else if (!reason.isEmpty()) {
                    float32Ops.merge(node.opType() + " (" + reason + ")", 1, Integer::sum);
                }
            }
        }

        PassResult run() {
            if (converted.isEmpty() && config.halfCompute()) {
                return PassResult.unchanged().withWarning(name() + " changed nothing: no operator can compute in"
                        + " float16 here" + (float32Ops.isEmpty() ? "" : "; float32: " + float32Ops));
            }
            long bytesBefore = initializerBytes();
            int initializers = convertInitializers();
            if (initializers == 0 && !config.halfCompute()) {
                return PassResult.unchanged().withWarning(name() + " changed nothing: the model has no float32"
                        + " weights");
            }
            int constants = convertConstants();
            List<Value> halfValues = new ArrayList<>();
            for (Node node : converted) {
                if (node.opType().equals("Cast") && ElementTypes.castTarget(node) == DataType.FLOAT) {
                    node.setAttribute(castTo(DataType.FLOAT16));
                }
                for (int i = 0; i < node.outputs().size(); i++) {
                    Value output = node.output(i);
                    if (output != null && types.get(output) == DataType.FLOAT && halfSlot(node, i, false)) {
                        halfValues.add(output);
                    }
                }
            }
            if (!config.keepIo()) {
                for (Value input : graph.inputs()) {
                    if (types.get(input) == DataType.FLOAT && !input.isInitializer() && allUsesHalf(input)) {
                        halfValues.add(input);
                    }
                }
            }
            halfValues.forEach(value -> retype(value, DataType.FLOAT16));
            for (Value value : halfValues) {
                if (value.isGraphOutput() && config.keepIo()) {
                    castOutput(value);
                }
            }
            insertCasts();
            Map<String, Object> details = new LinkedHashMap<>();
            details.put("float16_nodes", converted.size());
            details.put("float32_nodes", float32Ops.values().stream().mapToInt(Integer::intValue).sum());
            details.put("float32_ops", float32Ops);
            details.put("casts", added.size());
            details.put("initializers_float16", initializers + constants);
            details.put("initializer_bytes", Map.of("before", bytesBefore, "after", initializerBytes()));
            if (flushed > 0) {
                details.put("weights_flushed_to_zero", flushed);
            }
            PassResult result = PassResult.changed(details);
            if (clamped > 0) {
                result = result.withWarning(String.format("%s: %d weights beyond float16's range were clamped to"
                        + " +/-65504", name(), clamped));
            }
            List<String> weighted = float32Ops.keySet().stream().filter(op -> CompressionTargets.WEIGHTED_OPS.contains(op.split(" ")[0]))
                    .toList();
            if (!weighted.isEmpty()) {
                result = result.withWarning(name() + " left weighted operators in float32: " + weighted.stream()
                        .map(op -> float32Ops.get(op) + " " + op).collect(java.util.stream.Collectors.joining("; ")));
            }
            return result;
        }

        /** Why {@code node} stays float32; null when it converts, "" when it has no float tensor at all. */
        private String reasonToKeep(Node node) {
            boolean anyFloat = false;
            for (Value value : tensors(node)) {
                DataType type = types.get(value);
                if (type == null) {
                    return isFloatOrUnknown(node) ? "element types unknown" : "";
                }
                anyFloat |= type == DataType.FLOAT;
            }
            if (!anyFloat || node.opType().equals("Constant") || ANY_PRECISION.contains(node.opType())) {
                return "";
            }
            if (!node.normalizedDomain().isEmpty()) {
                return "custom operator";
            }
            if (!node.subgraphs().isEmpty()) {
                return "has subgraphs";
            }
            if (config.excludes(node.name(), node.opType())) {
                return "excluded";
            }
            if (BLOCKED.contains(node.opType())) {
                return "accuracy in float16";
            }
            if (!CONVERTIBLE.contains(node.opType())) {
                return "no float16 form here";
            }
            for (Value output : node.outputs()) {
                if (output != null && output.uses().stream().anyMatch(use -> use.node().graph() != graph)) {
                    return "read by a subgraph";
                }
            }
            return null;
        }

        private boolean isFloatOrUnknown(Node node) {
            return tensors(node).stream().anyMatch(v -> types.get(v) == null || types.get(v) == DataType.FLOAT);
        }

        private List<Value> tensors(Node node) {
            List<Value> values = new ArrayList<>();
            node.inputs().stream().filter(v -> v != null).forEach(values::add);
            node.outputs().stream().filter(v -> v != null).forEach(values::add);
            return values;
        }

        /** Whether slot {@code index} (an input when {@code input}, else an output) of a converted node is float16. */
        private boolean halfSlot(Node node, int index, boolean input) {
            if (!converted.contains(node)) {
                return false;
            }
            Set<Integer> kept = (input ? FLOAT32_INPUTS : FLOAT32_OUTPUTS).getOrDefault(node.opType(), Set.of());
            return !kept.contains(index);
        }

        private boolean allUsesHalf(Value value) {
            return value.hasUses() && value.uses().stream().allMatch(use -> use.node().graph() == graph
                    && halfSlot(use.node(), use.inputIndex(), true));
        }

        /**
         * Float initializers read in float16 by at least one node (any, with float32 computation)
         * become float16; float32 readers read them through a Cast.
         */
        private int convertInitializers() {
            int count = 0;
            for (Value value : List.copyOf(graph.initializers())) {
                Tensor tensor = value.constValue();
                if (tensor == null || tensor.type() != DataType.FLOAT || value.isGraphInput() || value.isGraphOutput()
                        || value.uses().stream().anyMatch(use -> use.node().graph() != graph)
                        || config.halfCompute() && value.uses().stream()
                                .noneMatch(use -> halfSlot(use.node(), use.inputIndex(), true))
                        || !config.halfCompute() && tensor.elementCount() < MIN_STORED_ELEMENTS) {
                    continue;
                }
                value.replaceConstValue(half(tensor));
                types.put(value, DataType.FLOAT16);
                count++;
            }
            return count;
        }

        /** Float Constant nodes whose every reader takes float16 hold float16 instead. */
        private int convertConstants() {
            int count = 0;
            for (Node node : graph.nodes()) {
                Value output = node.output(0);
                if (node.opType().equals("Constant") && node.normalizedDomain().isEmpty()
                        && node.attribute("value") != null && types.get(output) == DataType.FLOAT
                        && !output.isGraphOutput() && allUsesHalf(output)) {
                    node.setAttribute(Attribute.of("value", half(node.attribute("value").asTensor())));
                    retype(output, DataType.FLOAT16);
                    count++;
                }
            }
            return count;
        }

        private Tensor half(Tensor tensor) {
            float[] values = tensor.toFloatArray();
            for (int i = 0; i < values.length; i++) {
                if (Math.abs(values[i]) > Float16.MAX) {
                    values[i] = Math.copySign(Float16.MAX, values[i]);
                    clamped++;
                } else if (values[i] != 0 && Float16.round(values[i]) == 0) {
                    flushed++;
                }
            }
            return Float16.tensor(tensor.dims(), values).withName(tensor.name());
        }

        /** Every read of a float value in the other precision goes through one shared Cast. */
        private void insertCasts() {
            for (Node node : List.copyOf(graph.nodes())) {
                if (added.contains(node) || ANY_PRECISION.contains(node.opType())) {
                    continue;
                }
                for (int i = 0; i < node.inputs().size(); i++) {
                    Value input = node.input(i);
                    DataType type = input == null ? null : types.get(input);
                    if (type != DataType.FLOAT && type != DataType.FLOAT16) {
                        continue;
                    }
                    DataType wanted = halfSlot(node, i, true) ? DataType.FLOAT16 : DataType.FLOAT;
                    if (type != wanted) {
                        node.replaceInput(i, castOf(input, wanted, node));
                    }
                }
            }
        }

        private Value castOf(Value value, DataType to, Node before) {
            Value cast = casts.get(value);
            if (cast == null) {
                Node node = new Node(null, "Cast", List.of(value), List.of(graph.freshName(value.name() + "_"
                        + to.name().toLowerCase(java.util.Locale.ROOT))));
                node.setAttribute(castTo(to));
                graph.insertBefore(before, node);
                added.add(node);
                cast = node.output(0);
                cast.setType(retyped(value.type(), to));
                types.put(cast, to);
                casts.put(value, cast);
            }
            return cast;
        }

        /** A graph output computed in float16 is Cast back to float32 under its own name. */
        private void castOutput(Value value) {
            Node cast = new Node(null, "Cast", List.of(value), List.of(graph.freshName(value.name() + "_float32")));
            cast.setAttribute(castTo(DataType.FLOAT));
            graph.append(cast);
            Value output = cast.output(0);
            output.setType(retyped(value.type(), DataType.FLOAT));
            types.put(output, DataType.FLOAT);
            value.replaceWith(output, "_float16");
            for (Use use : List.copyOf(output.uses())) {
                use.node().replaceInput(use.inputIndex(), value);
            }
            added.add(cast);
        }

        private Attribute castTo(DataType type) {
            return Attribute.of("to", (long) type.code());
        }

        private void retype(Value value, DataType type) {
            value.setType(retyped(value.type(), type));
            types.put(value, type);
        }

        private long initializerBytes() {
            return graph.initializers().stream().filter(v -> v.constValue() != null)
                    .mapToLong(v -> v.constValue().byteSize()).sum();
        }
    }

    private static ValueType retyped(ValueType type, DataType elementType) {
        return new ValueType.TensorType(elementType, type instanceof ValueType.TensorType tensor ? tensor.shape() : null);
    }
}
