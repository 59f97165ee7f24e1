package dev.edgecompress.importer;

import dev.edgecompress.importer.proto.AttributeProto;
import dev.edgecompress.importer.proto.FunctionProto;
import dev.edgecompress.importer.proto.GraphProto;
import dev.edgecompress.importer.proto.ModelProto;
import dev.edgecompress.importer.proto.NodeProto;
import dev.edgecompress.importer.proto.OperatorSetIdProto;
import dev.edgecompress.importer.proto.SparseTensorProto;
import dev.edgecompress.importer.proto.TensorShapeProto;
import dev.edgecompress.importer.proto.TypeProto;
import dev.edgecompress.importer.proto.ValueInfoProto;
import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.AttributeType;
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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Builds the IR from parsed protobuf messages. Names become value identities through
 * {@link Scope}s; what the IR does not interpret is kept as {@link Preserved} wire bytes.
 * Structural problems (a name defined twice, an undefined value, a cycle) raise
 * {@link FormatProblem}; nodes that are acyclic but out of order are sorted.
 */
final class ProtoReader {

    private final TensorReader tensors;

    ProtoReader(TensorReader tensors) {
        this.tensors = tensors;
    }

    Model readModel(ModelProto proto) {
        if (!proto.hasGraph()) {
            throw new FormatProblem("not an ONNX model: it has no graph");
        }
        Model model = new Model(readGraph(proto.getGraph(), null));
        model.setIrVersion(proto.hasIrVersion() ? proto.getIrVersion() : null);
        proto.getOpsetImportList().forEach(o -> model.opsets().add(opset(o)));
        model.setProducerName(proto.hasProducerName() ? proto.getProducerName() : null);
        model.setProducerVersion(proto.hasProducerVersion() ? proto.getProducerVersion() : null);
        model.setDomain(proto.hasDomain() ? proto.getDomain() : null);
        model.setModelVersion(proto.hasModelVersion() ? proto.getModelVersion() : null);
        proto.getMetadataPropsList().forEach(e -> model.metadata().put(e.getKey(), e.getValue()));
        for (FunctionProto function : proto.getFunctionsList()) {
            model.functions().add(readFunction(function));
        }
        model.setPreserved(Preserved.of(proto.toBuilder().clearIrVersion().clearOpsetImport()
                .clearProducerName().clearProducerVersion().clearDomain().clearModelVersion().clearGraph()
                .clearMetadataProps().clearFunctions().build().toByteArray()));
        return model;
    }

    private static OpsetImport opset(OperatorSetIdProto proto) {
        return new OpsetImport(proto.hasDomain() ? proto.getDomain() : null, proto.getVersion());
    }

    private Function readFunction(FunctionProto proto) {
        String label = "function '" + proto.getName() + "'";
        Graph body = new Graph(null);
        Scope scope = new Scope(null);
        for (String input : proto.getInputList()) {
            defineOnce(scope, input, body.addInput(input, null), label + " input");
        }
        readNodes(body, scope, proto.getNodeList(), label);
        readValueInfos(body, scope, proto.getValueInfoList());
        for (String output : proto.getOutputList()) {
            body.addOutput(require(scope, output, label + " output"));
        }
        List<Attribute> defaults = new ArrayList<>();
        for (AttributeProto attribute : proto.getAttributeProtoList()) {
            defaults.add(readAttribute(attribute, scope, label));
        }
        List<OpsetImport> opsets = proto.getOpsetImportList().stream().map(ProtoReader::opset).toList();
        Preserved rest = Preserved.of(proto.toBuilder().clearName().clearDomain().clearOverload()
                .clearInput().clearOutput().clearAttribute().clearAttributeProto().clearNode()
                .clearOpsetImport().clearValueInfo().build().toByteArray());
        return new Function(proto.hasDomain() ? proto.getDomain() : null, proto.getName(),
                proto.hasOverload() ? proto.getOverload() : null, body, proto.getAttributeList(), defaults,
                opsets, rest);
    }

