package dev.edgecompress.passes.cleanup;

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
 * Folds an inference-mode BatchNormalization into the Conv or Gemm before it. With
 * s = scale / sqrt(var + epsilon) per channel, the weights of output channel c are scaled by s[c]
 * and the bias becomes (bias - mean) * s + B.
 *
 * <pre>
 *   x -> Conv(W, b) -> BatchNormalization(scale, B, mean, var) -> y
 *   x -> Conv(W * s, (b - mean) * s + B) -> y
 * </pre>
 *
 * Only when the producer's output feeds the BatchNormalization alone, every parameter is a float
 * initializer, and the BatchNormalization has no training-mode outputs. A weight or bias another
 * node shares is copied, not changed under it.
 */
public final class FoldBatchNormPass implements Pass {

    @Override
    public boolean isHousekeeping() {
        return true;
    }

    @Override
    public String name() {
        return "fold-batchnorm";
    }

    @Override
    public PassResult run(Model model, PassContext context) {
        int folded = 0;
        for (Graph graph : model.graph().withSubgraphs()) {
            folded += fold(graph);
        }
        return folded == 0 ? PassResult.unchanged() : PassResult.changed(Map.of("folded", folded));
    }

    private static int fold(Graph graph) {
        List<Node> folded = new ArrayList<>();
        for (Node bn : List.copyOf(graph.nodes())) {
            if (!bn.opType().equals("BatchNormalization") || !bn.normalizedDomain().isEmpty()) {
                continue;
            }
            Node producer = bn.input(0) == null ? null : bn.input(0).producer();
            if (producer == null || producer.graph() != graph || !foldable(producer, bn)) {
                continue;
            }
            float[] s = scales(bn);
            if (producer.opType().equals("Conv")) {
                foldIntoConv(graph, producer, bn, s);
            } else {
                foldIntoGemm(graph, producer, bn, s);
            }
            if (Rewrites.bypass(bn.output(0), producer.output(0))) {
                folded.add(bn);
            }
        }
        graph.remove(folded);
        return folded.size();
    }

    private static boolean foldable(Node producer, Node bn) {
        boolean kind = producer.normalizedDomain().isEmpty()
                && (producer.opType().equals("Conv") || producer.opType().equals("Gemm") && isPlainGemm(producer));
        if (!kind || producer.outputs().size() != 1 || producer.output(0).uses().size() != 1
                || producer.output(0).isGraphOutput()) {
            return false;
        }
        if (bn.outputs().stream().skip(1).anyMatch(v -> v != null)) {
            return false;
        }
        for (int i = 1; i <= 4; i++) {
            if (!isFloatConstant(bn.input(i))) {
                return false;
            }
        }
        Value bias = producer.input(2);
        return isFloatConstant(producer.input(1)) && (bias == null || isFloatConstant(bias) && bias.constValue().rank() == 1);
    }

    /** A Gemm whose output channels are the columns of its (constant) weight, without transposed input. */
    private static boolean isPlainGemm(Node gemm) {
        return gemm.intAttribute("transA", 0) == 0 && gemm.input(1) != null && gemm.input(1).constValue() != null
                && gemm.input(1).constValue().rank() == 2;
    }

    private static boolean isFloatConstant(Value value) {
        return value != null && value.constValue() != null && value.constValue().type() == DataType.FLOAT;
    }

    private static float[] scales(Node bn) {
        Attribute epsilonAttribute = bn.attribute("epsilon");
        double epsilon = epsilonAttribute == null ? 1e-5 : epsilonAttribute.asFloat();
        float[] scale = bn.input(1).constValue().toFloatArray();
        float[] variance = bn.input(4).constValue().toFloatArray();
        float[] s = new float[scale.length];
        for (int c = 0; c < s.length; c++) {
            s[c] = (float) (scale[c] / Math.sqrt(variance[c] + epsilon));
        }
        return s;
    }

    /** (bias - mean) * s + B, with bias 0 when absent and {@code biasScale} applied to it first. */
    private static float[] foldedBias(Node producer, Node bn, float[] s, float biasScale) {
        float[] mean = bn.input(3).constValue().toFloatArray();
        float[] shift = bn.input(2).constValue().toFloatArray();
        float[] bias = producer.input(2) == null ? new float[s.length] : producer.input(2).constValue().toFloatArray();
        float[] out = new float[s.length];
        for (int c = 0; c < s.length; c++) {
            out[c] = (bias[c] * biasScale - mean[c]) * s[c] + shift[c];
        }
        return out;
    }

    private static void foldIntoConv(Graph graph, Node conv, Node bn, float[] s) {
        Tensor weight = conv.input(1).constValue();
        float[] w = weight.toFloatArray();
        int perChannel = w.length / s.length;
        for (int i = 0; i < w.length; i++) {
            w[i] *= s[i / perChannel];
        }
        setConstant(graph, conv, 1, Tensor.ofFloats(weight.dims(), w).withSource(weight.storage(), weight.preserved()));
        setBias(graph, conv, 2, foldedBias(conv, bn, s, 1));
    }

    private static void foldIntoGemm(Graph graph, Node gemm, Node bn, float[] s) {
        Tensor weight = gemm.input(1).constValue();
        float[] w = weight.toFloatArray();
        boolean transposed = gemm.intAttribute("transB", 0) == 1;
        int rows = (int) weight.dim(0);
        int cols = (int) weight.dim(1);
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                w[r * cols + c] *= s[transposed ? r : c];
            }
        }
        setConstant(graph, gemm, 1, Tensor.ofFloats(weight.dims(), w).withSource(weight.storage(), weight.preserved()));
        Attribute beta = gemm.attribute("beta");
        float betaValue = beta == null ? 1f : beta.asFloat();
        setBias(graph, gemm, 2, foldedBias(gemm, bn, s, betaValue));
        gemm.setAttribute(Attribute.of("beta", 1.0f));
    }

    private static void setBias(Graph graph, Node node, int index, float[] bias) {
        Tensor tensor = Tensor.ofFloats(new long[] {bias.length}, bias);
        if (node.input(index) == null) {
            Value value = graph.addInitializer(graph.freshName(node.output(0).name() + "_bias"), tensor);
            while (node.inputs().size() < index) {
                node.addInput(null);
            }
            node.addInput(value);
        } else {
            setConstant(graph, node, index, tensor);
        }
    }

    /** Gives {@code node} input {@code index} the value {@code tensor}, copying it when the initializer is shared. */
    private static void setConstant(Graph graph, Node node, int index, Tensor tensor) {
        Value current = node.input(index);
        if (current.uses().size() == 1 && !current.isGraphInput() && !current.isGraphOutput()) {
            current.replaceConstValue(tensor);
        } else {
            node.replaceInput(index, graph.addInitializer(graph.freshName(current.name() + "_folded"), tensor));
        }
    }
}
