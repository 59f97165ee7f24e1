package dev.edgecompress.passes.quantization;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Use;
import dev.edgecompress.ir.Value;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which activations get a QuantizeLinear/DequantizeLinear pair and which nodes get int8 weights,
 * so that ONNX Runtime fuses each quantized node into an integer kernel:
 * <ul>
 *   <li>Conv, ConvTranspose, Gemm, MatMul with a constant weight: the activation input, the
 *       weight (int8) and bias (int32), and the output;</li>
 *   <li>MatMul of two activations: both inputs and the output;</li>
 *   <li>Add, Mul, Concat, pooling, Sigmoid and LeakyRelu fed by quantized nodes: inputs and
 *       output (so that nodes left in float leave no int8 islands behind them);</li>
 *   <li>Reshape, Transpose, Flatten, Squeeze, Unsqueeze, Resize and Slice pass int8 through: their
 *       output, where quantized, takes their input's parameters;</li>
 *   <li>Relu or Clip right after a quantized node: the quantization moves behind it (ONNX Runtime
 *       folds the activation into the following QuantizeLinear), so the node's own output is left
 *       float when the activation is its only consumer.</li>
 * </ul>
 * Graph outputs stay float. Excluded nodes (by name or op type) mark nothing.
 */
final class QuantizationPlan {

    static final Set<String> WEIGHTED = Set.of("Conv", "ConvTranspose", "Gemm", "MatMul");
    static final Set<String> POOLING = Set.of("MaxPool", "AveragePool", "GlobalAveragePool");
    static final Set<String> FUSED_ACTIVATIONS = Set.of("Relu", "Clip");
    /**
     * Ops whose output values lie within their input's range, so int8 flows through them with the
     * input's parameters (ONNX Runtime runs them on uint8): the shape-only ops, Resize and Slice.
     */
    static final Set<String> DATA_MOVEMENT = Set.of("Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze",
            "Resize", "Slice");
    /** Elementwise activations with an int8 kernel in ONNX Runtime (QLinearSigmoid, QLinearLeakyRelu). */
    static final Set<String> UNARY_INT8 = Set.of("Sigmoid", "LeakyRelu");

    /** Ops whose output has the element type of their first input. */
    static final Set<String> TYPE_PRESERVING = Set.of("Conv", "ConvTranspose", "Gemm", "MatMul", "Relu", "Clip",
            "LeakyRelu", "Sigmoid", "Tanh", "Softmax", "LogSoftmax", "MaxPool", "AveragePool", "GlobalAveragePool",
            "GlobalMaxPool", "BatchNormalization", "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze",
            "Concat", "Add", "Sub", "Mul", "Div", "Dropout", "Identity", "Pad", "Resize", "Slice", "Gather",
            "Erf", "Sqrt", "Pow", "ReduceMean", "LayerNormalization", "Split", "Expand", "Tile", "Neg", "Abs",
            "HardSigmoid", "HardSwish", "Elu", "Selu", "Celu", "PRelu", "Softplus", "Softsign", "ThresholdedRelu",
            "Gelu", "Mish", "Exp", "Log", "Reciprocal", "Floor", "Ceil", "Round", "Min", "Max", "Sum", "Mean",
            "ReduceMax", "ReduceMin", "ReduceSum", "ReduceProd", "ReduceL2", "InstanceNormalization", "LRN",
            "DepthToSpace", "SpaceToDepth", "Upsample", "GatherElements", "GatherND",
            "ScatterElements", "ScatterND", "CumSum", "Einsum", "Trilu", "ReverseSequence", "Compress");

    /** ONNX Runtime's fused kernels (written by the transformer fusion) whose outputs have their input's type. */
    static final Set<String> FUSED_TYPE_PRESERVING = Set.of("Attention", "SkipLayerNormalization", "Gelu", "BiasGelu",
            "FastGelu");

    /** The graph planned; null for a {@link #union} of plans. */
    final Graph graph;
    final Set<Value> activations = new LinkedHashSet<>();
    final List<Node> weighted = new ArrayList<>();
    /**
     * Outputs that take their input's quantization parameters: MaxPool picks among its inputs and
     * shape-only ops move them, so the same scale is exact, and ONNX Runtime then drops the Q/DQ
     * pairs around them.
     */
    final Map<Value, Value> sharesParamsWith = new IdentityHashMap<>();
    private final Map<Value, Boolean> floats = new IdentityHashMap<>();