    private Graph readGraph(GraphProto proto, Scope outer) {
        Graph graph = new Graph(proto.hasName() ? proto.getName() : null);
        String label = proto.hasName() && !proto.getName().isEmpty() ? "graph '" + proto.getName() + "'" : "graph";
        Scope scope = new Scope(outer);
        for (ValueInfoProto info : proto.getInputList()) {
            Value input = graph.addInput(info.getName(), info.hasType() ? readType(info.getType()) : null);
            input.setInfoPreserved(infoRest(info));
            defineOnce(scope, info.getName(), input, label + " input");
        }
        for (var initializer : proto.getInitializerList()) {
            String name = initializer.getName();
            Tensor tensor = tensors.read(initializer, "initializer '" + name + "'");
            Value existing = scope.local(name);
            if (existing != null && existing.isGraphInput() && !existing.isInitializer()) {
                graph.addInitializer(existing, tensor);
            } else {
                defineOnce(scope, name, graph.addInitializer(name, tensor), label + " initializer");
            }
        }
        for (SparseTensorProto sparse : proto.getSparseInitializerList()) {
            String name = sparse.getValues().getName();
            SparseTensor tensor = readSparse(sparse, "sparse initializer '" + name + "'");
            Value existing = scope.local(name);
            if (existing != null && existing.isGraphInput() && !existing.isInitializer()) {
                graph.addSparseInitializer(existing, tensor);
            } else {
                defineOnce(scope, name, graph.addSparseInitializer(name, tensor), label + " sparse initializer");
            }
        }
        readNodes(graph, scope, proto.getNodeList(), label);
        readValueInfos(graph, scope, proto.getValueInfoList());
        for (ValueInfoProto info : proto.getOutputList()) {
            Value output = require(scope, info.getName(), label + " output");
            if (output.type() == null && info.hasType()) {
                output.setType(readType(info.getType()));
            }
            if (!infoRest(info).isEmpty()) {
                output.setInfoPreserved(infoRest(info));
            }
            graph.addOutput(output);
        }
        graph.setPreserved(Preserved.of(proto.toBuilder().clearNode().clearName().clearInitializer()
                .clearSparseInitializer().clearInput().clearOutput().clearValueInfo().build().toByteArray()));
        return graph;
    }

    private void readValueInfos(Graph graph, Scope scope, List<ValueInfoProto> infos) {
        for (ValueInfoProto info : infos) {
            Value value = scope.lookup(info.getName());
            ValueType type = info.hasType() ? readType(info.getType()) : null;
            if (value == null) {
                // Type information about a name nothing defines: kept, as the file had it.
                value = Value.detached(info.getName(), type);
            } else if (value.type() == null || value.producer() != null) {
                value.setType(type);
            }
            value.setInfoPreserved(infoRest(info));
            graph.addValueInfo(value);
        }
    }

    private static Preserved infoRest(ValueInfoProto info) {
        return Preserved.of(info.toBuilder().clearName().clearType().build().toByteArray());
    }

    /** Reads nodes in topological order, creating each one's outputs and resolving its inputs. */
    private void readNodes(Graph graph, Scope scope, List<NodeProto> protos, String label) {
        Map<String, Integer> producerOf = new HashMap<>();
        for (int i = 0; i < protos.size(); i++) {
            for (String output : protos.get(i).getOutputList()) {
                if (output.isEmpty()) {
                    continue;
                }
                Integer earlier = producerOf.putIfAbsent(output, i);
                if (earlier != null) {
                    throw new FormatProblem(label + ": value '" + output + "' is produced twice, by "
                            + describe(protos.get(earlier)) + " and by " + describe(protos.get(i)));
                }
                if (scope.local(output) != null) {
                    throw new FormatProblem(label + ": value '" + output + "' produced by "
                            + describe(protos.get(i)) + " is also a graph input or initializer");
                }
            }
        }
        List<Set<Integer>> dependencies = new ArrayList<>();
        for (NodeProto node : protos) {
            Set<Integer> deps = new HashSet<>();
            for (String name : usedNames(node)) {
                Integer producer = producerOf.get(name);
                if (producer != null) {
                    deps.add(producer);
                } else if (scope.lookup(name) == null) {
                    throw new FormatProblem(label + ": " + describe(node) + " uses undefined value '" + name + "'");
                }
            }
            dependencies.add(deps);
        }
        for (int index : topologicalOrder(protos, dependencies, label)) {
            NodeProto proto = protos.get(index);
            List<Value> inputs = new ArrayList<>();
            for (String name : proto.getInputList()) {
                inputs.add(name.isEmpty() ? null : scope.lookup(name));
            }
            List<String> outputs = proto.getOutputList().stream().map(o -> o.isEmpty() ? null : o).toList();
            Node node = new Node(proto.hasDomain() ? proto.getDomain() : null, proto.getOpType(), inputs, outputs);
            node.setName(proto.hasName() ? proto.getName() : null);
            node.setOverload(proto.hasOverload() ? proto.getOverload() : null);
            for (AttributeProto attribute : proto.getAttributeList()) {
                node.setAttribute(readAttribute(attribute, scope, label + " > " + describe(proto)));
            }
            node.setPreserved(Preserved.of(proto.toBuilder().clearInput().clearOutput().clearName()
                    .clearOpType().clearDomain().clearOverload().clearAttribute().build().toByteArray()));
            graph.append(node);
            for (Value output : node.outputs()) {
                if (output != null) {
                    scope.define(output.name(), output);
                }
            }
        }
    }

