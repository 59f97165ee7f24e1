package dev.edgecompress.passes.analysis;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.passes.clustering.SharedValues;
import dev.edgecompress.passes.float16.Float16Config;
import dev.edgecompress.passes.float16.Float16ConversionPass;
import dev.edgecompress.passes.opset.OpsetUpgradePass;
import dev.edgecompress.passes.quantization.int4.WeightOnlyInt4Pass;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Which parts of a model each compression family can act on. Read-only: it changes nothing.
 *
 * <ul>
 *   <li>Pruning: float weights of Conv, ConvTranspose, Gemm and MatMul, and W and R of LSTM, GRU
 *       and RNN, with at least two dimensions (biases and other vectors are not pruned), in the
 *       main graph and inside If, Loop and Scan bodies, held in initializers or Constant nodes.</li>
 *   <li>int8 quantization: nodes with integer kernels in ONNX Runtime's QDQ fusion (compute ops,
 *       elementwise Add/Mul, pooling, Concat), activations it fuses (Relu, Clip), and shape ops
 *       that pass quantization through.</li>
 *   <li>float16: nodes whose operators compute in float16, and those that stay float32 and why
 *       ({@link Float16ConversionPass#plan}).</li>
 *   <li>4-bit weight-only: MatMul and Gemm with constant 2-D weights, and the weighted nodes left
 *       float and why ({@link WeightOnlyInt4Pass#plan}).</li>
 *   <li>Clustering: the pruning targets; those already clustered are listed with their distinct
 *       values ({@link SharedValues}).</li>
 *   <li>Low-rank factorization: Gemm/MatMul with a constant 2-D weight [m, n], and Conv with a
 *       constant weight, where some rank r saves parameters: r (m + n) &lt; m n.</li>
 * </ul>
 */
public final class CompressionTargets {

    static final Set<String> MATRIX_OPS = Set.of("Conv", "ConvTranspose", "Gemm", "MatMul");
    /** Operators that carry weights: the matrix operators and the recurrent ones. */
    public static final Set<String> WEIGHTED_OPS = Set.of("Conv", "ConvTranspose", "Gemm", "MatMul", "LSTM", "GRU",
            "RNN");
    static final Set<String> INT8_COMPUTE_OPS = Set.of("Conv", "ConvTranspose", "Gemm", "MatMul", "Add",
            "Mul", "MaxPool", "AveragePool", "GlobalAveragePool", "Concat");
    static final Set<String> INT8_FUSED_ACTIVATIONS = Set.of("Relu", "Clip");
    static final Set<String> INT8_PASS_THROUGH = Set.of("Reshape", "Transpose", "Flatten", "Squeeze",
            "Unsqueeze");

    /** A weight a pruning pass may sparsify. */
    public record PrunableWeight(String node, String opType, String initializer, long[] dims, long parameters) {
    }

    /** A node the int8 quantizer handles, and how. */
    public record QuantizableNode(String node, String opType, String role) {
    }

    /**
     * A weight a low-rank pass may factorize: its matrix view [rows, cols] and the largest rank
     * that still saves parameters.
     */
    public record FactorizableWeight(String node, String opType, String initializer, long rows, long cols,
            long maxUsefulRank) {
    }

    private final List<PrunableWeight> prunable = new ArrayList<>();
    private final List<QuantizableNode> quantizable = new ArrayList<>();
    private final List<FactorizableWeight> factorizable = new ArrayList<>();
    private OpsetUpgrade int8Opset;
    private Float16ConversionPass.Plan float16;
    private WeightOnlyInt4Pass.Plan int4;
    private Map<String, Integer> clustered;

    /**
     * The operator set upgrade int8 quantization will make first: from and to which version, the
     * operators it converts (counts by type), or why it cannot (then int8 is refused).
     */
    public record OpsetUpgrade(long from, long to, Map<String, Integer> conversions, String refusal) {
    }

    private CompressionTargets() {
    }

    public static CompressionTargets of(Model model) {
        CompressionTargets targets = new CompressionTargets();
        targets.scan(model.graph());
        targets.float16 = Float16ConversionPass.plan(model, Float16Config.defaults());
        targets.int4 = WeightOnlyInt4Pass.plan(model);
        targets.clustered = SharedValues.clustered(model);
        long from = model.opsetVersion("");
        if (from >= 0 && from < OpsetUpgradePass.QUANTIZATION_OPSET) {
            try {
                targets.int8Opset = new OpsetUpgrade(from, OpsetUpgradePass.QUANTIZATION_OPSET,
                        OpsetUpgradePass.plan(model, OpsetUpgradePass.QUANTIZATION_OPSET), null);
            } catch (SettingException e) {
                targets.int8Opset = new OpsetUpgrade(from, OpsetUpgradePass.QUANTIZATION_OPSET, Map.of(),
                        e.getMessage());
            }
        }
        return targets;
    }

    /** The upgrade int8 needs first, or null when the model's operator set is recent enough. */
    public OpsetUpgrade int8Opset() {
        return int8Opset;
    }

    /** What float16 conversion (the defaults) would compute in float16 and leave float32. */
    public Float16ConversionPass.Plan float16() {
        return float16;
    }

    /**
     * The weights already clustered ({@link SharedValues#clustered}), with their distinct non-zero
     * values: training after {@code cluster} keeps them so.
     */
    public Map<String, Integer> clustered() {
        return clustered;
    }

    /** What 4-bit weight-only quantization would quantize and leave float. */
    public WeightOnlyInt4Pass.Plan int4() {
        return int4;
    }

    public List<PrunableWeight> prunable() {
        return List.copyOf(prunable);
    }

    public List<QuantizableNode> quantizable() {
        return List.copyOf(quantizable);
    }

    public List<FactorizableWeight> factorizable() {
        return List.copyOf(factorizable);
    }

    private void scan(Graph graph) {
        for (Graph g : graph.withSubgraphs()) {
            for (Node node : g.nodes()) {
                scan(node);
            }
        }
    }

    private void scan(Node node) {
        String op = node.normalizedDomain().isEmpty() ? node.opType() : "";
        String label = label(node);
        for (Value weight : prunableWeights(node)) {
            Tensor tensor = constantOf(weight);
            prunable.add(new PrunableWeight(label, op, weight.name(), tensor.dims(), tensor.elementCount()));
            if (MATRIX_OPS.contains(op)) {
                addFactorizable(node, op, label, weight, tensor);
            }
        }
        if (INT8_COMPUTE_OPS.contains(op)) {
            quantizable.add(new QuantizableNode(label, op, "int8 kernel"));
        } else if (INT8_FUSED_ACTIVATIONS.contains(op)) {
            quantizable.add(new QuantizableNode(label, op, "fused activation"));
        } else if (INT8_PASS_THROUGH.contains(op)) {
            quantizable.add(new QuantizableNode(label, op, "passes quantization through"));
        } else if (op.equals("LSTM")) {
            quantizable.add(new QuantizableNode(label, op, "dynamic int8 kernel (DynamicQuantizeLSTM)"));
        }
    }

    /** A node's name, or its first output's when it has none. */
    public static String label(Node node) {
        return node.name() != null && !node.name().isEmpty() ? node.name() : node.output(0).name();
    }

    /**
     * The constant float weights of {@code node} that pruning may sparsify: input 1 of Conv,
     * ConvTranspose and Gemm, the constant side of a MatMul, and W and R (inputs 1 and 2) of LSTM,
     * GRU and RNN; each with at least two dimensions. A weight counts as constant when it is an
     * initializer or the output of a {@code Constant} node (which normalization turns into one).
     */
    public static List<Value> prunableWeights(Node node) {
        if (!node.normalizedDomain().isEmpty()) {
            return List.of();
        }
        List<Integer> inputs = switch (node.opType()) {
            case "Conv", "ConvTranspose", "Gemm" -> List.of(1);
            case "MatMul" -> isMatrix(node.input(1)) ? List.of(1) : List.of(0);
            case "LSTM", "GRU", "RNN" -> List.of(1, 2);
            default -> List.of();
        };
        List<Value> weights = new ArrayList<>();
        for (int index : inputs) {
            if (isMatrix(node.input(index))) {
                weights.add(node.input(index));
            }
        }
        return weights;
    }

    private static boolean isMatrix(Value value) {
        Tensor tensor = value == null ? null : constantOf(value);
        return tensor != null && tensor.type() == DataType.FLOAT && tensor.rank() >= 2;
    }

    /** The constant a value holds: an initializer's tensor, or a {@code Constant} node's; else null. */
    public static Tensor constantOf(Value value) {
        if (value.constValue() != null) {
            return value.constValue();
        }
        Node producer = value.producer();
        if (producer != null && producer.opType().equals("Constant") && producer.normalizedDomain().isEmpty()
                && producer.attribute("value") != null && producer.attribute("value").value() instanceof Tensor t) {
            return t;
        }
        return null;
    }

    private void addFactorizable(Node node, String op, String label, Value weight, Tensor tensor) {
        long rows;
        long cols;
        if ((op.equals("Gemm") || op.equals("MatMul")) && tensor.rank() == 2) {
            rows = tensor.dim(0);
            cols = tensor.dim(1);
        } else if (op.equals("Conv") && tensor.rank() >= 3 && node.intAttribute("group", 1) == 1) {
            rows = tensor.dim(0);
            cols = tensor.elementCount() / rows;
        } else {
            return;
        }
        long maxRank = (rows * cols - 1) / (rows + cols);
        if (maxRank >= 1) {
            factorizable.add(new FactorizableWeight(label, op, weight.name(), rows, cols, maxRank));
        }
    }
}
