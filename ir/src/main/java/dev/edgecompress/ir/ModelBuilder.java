package dev.edgecompress.ir;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds models in code:
 *
 * <pre>{@code
 * ModelBuilder b = ModelBuilder.onnx(17);
 * Value x = b.input("x", DataType.FLOAT, 1, 784);
 * Value w = b.initializer("w", Tensor.ofFloats(new long[] {784, 10}, weights));
 * Value y = b.op("MatMul", x, w);
 * b.output(b.op("Relu", y));
 * Model model = b.build();
 * }</pre>
 *
 * Node outputs get fresh names unless given; {@link #build()} runs the {@link Verifier}.
 */
public final class ModelBuilder {

    private final Model model;
    private final Graph graph;

    private ModelBuilder(long onnxOpset) {
        graph = new Graph("main");
        model = new Model(graph);
        model.setIrVersion(onnxOpset >= 21 ? 10L : 8L);
        model.opsets().add(OpsetImport.onnx(onnxOpset));
        model.setProducerName("edgecompress");
    }

    /** A builder for a model importing ONNX operator set {@code opset}. */
    public static ModelBuilder onnx(long opset) {
        return new ModelBuilder(opset);
    }

    /** Also imports {@code domain} at {@code version} (for example "com.microsoft"). */
    public ModelBuilder opset(String domain, long version) {
        model.opsets().add(new OpsetImport(domain, version));
        return this;
    }

    public ModelBuilder irVersion(long version) {
        model.setIrVersion(version);
        return this;
    }

    public Graph graph() {
        return graph;
    }

    /** A graph input with a static shape. */
    public Value input(String name, DataType type, long... dims) {
        return graph.addInput(name, new ValueType.TensorType(type, Shape.of(dims)));
    }

    /** A graph input with any shape, symbolic dimensions included. */
    public Value input(String name, DataType type, Shape shape) {
        return graph.addInput(name, new ValueType.TensorType(type, shape));
    }

    public Value initializer(String name, Tensor tensor) {
        return graph.addInitializer(name, tensor);
    }

    /** A node with one output; returns that output. */
    public Value op(String opType, Value... inputs) {
        return node(opType, inputs).output();
    }

    /** A node with one output and attributes; returns that output. */
    public Value op(String opType, List<Attribute> attributes, Value... inputs) {
        return node(opType, 1, attributes, inputs).output();
    }

    /** A node of the default domain with one output. */
    public Node node(String opType, Value... inputs) {
        return node(opType, 1, List.of(), inputs);
    }

    /** A node of the default domain with {@code outputs} outputs. */
    public Node node(String opType, int outputs, List<Attribute> attributes, Value... inputs) {
        return node(null, opType, outputs, attributes, inputs);
    }

    public Node node(String domain, String opType, int outputs, List<Attribute> attributes, Value... inputs) {
        List<String> names = new ArrayList<>();
        for (int i = 0; i < outputs; i++) {
            names.add("");
        }
        Node node = new Node(domain, opType, Arrays.asList(inputs), names);
        attributes.forEach(node::setAttribute);
        return graph.append(node);
    }

    /** Marks {@code value} a graph output, declaring its type when given. */
    public ModelBuilder output(Value value, ValueType type) {
        if (type != null) {
            value.setType(type);
        }
        graph.addOutput(value);
        return this;
    }

    public ModelBuilder output(Value value) {
        return output(value, null);
    }

    /** Marks {@code value} a graph output of type float with the given shape. */
    public ModelBuilder output(Value value, DataType type, long... dims) {
        return output(value, new ValueType.TensorType(type, Shape.of(dims)));
    }

    /** The model, after checking it with the {@link Verifier}. */
    public Model build() {
        Verifier.check(model);
        return model;
    }
}
