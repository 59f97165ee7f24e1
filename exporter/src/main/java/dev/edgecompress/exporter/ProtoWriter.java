package dev.edgecompress.exporter;

import com.google.protobuf.ByteString;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.UnsafeByteOperations;
import dev.edgecompress.importer.TypedField;
import dev.edgecompress.importer.proto.AttributeProto;
import dev.edgecompress.importer.proto.FunctionProto;
import dev.edgecompress.importer.proto.GraphProto;
import dev.edgecompress.importer.proto.ModelProto;
import dev.edgecompress.importer.proto.NodeProto;
import dev.edgecompress.importer.proto.OperatorSetIdProto;
import dev.edgecompress.importer.proto.SparseTensorProto;
import dev.edgecompress.importer.proto.StringStringEntryProto;
import dev.edgecompress.importer.proto.TensorProto;
import dev.edgecompress.importer.proto.TensorShapeProto;
import dev.edgecompress.importer.proto.TypeProto;
import dev.edgecompress.importer.proto.ValueInfoProto;
import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Dim;
import dev.edgecompress.ir.Function;
import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.OpsetImport;
import dev.edgecompress.ir.Preserved;
import dev.edgecompress.ir.Shape;
import dev.edgecompress.ir.SparseTensor;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.ValueType;
import java.nio.ByteBuffer;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Builds protobuf messages from the IR: each message starts from the element's
 * {@link Preserved} fields, then gets the interpreted ones, so that an unchanged model is written
 * back field for field. Tensor data is wrapped, not copied; tensors the {@code external}
 * predicate selects are placed in the external data file instead.
 */
final class ProtoWriter {

    private final ExternalDataFile externalFile;
    private final Predicate<Tensor> external;
    private final boolean sparseStorage;

    ProtoWriter(ExternalDataFile externalFile, Predicate<Tensor> external, boolean sparseStorage) {
        this.externalFile = externalFile;
        this.external = external;
        this.sparseStorage = sparseStorage;
    }

    ModelProto writeModel(Model model) {
        ModelProto.Builder b = merge(ModelProto.newBuilder(), model.preserved());
        if (model.irVersion() != null) {
            b.setIrVersion(model.irVersion());
        }
        model.opsets().forEach(o -> b.addOpsetImport(opset(o)));
        if (model.producerName() != null) {
            b.setProducerName(model.producerName());
        }
        if (model.producerVersion() != null) {
            b.setProducerVersion(model.producerVersion());
        }
        if (model.domain() != null) {
            b.setDomain(model.domain());
        }
        if (model.modelVersion() != null) {
            b.setModelVersion(model.modelVersion());
        }
        b.setGraph(writeGraph(model.graph()));
        for (Map.Entry<String, String> entry : model.metadata().entrySet()) {
            b.addMetadataProps(StringStringEntryProto.newBuilder().setKey(entry.getKey()).setValue(entry.getValue()));
        }
        model.functions().forEach(f -> b.addFunctions(writeFunction(f)));
        return b.build();
    }

    private static OperatorSetIdProto opset(OpsetImport opset) {
        OperatorSetIdProto.Builder b = OperatorSetIdProto.newBuilder().setVersion(opset.version());
        if (opset.domain() != null) {
            b.setDomain(opset.domain());
        }
        return b.build();
    }

    private FunctionProto writeFunction(Function function) {
        FunctionProto.Builder b = merge(FunctionProto.newBuilder(), function.preserved());
        b.setName(function.name());
        if (function.domain() != null) {
            b.setDomain(function.domain());
        }
        if (function.overload() != null) {
            b.setOverload(function.overload());
        }
        Graph body = function.body();
        body.inputs().forEach(v -> b.addInput(v.name()));
        body.outputs().forEach(v -> b.addOutput(v.name()));
        b.addAllAttribute(function.attributeNames());
        function.attributeDefaults().forEach(a -> b.addAttributeProto(writeAttribute(a)));
        body.nodes().forEach(n -> b.addNode(writeNode(n)));
        function.opsets().forEach(o -> b.addOpsetImport(opset(o)));
        body.valueInfos().forEach(v -> b.addValueInfo(valueInfo(v)));
        return b.build();
    }

    GraphProto writeGraph(Graph graph) {
        GraphProto.Builder b = merge(GraphProto.newBuilder(), graph.preserved());
        graph.nodes().forEach(n -> b.addNode(writeNode(n)));
        if (graph.name() != null) {
            b.setName(graph.name());
        }
        for (Value initializer : graph.initializers()) {
            SparseTensor sparse = sparseStorage ? SparseForm.of(initializer.constValue()) : null;
            if (sparse != null) {
                b.addSparseInitializer(writeSparse(sparse, initializer.name()));
            } else {
                b.addInitializer(writeTensor(initializer.constValue(), initializer.name()));
            }
        }
        for (Value sparse : graph.sparseInitializers()) {
            b.addSparseInitializer(writeSparse(sparse.sparseConstValue(), sparse.name()));
        }
        graph.inputs().forEach(v -> b.addInput(valueInfo(v)));
        graph.outputs().forEach(v -> b.addOutput(valueInfo(v)));
        graph.valueInfos().forEach(v -> b.addValueInfo(valueInfo(v)));
        return b.build();
    }

