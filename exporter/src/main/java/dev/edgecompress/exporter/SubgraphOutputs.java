package dev.edgecompress.exporter;

import dev.edgecompress.importer.proto.AttributeProto;
import dev.edgecompress.importer.proto.GraphProto;
import dev.edgecompress.importer.proto.NodeProto;
import dev.edgecompress.importer.proto.TensorProto;
import dev.edgecompress.importer.proto.TypeProto;
import dev.edgecompress.importer.proto.ValueInfoProto;

/**
 * Makes a value computed inside an {@code If} branch visible as a graph output, so that
 * calibration can measure it: the value becomes an output of its branch, the other branch gives
 * an empty float tensor in its place, and the If node gets one more output; nested branches repeat
 * this level by level. Works on the serialized model (a copy), never on the model being compressed.
 *
 * <pre>
 *   If(c) { then: ... v ... -> y ; else: ... -> z }          -> y
 *   If(c) { then: ... v ... -> y, v ; else: ... -> z, [] }   -> y, v__exposed
 * </pre>
 */
final class SubgraphOutputs {

    private SubgraphOutputs() {
    }

    /**
     * Exposes {@code name} as an output of {@code graph}; returns the output's name there, or null
     * when no If branch of the graph computes it (a Loop or Scan body, say).
     */
    static String expose(GraphProto.Builder graph, String name) {
        if (defines(graph, name)) {
            graph.addOutput(floatInfo(name));
            return name;
        }
        for (NodeProto.Builder node : graph.getNodeBuilderList()) {
            if (!node.getOpType().equals("If") || !(node.getDomain().isEmpty() || node.getDomain().equals("ai.onnx"))) {
                continue;
            }
            for (int a = 0; a < node.getAttributeCount(); a++) {
                if (!node.getAttribute(a).hasG()) {
                    continue;
                }
                String inner = expose(node.getAttributeBuilder(a).getGBuilder(), name);
                if (inner == null) {
                    continue;
                }
                for (int o = 0; o < node.getAttributeCount(); o++) {
                    if (o != a && node.getAttribute(o).hasG()) {
                        GraphProto.Builder sibling = node.getAttributeBuilder(o).getGBuilder();
                        String empty = name + "__empty_" + sibling.getOutputCount();
                        sibling.addNode(NodeProto.newBuilder().setOpType("Constant").addOutput(empty)
                                .addAttribute(AttributeProto.newBuilder().setName("value")
                                        .setType(AttributeProto.AttributeType.TENSOR)
                                        .setT(TensorProto.newBuilder().setDataType(TensorProto.DataType.FLOAT_VALUE)
                                                .addDims(0))));
                        sibling.addOutput(floatInfo(empty));
                    }
                }
                String exposed = name + "__exposed_" + node.getOutputCount();
                node.addOutput(exposed);
                return expose(graph, exposed);
            }
        }
        return null;
    }

    private static boolean defines(GraphProto.Builder graph, String name) {
        return graph.getNodeList().stream().anyMatch(n -> n.getOutputList().contains(name))
                || graph.getInputList().stream().anyMatch(i -> i.getName().equals(name));
    }

    private static ValueInfoProto floatInfo(String name) {
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(TensorProto.DataType.FLOAT_VALUE))).build();
    }
}
