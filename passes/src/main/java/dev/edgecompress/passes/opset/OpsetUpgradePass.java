package dev.edgecompress.passes.opset;

import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.OpsetImport;
import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.passes.ModelRunner;
import dev.edgecompress.passes.OutputCheck;
import dev.edgecompress.passes.Pass;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassResult;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Upgrades the default-domain operator set to {@code target} (13: QuantizeLinear with per-channel
 * axes, DynamicQuantizeLinear), as ONNX Runtime's quantizer does before quantizing, and converts
 * the operators whose signature changed between the model's version and the target. Each
 * conversion keeps the results; with a {@link ModelRunner} the pass checks that on the runtime,
 * and fails rather than return a model that computes something else.
 *
 * <pre>
 *   Slice(starts=, ends=, axes=)        Slice(x, starts, ends, axes)                    (10)
 *   TopK(k=)                            TopK(x, k)                                      (10)
 *   Upsample(x, scales)                 Resize(x, "", scales, asymmetric, floor)        (10)
 *   Resize-10(x, scales)                Resize(x, "", scales, asymmetric, floor)        (11)
 *   Clip(min=, max=)                    Clip(x, min, max)                               (11)
 *   Pad(pads=, value=)                  Pad(x, pads, value)                             (11)
 *   Scatter                             ScatterElements                                 (11)
 *   Dropout(ratio=)                     Dropout(x)  (inference: the ratio does nothing) (12)
 *   Squeeze/Unsqueeze(axes=)            Squeeze/Unsqueeze(x, axes)                      (13)
 *   Split(split=), ReduceSum(axes=)     Split(x, split), ReduceSum(x, axes)             (13)
 *   Softmax/LogSoftmax/Hardmax(axis=a)  the same over the last axis when a is the last;
 *                                       else Flatten(a) -> op(axis=1) -> Reshape(Shape(x)) (13)
 * </pre>
 * Operators not listed and not known to be unchanged are refused, naming the node, before anything
 * changes. Models below opset 9 are refused.
 */
public final class OpsetUpgradePass implements Pass {

    /** The operator set quantization needs: per-channel QuantizeLinear/DequantizeLinear. */
    public static final long QUANTIZATION_OPSET = 13;

    static final long OLDEST = 9;

    /** Operators whose meaning and signature stay the same from opset 9 to 13 (types only widened). */
    static final Set<String> UNCHANGED = Set.of("Abs", "Acos", "Acosh", "Add", "And", "ArgMax", "ArgMin", "Asin",
            "Asinh", "Atan", "Atanh", "AveragePool", "BatchNormalization", "BitShift", "Cast", "Ceil", "Celu", "Compress",
            "Concat", "ConcatFromSequence", "Constant", "ConstantOfShape", "Conv", "ConvInteger", "ConvTranspose", "Cos",
            "Cosh", "CumSum", "DepthToSpace", "DequantizeLinear", "Det", "Div", "DynamicQuantizeLinear", "Einsum", "Elu",
            "Equal", "Erf", "Exp", "Expand", "EyeLike", "Flatten", "Floor", "GRU", "Gather", "GatherElements",
            "GatherND", "Gemm", "GlobalAveragePool", "GlobalLpPool", "GlobalMaxPool", "Greater", "GreaterOrEqual",
            "HardSigmoid", "Identity", "If", "InstanceNormalization", "IsInf", "IsNaN", "LRN", "LSTM", "LeakyRelu",
            "Less", "LessOrEqual", "Log", "Loop", "LpNormalization", "LpPool", "MatMul", "MatMulInteger", "Max",
            "MaxPool", "MaxRoiPool", "MaxUnpool", "Mean", "MeanVarianceNormalization", "Min", "Mod", "Mul",
            "Multinomial", "Neg", "NonMaxSuppression", "NonZero", "Not", "OneHot", "Or", "PRelu", "Pow",
            "QLinearConv", "QLinearMatMul", "QuantizeLinear", "RNN", "RandomNormal", "RandomNormalLike",
            "RandomUniform", "RandomUniformLike", "Range", "Reciprocal", "ReduceL1", "ReduceL2", "ReduceLogSum",
            "ReduceLogSumExp", "ReduceMax", "ReduceMean", "ReduceMin", "ReduceProd", "ReduceSumSquare", "Relu",
            "Reshape", "Resize", "ReverseSequence", "RoiAlign", "Round", "Scan", "ScatterElements", "ScatterND",
            "Selu", "SequenceAt", "SequenceConstruct", "SequenceEmpty", "SequenceErase", "SequenceInsert",
            "SequenceLength", "Shape", "Shrink", "Sigmoid", "Sign", "Sin", "Sinh", "Size", "Softplus", "Softsign",
            "SpaceToDepth", "SplitToSequence", "Sqrt", "StringNormalizer", "Sub", "Sum", "Tan", "Tanh",
            "TfIdfVectorizer", "ThresholdedRelu", "Tile", "Transpose", "Unique", "Where", "Xor",
            "Clip", "Pad", "Slice", "TopK", "Dropout", "Squeeze", "Unsqueeze", "Split", "ReduceSum", "Softmax",
            "LogSoftmax", "Hardmax");