    /** Names a node reads: its inputs and the outer names its subgraphs refer to. */
    private static Set<String> usedNames(NodeProto node) {
        Set<String> used = new HashSet<>();
        node.getInputList().stream().filter(s -> !s.isEmpty()).forEach(used::add);
        for (AttributeProto attribute : node.getAttributeList()) {
            if (attribute.hasG()) {
                used.addAll(freeNames(attribute.getG()));
            }
            attribute.getGraphsList().forEach(g -> used.addAll(freeNames(g)));
        }
        return used;
    }

    /** Names a subgraph uses but does not define. */
    private static Set<String> freeNames(GraphProto graph) {
        Set<String> defined = new HashSet<>();
        graph.getInputList().forEach(i -> defined.add(i.getName()));
        graph.getInitializerList().forEach(t -> defined.add(t.getName()));
        graph.getSparseInitializerList().forEach(s -> defined.add(s.getValues().getName()));
        graph.getNodeList().forEach(n -> defined.addAll(n.getOutputList()));
        Set<String> free = new HashSet<>();
        graph.getNodeList().forEach(n -> free.addAll(usedNames(n)));
        graph.getOutputList().forEach(o -> free.add(o.getName()));
        free.removeAll(defined);
        return free;
    }

    /** File order when it is topological; otherwise a stable topological sort, or the cycle. */
    private static List<Integer> topologicalOrder(List<NodeProto> protos, List<Set<Integer>> deps, String label) {
        int n = protos.size();
        boolean sorted = true;
        for (int i = 0; i < n && sorted; i++) {
            for (int d : deps.get(i)) {
                if (d >= i) {
                    sorted = false;
                    break;
                }
            }
        }
        List<Integer> order = new ArrayList<>(n);
        if (sorted) {
            for (int i = 0; i < n; i++) {
                order.add(i);
            }
            return order;
        }
        int[] waiting = new int[n];
        List<List<Integer>> users = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            users.add(new ArrayList<>());
        }
        for (int i = 0; i < n; i++) {
            waiting[i] = deps.get(i).size();
            for (int d : deps.get(i)) {
                users.get(d).add(i);
            }
        }
        PriorityQueue<Integer> ready = new PriorityQueue<>();
        for (int i = 0; i < n; i++) {
            if (waiting[i] == 0) {
                ready.add(i);
            }
        }
        while (!ready.isEmpty()) {
            int next = ready.poll();
            order.add(next);
            for (int user : users.get(next)) {
                if (--waiting[user] == 0) {
                    ready.add(user);
                }
            }
        }
        if (order.size() < n) {
            throw new FormatProblem(label + ": the nodes form a cycle: " + describeCycle(protos, deps, waiting));
        }
        return order;
    }

    private static String describeCycle(List<NodeProto> protos, List<Set<Integer>> deps, int[] waiting) {
        int start = 0;
        while (waiting[start] == 0) {
            start++;
        }
        // Walk dependencies among the nodes left over until one repeats: that is a cycle.
        Map<Integer, Integer> seenAt = new HashMap<>();
        Deque<Integer> path = new ArrayDeque<>();
        int current = start;
        while (!seenAt.containsKey(current)) {
            seenAt.put(current, path.size());
            path.addLast(current);
            int from = current;
            current = deps.get(from).stream().filter(d -> waiting[d] > 0).findFirst().orElseThrow();
        }
        List<Integer> cycle = new ArrayList<>(path).subList(seenAt.get(current), path.size());
        StringBuilder text = new StringBuilder();
        for (int i = cycle.size() - 1; i >= 0; i--) {
            text.append(describe(protos.get(cycle.get(i)))).append(" -> ");
        }
        return text.append(describe(protos.get(cycle.get(cycle.size() - 1)))).toString();
    }

    private Attribute readAttribute(AttributeProto proto, Scope scope, String where) {
        String name = proto.getName();
        String ref = proto.hasRefAttrName() ? proto.getRefAttrName() : null;
        AttributeType type = proto.hasType() ? AttributeType.fromCode(proto.getType().getNumber()) : inferType(proto);
        if (type == null) {
            throw new FormatProblem(where + ": attribute '" + name + "' has unknown type " + proto.getType().getNumber());
        }
        String what = where + " attribute '" + name + "'";
        AttributeProto.Builder rest = proto.toBuilder().clearName().clearRefAttrName().clearType();
        Object value = null;
        if (ref == null || hasValue(proto, type)) {
            value = switch (type) {
                case FLOAT -> proto.getF();
                case INT -> proto.getI();
                case STRING -> proto.getS().toByteArray();
                case TENSOR -> tensors.read(proto.getT(), what);
                case GRAPH -> readGraph(proto.getG(), scope);
                case SPARSE_TENSOR -> readSparse(proto.getSparseTensor(), what);
                case TYPE_PROTO -> readType(proto.getTp());
                case FLOATS -> toFloatArray(proto.getFloatsList());
                case INTS -> proto.getIntsList().stream().mapToLong(Long::longValue).toArray();
                case STRINGS -> proto.getStringsList().stream().map(s -> s.toByteArray()).toList();
                case TENSORS -> proto.getTensorsList().stream().map(t -> tensors.read(t, what)).toList();
                case GRAPHS -> proto.getGraphsList().stream().map(g -> readGraph(g, scope)).toList();
                case SPARSE_TENSORS -> proto.getSparseTensorsList().stream().map(s -> readSparse(s, what)).toList();
                case TYPE_PROTOS -> proto.getTypeProtosList().stream().map(this::readType).toList();
                case UNDEFINED -> null;
            };
            clearValue(rest, type);
        }
        return new Attribute(name, type, value, ref, Preserved.of(rest.build().toByteArray()));
    }

    private static boolean hasValue(AttributeProto p, AttributeType type) {
        return switch (type) {
            case FLOAT -> p.hasF();
            case INT -> p.hasI();
            case STRING -> p.hasS();
            case TENSOR -> p.hasT();
            case GRAPH -> p.hasG();
            case SPARSE_TENSOR -> p.hasSparseTensor();
            case TYPE_PROTO -> p.hasTp();
            case FLOATS -> p.getFloatsCount() > 0;
            case INTS -> p.getIntsCount() > 0;
            case STRINGS -> p.getStringsCount() > 0;
            case TENSORS -> p.getTensorsCount() > 0;
            case GRAPHS -> p.getGraphsCount() > 0;
            case SPARSE_TENSORS -> p.getSparseTensorsCount() > 0;
            case TYPE_PROTOS -> p.getTypeProtosCount() > 0;
            case UNDEFINED -> false;
        };
    }

    private static void clearValue(AttributeProto.Builder b, AttributeType type) {
        switch (type) {
            case FLOAT -> b.clearF();
            case INT -> b.clearI();
            case STRING -> b.clearS();
            case TENSOR -> b.clearT();
            case GRAPH -> b.clearG();
            case SPARSE_TENSOR -> b.clearSparseTensor();
            case TYPE_PROTO -> b.clearTp();
            case FLOATS -> b.clearFloats();
            case INTS -> b.clearInts();
            case STRINGS -> b.clearStrings();
            case TENSORS -> b.clearTensors();
            case GRAPHS -> b.clearGraphs();
            case SPARSE_TENSORS -> b.clearSparseTensors();
            case TYPE_PROTOS -> b.clearTypeProtos();
            case UNDEFINED -> {
            }
        }
    }

    /** For files of IR version 1, which did not record the attribute type. */
    private static AttributeType inferType(AttributeProto p) {
        for (AttributeType type : AttributeType.values()) {
            if (type != AttributeType.UNDEFINED && hasValue(p, type)) {
                return type;
            }
        }
        return AttributeType.UNDEFINED;
    }

    private SparseTensor readSparse(SparseTensorProto proto, String what) {
        Tensor values = tensors.read(proto.getValues(), what + " values");
        Tensor indices = tensors.read(proto.getIndices(), what + " indices");
        long[] dims = proto.getDimsList().stream().mapToLong(Long::longValue).toArray();
        return new SparseTensor(values, indices, dims, Preserved.of(
                proto.toBuilder().clearValues().clearIndices().clearDims().build().toByteArray()));
    }

    ValueType readType(TypeProto proto) {
        String denotation = proto.hasDenotation() ? proto.getDenotation() : null;
        return switch (proto.getValueCase()) {
            case TENSOR_TYPE -> new ValueType.TensorType(elementType(proto.getTensorType().hasElemType(),
                    proto.getTensorType().getElemType()),
                    proto.getTensorType().hasShape() ? readShape(proto.getTensorType().getShape()) : null, denotation);
            case SPARSE_TENSOR_TYPE -> new ValueType.SparseTensorType(elementType(
                    proto.getSparseTensorType().hasElemType(), proto.getSparseTensorType().getElemType()),
                    proto.getSparseTensorType().hasShape() ? readShape(proto.getSparseTensorType().getShape()) : null,
                    denotation);
            case SEQUENCE_TYPE -> new ValueType.SequenceType(proto.getSequenceType().hasElemType()
                    ? readType(proto.getSequenceType().getElemType()) : null, denotation);
            case OPTIONAL_TYPE -> new ValueType.OptionalType(proto.getOptionalType().hasElemType()
                    ? readType(proto.getOptionalType().getElemType()) : null, denotation);
            case MAP_TYPE -> new ValueType.MapType(elementType(proto.getMapType().hasKeyType(),
                    proto.getMapType().getKeyType()), proto.getMapType().hasValueType()
                    ? readType(proto.getMapType().getValueType()) : null, denotation);
            case OPAQUE_TYPE -> new ValueType.OpaqueType(
                    proto.getOpaqueType().hasDomain() ? proto.getOpaqueType().getDomain() : null,
                    proto.getOpaqueType().hasName() ? proto.getOpaqueType().getName() : null, denotation);
            case VALUE_NOT_SET -> new ValueType.UnspecifiedType(denotation);
        };
    }

    private static DataType elementType(boolean present, int code) {
        if (!present) {
            return DataType.UNDEFINED;
        }
        DataType type = DataType.fromCode(code);
        if (type == null) {
            throw new FormatProblem("unknown element type " + code);
        }
        return type;
    }

    private static Shape readShape(TensorShapeProto proto) {
        List<Dim> dims = new ArrayList<>();
        for (TensorShapeProto.Dimension d : proto.getDimList()) {
            String denotation = d.hasDenotation() ? d.getDenotation() : null;
            dims.add(switch (d.getValueCase()) {
                case DIM_VALUE -> new Dim(d.getDimValue(), null, denotation);
                case DIM_PARAM -> new Dim(null, d.getDimParam(), denotation);
                case VALUE_NOT_SET -> new Dim(null, null, denotation);
            });
        }
        return new Shape(dims);
    }

    private static void defineOnce(Scope scope, String name, Value value, String what) {
        if (scope.local(name) != null) {
            throw new FormatProblem(what + " '" + name + "' is defined twice");
        }
        scope.define(name, value);
    }

    private static Value require(Scope scope, String name, String what) {
        Value value = scope.lookup(name);
        if (value == null) {
            throw new FormatProblem(what + " '" + name + "' is not defined by any input, initializer or node");
        }
        return value;
    }

    private static float[] toFloatArray(List<Float> values) {
        float[] result = new float[values.size()];
        for (int i = 0; i < result.length; i++) {
            result[i] = values.get(i);
        }
        return result;
    }

    static String describe(NodeProto node) {
        String op = node.getDomain().isEmpty() ? node.getOpType() : node.getDomain() + "." + node.getOpType();
        return node.getName().isEmpty() ? op + " node with outputs " + Arrays.toString(node.getOutputList().toArray())
                : "node '" + node.getName() + "' (" + op + ")";
    }
}