    private static ValueInfoProto valueInfo(Value value) {
        ValueInfoProto.Builder b = merge(ValueInfoProto.newBuilder(), value.infoPreserved());
        b.setName(value.name());
        if (value.type() != null) {
            b.setType(writeType(value.type()));
        }
        return b.build();
    }

    private NodeProto writeNode(Node node) {
        NodeProto.Builder b = merge(NodeProto.newBuilder(), node.preserved());
        node.inputs().forEach(v -> b.addInput(v == null ? "" : v.name()));
        node.outputs().forEach(v -> b.addOutput(v == null ? "" : v.name()));
        if (node.name() != null) {
            b.setName(node.name());
        }
        b.setOpType(node.opType());
        if (node.domain() != null) {
            b.setDomain(node.domain());
        }
        if (node.overload() != null) {
            b.setOverload(node.overload());
        }
        node.attributes().values().forEach(a -> b.addAttribute(writeAttribute(a)));
        return b.build();
    }

    @SuppressWarnings("unchecked")
    private AttributeProto writeAttribute(Attribute attribute) {
        AttributeProto.Builder b = merge(AttributeProto.newBuilder(), attribute.preserved());
        b.setName(attribute.name());
        b.setType(AttributeProto.AttributeType.forNumber(attribute.type().code()));
        if (attribute.refAttrName() != null) {
            b.setRefAttrName(attribute.refAttrName());
        }
        Object value = attribute.value();
        if (value == null) {
            return b.build();
        }
        switch (attribute.type()) {
            case FLOAT -> b.setF((Float) value);
            case INT -> b.setI((Long) value);
            case STRING -> b.setS(ByteString.copyFrom((byte[]) value));
            case TENSOR -> b.setT(writeTensor((Tensor) value, ((Tensor) value).name()));
            case GRAPH -> b.setG(writeGraph((Graph) value));
            case SPARSE_TENSOR -> b.setSparseTensor(writeSparse((SparseTensor) value, null));
            case TYPE_PROTO -> b.setTp(writeType((ValueType) value));
            case FLOATS -> {
                for (float f : (float[]) value) {
                    b.addFloats(f);
                }
            }
            case INTS -> {
                for (long i : (long[]) value) {
                    b.addInts(i);
                }
            }
            case STRINGS -> ((List<byte[]>) value).forEach(s -> b.addStrings(ByteString.copyFrom(s)));
            case TENSORS -> ((List<Tensor>) value).forEach(t -> b.addTensors(writeTensor(t, t.name())));
            case GRAPHS -> ((List<Graph>) value).forEach(g -> b.addGraphs(writeGraph(g)));
            case SPARSE_TENSORS -> ((List<SparseTensor>) value).forEach(s -> b.addSparseTensors(writeSparse(s, null)));
            case TYPE_PROTOS -> ((List<ValueType>) value).forEach(t -> b.addTypeProtos(writeType(t)));
            case UNDEFINED -> {
            }
        }
        return b.build();
    }

    private SparseTensorProto writeSparse(SparseTensor sparse, String name) {
        Tensor values = name != null ? sparse.values().withName(name) : sparse.values();
        SparseTensorProto.Builder b = merge(SparseTensorProto.newBuilder(), sparse.preserved());
        b.setValues(writeTensor(values, values.name()));
        b.setIndices(writeTensor(sparse.indices(), sparse.indices().name()));
        for (long d : sparse.dims()) {
            b.addDims(d);
        }
        return b.build();
    }

    TensorProto writeTensor(Tensor tensor, String name) {
        TensorProto.Builder b = merge(TensorProto.newBuilder(), tensor.preserved());
        for (long d : tensor.dims()) {
            b.addDims(d);
        }
        b.setDataType(tensor.type().code());
        if (name != null) {
            b.setName(name);
        }
        if (tensor.type() == DataType.STRING) {
            tensor.strings().forEach(s -> b.addStringData(ByteString.copyFrom(s)));
        } else if (external.test(tensor)) {
            long offset = externalFile.place(tensor);
            b.addExternalData(entry("location", externalFile.location()));
            b.addExternalData(entry("offset", Long.toString(offset)));
            b.addExternalData(entry("length", Long.toString(tensor.byteSize())));
            b.setDataLocation(TensorProto.DataLocation.EXTERNAL);
        } else if (tensor.storage() == Tensor.Storage.TYPED) {
            writeTyped(b, tensor.type(), tensor.buffer());
        } else {
            b.setRawData(UnsafeByteOperations.unsafeWrap(tensor.buffer()));
        }
        return b.build();
    }

