package dev.edgecompress.passes.analysis;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * Which parts of a model each compression family can act on. Read-only: it changes nothing.
 *
 * <ul>
 *   <li>Pruning: float weight initializers of Conv, ConvTranspose, Gemm and MatMul with at least
 *       two dimensions (biases and other vectors are not pruned).</li>
 *   <li>int8 quantization: nodes with integer kernels in ONNX Runtime's QDQ fusion (compute ops,
 *       elementwise Add/Mul, pooling, Concat), activations it fuses (Relu, Clip), and shape ops
 *       that pass quantization through.</li>
 *   <li>Low-rank factorization: Gemm/MatMul with a constant 2-D weight [m, n], and Conv with a
 *       constant weight, where some rank r saves parameters: r (m + n) &lt; m n.</li>
 * </ul>
 */
public final class CompressionTargets {

    static final Set<String> WEIGHTED_OPS = Set.of("Conv", "ConvTranspose", "Gemm", "MatMul");
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

    private CompressionTargets() {
    }

    public static CompressionTargets of(Model model) {
        CompressionTargets targets = new CompressionTargets();
        targets.scan(model.graph());
        return targets;
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
        for (Node node : graph.nodes()) {
            String op = node.normalizedDomain().isEmpty() ? node.opType() : "";
            String label = node.name() != null && !node.name().isEmpty() ? node.name() : node.output(0).name();
            Value weight = WEIGHTED_OPS.contains(op) ? weightOf(node) : null;
            if (weight != null) {
                Tensor tensor = weight.constValue();
                if (tensor.type() == DataType.FLOAT && tensor.rank() >= 2) {
                    prunable.add(new PrunableWeight(label, op, weight.name(), tensor.dims(), tensor.elementCount()));
                    addFactorizable(node, op, label, weight, tensor);
                }
            }
            if (INT8_COMPUTE_OPS.contains(op)) {
                quantizable.add(new QuantizableNode(label, op, "int8 kernel"));
            } else if (INT8_FUSED_ACTIVATIONS.contains(op)) {
                quantizable.add(new QuantizableNode(label, op, "fused activation"));
            } else if (INT8_PASS_THROUGH.contains(op)) {
                quantizable.add(new QuantizableNode(label, op, "passes quantization through"));
            }
            node.subgraphs().forEach(this::scan);
        }
    }

    /** The constant weight of a weighted op: input 1, or input 0 of a MatMul with a constant left side. */
    private static Value weightOf(Node node) {
        Value right = node.input(1);
        if (right != null && right.constValue() != null) {
            return right;
        }
        Value left = node.input(0);
        if (node.opType().equals("MatMul") && left != null && left.constValue() != null) {
            return left;
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