    private final long target;

    public OpsetUpgradePass(long target) {
        this.target = target;
    }

    @Override
    public String name() {
        return "upgrade-opset";
    }

    @Override
    public Map<String, Object> params() {
        return Map.of("opset", target);
    }

    @Override
    public boolean isHousekeeping() {
        return true;
    }

    /**
     * What upgrading {@code model} to {@code target} would convert (operator counts by kind), or
     * an empty map when it is already there.
     *
     * @throws SettingException naming the first node that cannot be converted
     */
    public static Map<String, Integer> plan(Model model, long target) {
        long from = model.opsetVersion("");
        Map<String, Integer> conversions = new TreeMap<>();
        if (from < 0 || from >= target) {
            return conversions;
        }
        if (from < OLDEST) {
            throw new SettingException("opset", "the model uses ONNX opset " + from + "; upgrading below opset "
                    + OLDEST + " is not supported (export the model at opset " + OLDEST + " or newer)");
        }
        for (Node node : model.graph().allNodes()) {
            if (!node.normalizedDomain().isEmpty()) {
                continue;
            }
            String op = node.opType();
            if (!UNCHANGED.contains(op) && !op.equals("Upsample") && !op.equals("Scatter")) {
                throw new SettingException("opset", node.describe() + " has no conversion from opset " + from
                        + " to " + target + ", which int8 needs; export the model at opset " + target + " or newer");
            }
            if (conversion(op, from) != null) {
                conversions.merge(op, 1, Integer::sum);
            }
        }
        return conversions;
    }

    /** The version at which {@code op}'s signature changed after {@code from}, or null if it did not. */
    private static Integer conversion(String op, long from) {
        int since = switch (op) {
            case "Slice", "TopK", "Upsample" -> 10;
            case "Resize" -> from == 10 ? 11 : 0;
            case "Clip", "Pad", "Scatter" -> 11;
            case "Dropout" -> 12;
            case "Squeeze", "Unsqueeze", "Split", "ReduceSum", "Softmax", "LogSoftmax", "Hardmax" -> 13;
            default -> 0;
        };
        return since > from ? since : null;
    }

