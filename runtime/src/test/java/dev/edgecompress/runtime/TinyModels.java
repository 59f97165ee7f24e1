package dev.edgecompress.runtime;

import dev.edgecompress.importer.proto.GraphProto;
import dev.edgecompress.importer.proto.ModelProto;
import dev.edgecompress.importer.proto.NodeProto;
import dev.edgecompress.importer.proto.OperatorSetIdProto;
import dev.edgecompress.importer.proto.TensorShapeProto;
import dev.edgecompress.importer.proto.TypeProto;
import dev.edgecompress.importer.proto.ValueInfoProto;

/** Serialized one-node models for runtime tests (the runtime cannot use the exporter). */
public final class TinyModels {

    private TinyModels() {
    }

    /** y = Relu(x), x float [batch, width]; {@code batch} -1 makes the batch dimension symbolic. */
    public static byte[] relu(long batch, long width) {
        return ModelProto.newBuilder().setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
                .setGraph(GraphProto.newBuilder().setName("relu")
                        .addInput(info("x", batch, width))
                        .addNode(NodeProto.newBuilder().setOpType("Relu").addInput("x").addOutput("y"))
                        .addOutput(info("y", batch, width)))
                .build().toByteArray();
    }

    private static ValueInfoProto info(String name, long batch, long width) {
        TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
        shape.addDim(batch < 0 ? TensorShapeProto.Dimension.newBuilder().setDimParam("batch")
                : TensorShapeProto.Dimension.newBuilder().setDimValue(batch));
        shape.addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(width));
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder()
                .setTensorType(TypeProto.Tensor.newBuilder().setElemType(1).setShape(shape))).build();
    }
}