    private QuantizationPlan(Graph graph) {
        this.graph = graph;
    }

    /** One plan of several graphs' plans (a model's main graph and If branches). */
    static QuantizationPlan union(List<QuantizationPlan> plans) {
        QuantizationPlan union = new QuantizationPlan(null);
        for (QuantizationPlan plan : plans) {
            union.activations.addAll(plan.activations);
            union.weighted.addAll(plan.weighted);
            union.sharesParamsWith.putAll(plan.sharesParamsWith);
        }
        return union;
    }

    /** The plan of one graph's own nodes (its subgraphs are planned on their own). */
    static QuantizationPlan of(Graph graph, QuantizationConfig config) {
        return of(graph, config, true);
    }

    /**
     * The plan of one graph's own nodes; with {@code constantOperands}, an Add or Mul of an int8
     * activation and a float constant is quantized too, the constant getting Q/DQ over its own range
     * (ONNX Runtime's QLinearAdd and QLinearMul take it; quantization-aware training does not).
     */
    static QuantizationPlan of(Graph graph, QuantizationConfig config, boolean constantOperands) {
        QuantizationPlan plan = new QuantizationPlan(graph);
        Set<Node> quantizedProducers = new LinkedHashSet<>();
        for (Node node : graph.nodes()) {
            if (!node.normalizedDomain().isEmpty() || config.excludes(node.name(), node.opType())) {
                continue;
            }
            String op = node.opType();
            if (WEIGHTED.contains(op) && hasConstantWeight(node) && plan.isActivation(node.input(0))) {
                plan.activations.add(node.input(0));
                plan.weighted.add(node);
                plan.markOutput(node);
                quantizedProducers.add(node);
            } else if (op.equals("MatMul") && node.inputs().size() == 2
                    && node.inputs().stream().allMatch(plan::isActivation)) {
                plan.activations.addAll(node.inputs());
                plan.markOutput(node);
                quantizedProducers.add(node);
            } else if ((op.equals("Add") || op.equals("Mul") || op.equals("Concat")) && !node.inputs().isEmpty()
                    && node.inputs().stream().anyMatch(v -> plan.isActivation(v))
                    && node.inputs().stream().allMatch(v -> plan.isActivation(v)
                            && quantizedProducers.contains(v.producer())
                            || constantOperands && !op.equals("Concat") && isFloatConstant(v))) {
                plan.activations.addAll(node.inputs());
                plan.markOutput(node);
                quantizedProducers.add(node);
            } else if ((POOLING.contains(op) || UNARY_INT8.contains(op)) && plan.isActivation(node.input(0))
                    && quantizedProducers.contains(node.input(0).producer())) {
                plan.activations.add(node.input(0));
                plan.markOutput(node);
                if (op.equals("MaxPool") && plan.activations.contains(node.output(0))) {
                    plan.sharesParamsWith.put(node.output(0), node.input(0));
                }
                quantizedProducers.add(node);
            } else if (FUSED_ACTIVATIONS.contains(op) && node.input(0) != null
                    && quantizedProducers.contains(node.input(0).producer())) {
                plan.markOutput(node);
                quantizedProducers.add(node);
            } else if (DATA_MOVEMENT.contains(op) && plan.isActivation(node.input(0))
                    && quantizedProducers.contains(node.input(0).producer())) {
                // Moves int8 values as they are: what consumes it may stay int8 (no Q/DQ of its own).
                quantizedProducers.add(node);
            }
        }
        plan.dropValuesOnlySubgraphsRead();
        for (Value value : plan.activations) {
            Node producer = value.producer();
            if (producer != null && DATA_MOVEMENT.contains(producer.opType())
                    && plan.activations.contains(producer.input(0))) {
                plan.sharesParamsWith.put(value, plan.sharesParamsWith.getOrDefault(producer.input(0),
                        producer.input(0)));
            }
        }
        return plan;
    }