    @Override
    public PassResult run(Model model, PassContext context) {
        long from = model.opsetVersion("");
        Map<String, Integer> planned = plan(model, target);
        if (from < 0 || from >= target) {
            return PassResult.unchanged();
        }
        ModelRunner runner = context.runner();
        Map<String, Tensor> before = null;
        String unchecked = null;
        if (runner == null) {
            unchecked = "no runtime to check it on";
        } else {
            try {
                before = runner.run(model);
            } catch (RuntimeException e) {
                unchecked = "the original model does not run on " + runner.describeInputs() + ": " + e.getMessage();
            }
        }
        for (Graph graph : model.graph().withSubgraphs()) {
            for (Node node : List.copyOf(graph.nodes())) {
                if (node.normalizedDomain().isEmpty() && conversion(node.opType(), from) != null) {
                    convert(graph, node, from);
                }
            }
        }
        setOpset(model);
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("from", from);
        details.put("to", target);
        details.put("converted", planned);
        PassResult result = PassResult.changed(details);
        if (before == null) {
            return result.withWarning(String.format(Locale.ROOT, "upgrade-opset %d -> %d was not checked: %s", from,
                    target, unchecked));
        }
        Map<String, Tensor> after;
        try {
            after = runner.run(model);
        } catch (RuntimeException e) {
            throw new IllegalStateException("the model upgraded from opset " + from + " to " + target
                    + " does not run: " + e.getMessage(), e);
        }
        details.put("max_output_error", compare(before, after));
        details.put("checked_on", runner.describeInputs());
        return PassResult.changed(details);
    }

    /** The largest relative output difference; fails when one is beyond the tolerance. */
    private static double compare(Map<String, Tensor> before, Map<String, Tensor> after) {
        StringBuilder problem = new StringBuilder();
        double worst = OutputCheck.compare(before, after, problem);
        if (worst < 0) {
            throw new IllegalStateException("the opset upgrade changed the results: " + problem);
        }
        return worst;
    }

    private void setOpset(Model model) {
        List<OpsetImport> opsets = model.opsets();
        for (int i = 0; i < opsets.size(); i++) {
            if (opsets.get(i).normalizedDomain().isEmpty()) {
                opsets.set(i, new OpsetImport(opsets.get(i).domain(), target));
            }
        }
        if (model.irVersion() != null && model.irVersion() < 7) {
            model.setIrVersion(7L); // opset 13 needs IR version 7
        }
    }

    private static void convert(Graph graph, Node node, long from) {
        switch (node.opType()) {
            case "Slice" -> {
                long[] starts = ints(node, "starts");
                node.addInput(int64s(graph, node, "starts", starts));
                node.addInput(int64s(graph, node, "ends", ints(node, "ends")));
                if (node.attribute("axes") != null) {
                    node.addInput(int64s(graph, node, "axes", ints(node, "axes")));
                }
                removeAttributes(node, "starts", "ends", "axes");
            }
            case "TopK" -> {
                node.addInput(int64s(graph, node, "k", new long[] {node.intAttribute("k", 1)}));
                node.removeAttribute("k");
            }
            case "Upsample", "Resize" -> toResize(graph, node);
            case "Clip" -> {
                Attribute min = node.attribute("min");
                Attribute max = node.attribute("max");
                node.addInput(min == null ? null : scalar(graph, node, "min", min.asFloat()));
                if (max != null) {
                    node.addInput(scalar(graph, node, "max", max.asFloat()));
                }
                removeAttributes(node, "min", "max");
            }
            case "Pad" -> {
                node.addInput(int64s(graph, node, "pads", ints(node, "pads")));
                Attribute value = node.attribute("value");
                if (value != null && value.asFloat() != 0f) {
                    node.addInput(scalar(graph, node, "value", value.asFloat()));
                }
                removeAttributes(node, "pads", "value");
            }
            case "Scatter" -> replace(graph, node, "ScatterElements", node.inputs());
            case "Dropout" -> node.removeAttribute("ratio");
            case "Squeeze", "Unsqueeze", "ReduceSum" -> {
                if (node.attribute("axes") != null) {
                    node.addInput(int64s(graph, node, "axes", ints(node, "axes")));
                    node.removeAttribute("axes");
                }
            }
            case "Split" -> {
                if (node.attribute("split") != null) {
                    node.addInput(int64s(graph, node, "split", ints(node, "split")));
                    node.removeAttribute("split");
                }
            }
            case "Softmax", "LogSoftmax", "Hardmax" -> coerceToLastAxis(graph, node);
            default -> throw new IllegalStateException("no conversion for " + node.describe() + " from opset " + from);
        }
    }