    private static StringStringEntryProto entry(String key, String value) {
        return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }

    /** The inverse of the importer's typed-field decoding (see {@link TypedField}). */
    private static void writeTyped(TensorProto.Builder b, DataType type, ByteBuffer data) {
        int entryBytes = TypedField.entryBytes(type);
        boolean signed = TypedField.signExtends(type);
        switch (TypedField.of(type)) {
            case FLOAT_DATA -> {
                while (data.hasRemaining()) {
                    b.addFloatData(data.getFloat());
                }
            }
            case DOUBLE_DATA -> {
                while (data.hasRemaining()) {
                    b.addDoubleData(data.getDouble());
                }
            }
            case INT64_DATA -> {
                while (data.hasRemaining()) {
                    b.addInt64Data(data.getLong());
                }
            }
            case UINT64_DATA -> {
                while (data.hasRemaining()) {
                    b.addUint64Data(type == DataType.UINT32 ? Integer.toUnsignedLong(data.getInt()) : data.getLong());
                }
            }
            case INT32_DATA -> {
                while (data.hasRemaining()) {
                    int v = switch (entryBytes) {
                        case 1 -> signed ? data.get() : Byte.toUnsignedInt(data.get());
                        case 2 -> signed ? data.getShort() : Short.toUnsignedInt(data.getShort());
                        default -> data.getInt();
                    };
                    b.addInt32Data(v);
                }
            }
            case STRING_DATA -> throw new IllegalStateException("strings are not packed");
        }
    }

    static TypeProto writeType(ValueType type) {
        TypeProto.Builder b = TypeProto.newBuilder();
        if (type.denotation() != null) {
            b.setDenotation(type.denotation());
        }
        if (type instanceof ValueType.TensorType t) {
            TypeProto.Tensor.Builder tensor = TypeProto.Tensor.newBuilder();
            if (t.elementType() != DataType.UNDEFINED) {
                tensor.setElemType(t.elementType().code());
            }
            if (t.shape() != null) {
                tensor.setShape(writeShape(t.shape()));
            }
            b.setTensorType(tensor);
        } else if (type instanceof ValueType.SparseTensorType t) {
            TypeProto.SparseTensor.Builder sparse = TypeProto.SparseTensor.newBuilder();
            if (t.elementType() != DataType.UNDEFINED) {
                sparse.setElemType(t.elementType().code());
            }
            if (t.shape() != null) {
                sparse.setShape(writeShape(t.shape()));
            }
            b.setSparseTensorType(sparse);
        } else if (type instanceof ValueType.SequenceType t) {
            TypeProto.Sequence.Builder sequence = TypeProto.Sequence.newBuilder();
            if (t.elementType() != null) {
                sequence.setElemType(writeType(t.elementType()));
            }
            b.setSequenceType(sequence);
        } else if (type instanceof ValueType.OptionalType t) {
            TypeProto.Optional.Builder optional = TypeProto.Optional.newBuilder();
            if (t.elementType() != null) {
                optional.setElemType(writeType(t.elementType()));
            }
            b.setOptionalType(optional);
        } else if (type instanceof ValueType.MapType t) {
            TypeProto.Map.Builder map = TypeProto.Map.newBuilder();
            if (t.keyType() != DataType.UNDEFINED) {
                map.setKeyType(t.keyType().code());
            }
            if (t.valueType() != null) {
                map.setValueType(writeType(t.valueType()));
            }
            b.setMapType(map);
        } else if (type instanceof ValueType.OpaqueType t) {
            TypeProto.Opaque.Builder opaque = TypeProto.Opaque.newBuilder();
            if (t.domain() != null) {
                opaque.setDomain(t.domain());
            }
            if (t.name() != null) {
                opaque.setName(t.name());
            }
            b.setOpaqueType(opaque);
        }
        return b.build();
    }

    private static TensorShapeProto writeShape(Shape shape) {
        TensorShapeProto.Builder b = TensorShapeProto.newBuilder();
        for (Dim dim : shape.dims()) {
            TensorShapeProto.Dimension.Builder d = TensorShapeProto.Dimension.newBuilder();
            if (dim.value() != null) {
                d.setDimValue(dim.value());
            } else if (dim.param() != null) {
                d.setDimParam(dim.param());
            }
            if (dim.denotation() != null) {
                d.setDenotation(dim.denotation());
            }
            b.addDim(d);
        }
        return b.build();
    }

    private static <B extends com.google.protobuf.Message.Builder> B merge(B builder, Preserved preserved) {
        if (!preserved.isEmpty()) {
            try {
                builder.mergeFrom(preserved.bytes());
            } catch (InvalidProtocolBufferException e) {
                throw new IllegalStateException("preserved fields do not parse", e);
            }
        }
        return builder;
    }
}