    /**
     * Leaves float every activation read by a data-moving op (Transpose, Reshape, ...) whose result
     * only a subgraph reads (an implicit input of an If branch) or a graph returns: ONNX Runtime 1.29
     * and 1.30 abort the process when their QDQ propagation meets that pattern. Weighted nodes
     * reading such an activation stay float too.
     */
    private void dropValuesOnlySubgraphsRead() {
        Set<Value> unsafe = new LinkedHashSet<>();
        for (Value value : activations) {
            for (Use use : value.uses()) {
                Node consumer = use.node();
                if (!PROPAGATED.contains(consumer.opType()) || consumer.outputs().isEmpty()
                        || consumer.output(0) == null) {
                    continue;
                }
                Value moved = consumer.output(0);
                boolean explicitUse = moved.uses().stream().anyMatch(u -> u.node().graph() == consumer.graph());
                if (moved.isGraphOutput() || !explicitUse && moved.hasUses()) {
                    unsafe.add(value);
                }
            }
        }
        activations.removeAll(unsafe);
        weighted.removeIf(node -> unsafe.contains(node.input(0)));
        sharesParamsWith.keySet().removeIf(unsafe::contains);
        sharesParamsWith.values().removeIf(unsafe::contains);
    }

    /** Ops ONNX Runtime moves Q/DQ pairs across (its QDQ propagation). */
    static final Set<String> PROPAGATED = Set.of("Transpose", "Reshape", "Squeeze", "Unsqueeze", "Flatten",
            "MaxPool", "Slice", "Gather", "Resize", "Expand");

    private void markOutput(Node node) {
        Value output = node.output(0);
        if (output == null || output.isGraphOutput() || !isActivation(output)) {
            return;
        }
        List<Use> uses = output.uses();
        boolean feedsOnlyActivation = !uses.isEmpty() && uses.stream()
                .allMatch(u -> FUSED_ACTIVATIONS.contains(u.node().opType()) && u.inputIndex() == 0);
        if (!feedsOnlyActivation || FUSED_ACTIVATIONS.contains(node.opType())) {
            activations.add(output);
        }
    }

    /** A float initializer (a scalar or a small broadcast tensor such as an Add's offset). */
    private static boolean isFloatConstant(Value value) {
        return value != null && value.constValue() != null && value.constValue().type() == DataType.FLOAT;
    }

    private static boolean hasConstantWeight(Node node) {
        Value weight = node.input(1);
        if (weight == null || weight.constValue() == null || weight.constValue().type() != DataType.FLOAT) {
            return false;
        }
        return switch (node.opType()) {
            case "Gemm" -> weight.constValue().rank() == 2 && node.intAttribute("transA", 0) == 0;
            case "MatMul" -> weight.constValue().rank() == 2;
            default -> weight.constValue().rank() >= 3;
        };
    }

    /** A float value computed at run time (not a constant). */
    private boolean isActivation(Value value) {
        return value != null && !value.isInitializer() && isFloat(value);
    }

    /**
     * Whether a value holds floats: its declared type, or else its producer's first input traced
     * through ops that keep the element type. Unknown ops and untyped graph inputs count as not
     * float, so that shape arithmetic (int64) is never quantized.
     */
    private boolean isFloat(Value value) {
        Boolean known = floats.get(value);
        if (known != null) {
            return known;
        }
        boolean result;
        if (value.tensorType() != null && value.tensorType().elementType() != DataType.UNDEFINED) {
            result = value.tensorType().elementType() == DataType.FLOAT;
        } else if (value.constValue() != null) {
            result = value.constValue().type() == DataType.FLOAT;
        } else {
            Node producer = value.producer();
            floats.put(value, false); // guards against cycles through malformed graphs
            if (producer != null && producer.opType().equals("Cast") && producer.normalizedDomain().isEmpty()) {
                result = producer.intAttribute("to", 0) == DataType.FLOAT.code();
            } else if (producer != null && producer.opType().equals("If") && producer.normalizedDomain().isEmpty()
                    && producer.attribute("then_branch") != null) {
                // An If's output has the type of the branch output it comes from.
                List<Value> branchOutputs = producer.attribute("then_branch").asGraph().outputs();
                result = value.outputIndex() < branchOutputs.size() && isFloat(branchOutputs.get(value.outputIndex()));
            } else if (producer != null && producer.normalizedDomain().equals("com.microsoft")) {
                result = producer.input(0) != null && FUSED_TYPE_PRESERVING.contains(producer.opType())
                        && isFloat(producer.input(0));
            } else {
                result = producer != null && producer.normalizedDomain().isEmpty() && producer.input(0) != null
                        && TYPE_PRESERVING.contains(producer.opType()) && isFloat(producer.input(0));
            }
        }
        floats.put(value, result);
        return result;
    }
}
