package dev.edgecompress.passes;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.passes.analysis.CompressionTargets;
import java.nio.ByteBuffer;

/**
 * Counts of a model's weights: parameters (elements of all initializers and Constant nodes, subgraphs
 * included; MatMulNBits' packed 4-bit weights as K x N), the non-zero ones, their bytes, and the
 * number of nodes. Pruning shows in the non-zeros; quantization in the bytes.
 */
public record ModelStatistics(long parameters, long nonzeroParameters, long parameterBytes, long nodes) {

    public static ModelStatistics of(Model model) {
        long[] counts = new long[4];
        scan(model.graph(), counts);
        return new ModelStatistics(counts[0], counts[1], counts[2], counts[3]);
    }

    private static void scan(Graph graph, long[] counts) {
        for (Value initializer : graph.initializers()) {
            Tensor tensor = initializer.constValue();
            counts[0] += tensor.elementCount();
            counts[1] += nonzero(tensor);
            counts[2] += tensor.byteSize();
        }
        for (Value sparse : graph.sparseInitializers()) {
            long dense = 1;
            for (long d : sparse.sparseConstValue().dims()) {
                dense *= d;
            }
            counts[0] += dense;
            counts[1] += nonzero(sparse.sparseConstValue().values());
            counts[2] += sparse.sparseConstValue().values().byteSize() + sparse.sparseConstValue().indices().byteSize();
        }
        counts[3] += graph.nodes().size();
        for (Node node : graph.nodes()) {
            Tensor constant = node.opType().equals("Constant") && node.outputs().size() == 1
                    ? CompressionTargets.constantOf(node.output(0)) : null;
            if (constant != null) { // weights some exporters keep in Constant nodes rather than initializers
                counts[0] += constant.elementCount();
                counts[1] += nonzero(constant);
                counts[2] += constant.byteSize();
            }
            Tensor packed = node.opType().equals("MatMulNBits") && node.normalizedDomain().equals("com.microsoft")
                    && node.input(1) != null ? node.input(1).constValue() : null;
            if (packed != null) { // 4-bit weights packed in bytes: K x N parameters, not the bytes
                long weights = node.intAttribute("K", 0) * node.intAttribute("N", 0);
                counts[0] += weights - packed.elementCount();
                counts[1] += weights - packed.elementCount();
            }
            node.subgraphs().forEach(g -> scan(g, counts));
        }
    }

    /** Elements that are not zero; for floating point, -0.0 counts as zero. */
    public static long nonzero(Tensor tensor) {
        if (!tensor.type().isFixedWidth()) {
            return tensor.strings().stream().filter(s -> s.length > 0).count();
        }
        ByteBuffer data = tensor.buffer();
        long count = 0;
        if (tensor.type() == DataType.FLOAT) {
            for (int i = 0; i < data.limit(); i += 4) {
                if ((data.getInt(i) & 0x7fffffff) != 0) {
                    count++;
                }
            }
            return count;
        }
        if (tensor.type().bits() < 8) {
            return tensor.elementCount(); // packed sub-byte types are not counted element by element
        }
        int width = tensor.type().bits() / 8;
        for (int i = 0; i < data.limit(); i += width) {
            for (int b = 0; b < width; b++) {
                if (data.get(i + b) != 0) {
                    count++;
                    break;
                }
            }
        }
        return count;
    }
}