    /**
     * Before opset 13 these operators flattened their input to 2-D at {@code axis} (default 1);
     * from 13 they work along one axis (default -1). Where the axis is the last one that is the
     * same; otherwise the old meaning is spelled out.
     */
    private static void coerceToLastAxis(Graph graph, Node node) {
        long axis = node.intAttribute("axis", 1);
        Value input = node.input(0);
        int rank = input.tensorType() != null && input.tensorType().shape() != null
                ? input.tensorType().shape().rank() : -1;
        if (axis == -1 || rank > 0 && axis == rank - 1) {
            node.setAttribute(Attribute.of("axis", axis));
            return;
        }
        String base = input.name();
        Node flatten = graph.insertBefore(node, new Node(null, "Flatten", List.of(input),
                List.of(graph.freshName(base + "_2d"))));
        flatten.setAttribute(Attribute.of("axis", axis));
        Node shape = graph.insertBefore(node, new Node(null, "Shape", List.of(input),
                List.of(graph.freshName(base + "_shape"))));
        node.replaceInput(0, flatten.output());
        node.setAttribute(Attribute.of("axis", 1L));
        Value result = node.output(0);
        String name = result.name();
        result.setName(graph.freshName(name + "_2d"));
        Node reshape = new Node(null, "Reshape", List.of(result, shape.output()), List.of(name));
        result.replaceAllUsesWith(reshape.output());
        // replaceAllUsesWith made the Reshape read its own output; point it back at the op's.
        reshape.replaceInput(0, result);
        graph.insertAfter(node, reshape);
    }

    /** Upsample (opset 9) and Resize (opset 10) as Resize from opset 11 on, with the same sampling. */
    private static void toResize(Graph graph, Node node) {
        String mode = node.attribute("mode") == null ? "nearest" : node.attribute("mode").asString();
        List<Value> inputs = new ArrayList<>();
        inputs.add(node.input(0));
        inputs.add(null); // roi: unused by the asymmetric transformation
        inputs.add(node.input(1));
        Node resize = replace(graph, node, "Resize", inputs);
        resize.setAttribute(Attribute.of("mode", mode));
        resize.setAttribute(Attribute.of("coordinate_transformation_mode", "asymmetric"));
        if (mode.equals("nearest")) {
            resize.setAttribute(Attribute.of("nearest_mode", "floor"));
        }
    }

    /** A node of another op type in {@code node}'s place, with its attributes but the mode. */
    private static Node replace(Graph graph, Node node, String opType, List<Value> inputs) {
        List<String> names = new ArrayList<>();
        for (Value output : node.outputs()) {
            names.add(output == null ? null : graph.freshName(output.name() + "_upgraded"));
        }
        Node replacement = new Node(node.domain(), opType, inputs, names);
        replacement.setName(node.name());
        node.attributes().values().stream().filter(a -> !a.name().equals("mode")).forEach(replacement::setAttribute);
        return graph.replace(node, replacement);
    }

    private static long[] ints(Node node, String attribute) {
        Attribute value = node.attribute(attribute);
        if (value == null) {
            throw new SettingException("opset", node.describe() + " has no '" + attribute + "' attribute");
        }
        return value.asInts();
    }

    private static Value int64s(Graph graph, Node node, String what, long[] values) {
        return graph.addInitializer(graph.freshName(nodeBase(node) + "_" + what),
                Tensor.ofLongs(new long[] {values.length}, values));
    }

    private static Value scalar(Graph graph, Node node, String what, float value) {
        return graph.addInitializer(graph.freshName(nodeBase(node) + "_" + what), Tensor.ofFloats(new long[0], value));
    }

    private static String nodeBase(Node node) {
        return node.name() != null && !node.name().isEmpty() ? node.name() : node.output(0).name();
    }

    private static void removeAttributes(Node node, String... names) {
        for (String name : names) {
            node.removeAttribute(name);
        }
    }
}
