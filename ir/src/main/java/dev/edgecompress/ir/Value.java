package dev.edgecompress.ir;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A value flowing through a graph: a graph input, an initializer (a constant), or an output of a
 * node. Values are compared by identity; the name is a property. A value knows its producer and
 * its uses, which the graph keeps up to date as nodes are added, rewired and removed.
 */
public final class Value {

    private String name;
    private ValueType type;
    private Node producer;
    private int outputIndex = -1;
    private final List<Use> uses = new ArrayList<>();
    private Tensor constValue;
    private SparseTensor sparseConstValue;
    private Preserved infoPreserved = Preserved.NONE;
    Graph graph;

    Value(String name, ValueType type) {
        this.name = name;
        this.type = type;
    }

    /** A value not yet part of a graph; it joins one as a graph input or initializer. */
    public static Value detached(String name, ValueType type) {
        return new Value(name, type);
    }

    public String name() {
        return name;
    }

    public void setName(String newName) {
        this.name = Objects.requireNonNull(newName, "name");
        if (graph != null) {
            graph.names().claim(newName);
        }
    }

    /** The declared or inferred type, or null when unknown. */
    public ValueType type() {
        return type;
    }

    public void setType(ValueType type) {
        this.type = type;
    }

    /** The tensor type, or null when the type is unknown or not a tensor. */
    public ValueType.TensorType tensorType() {
        return type instanceof ValueType.TensorType t ? t : null;
    }

    /** The producing node, or null for graph inputs and initializers. */
    public Node producer() {
        return producer;
    }

    /** Index among the producer's outputs, or -1. */
    public int outputIndex() {
        return outputIndex;
    }

    /** A snapshot of the uses, safe to iterate while rewiring. */
    public List<Use> uses() {
        return List.copyOf(uses);
    }

    public boolean hasUses() {
        return !uses.isEmpty();
    }

    /** The graph this value is defined in (input, initializer or node output), or null. */
    public Graph graph() {
        return graph;
    }

    /** The constant of an initializer, or null. */
    public Tensor constValue() {
        return constValue;
    }

    /**
     * New contents for this dense initializer (pruned, sliced or trained weights); its type
     * follows the tensor. Only the graph makes a value an initializer ({@link Graph#addInitializer}),
     * so a value is an initializer exactly when its graph lists it as one.
     */
    public void replaceConstValue(Tensor tensor) {
        if (constValue == null) {
            throw new IllegalStateException(this + " is not a dense initializer");
        }
        this.constValue = Objects.requireNonNull(tensor, "tensor");
        this.type = new ValueType.TensorType(tensor.type(), Shape.of(tensor.dims()));
    }

    void setConstValue(Tensor tensor) {
        this.constValue = tensor;
    }

    /** The constant of a sparse initializer, or null. */
    public SparseTensor sparseConstValue() {
        return sparseConstValue;
    }

    void setSparseConstValue(SparseTensor tensor) {
        this.sparseConstValue = tensor;
    }

    public boolean isInitializer() {
        return constValue != null || sparseConstValue != null;
    }

    public boolean isGraphInput() {
        return graph != null && graph.inputs().contains(this);
    }

    public boolean isGraphOutput() {
        return graph != null && graph.outputs().contains(this);
    }

    /** Uninterpreted fields of this value's ValueInfoProto (doc string, metadata). */
    public Preserved infoPreserved() {
        return infoPreserved;
    }

    public void setInfoPreserved(Preserved preserved) {
        this.infoPreserved = Objects.requireNonNull(preserved);
    }

    /**
     * Points every use of this value at {@code replacement} instead, and graph outputs too:
     * the graph keeps its output list, with {@code replacement} in this value's place.
     */
    public void replaceAllUsesWith(Value replacement) {
        if (replacement == this) {
            return;
        }
        for (Use use : uses()) {
            use.node().replaceInput(use.inputIndex(), replacement);
        }
        if (graph != null) {
            graph.replaceOutput(this, replacement);
        }
    }

    /**
     * Puts {@code replacement} in this value's place: it takes this value's name (the name other
     * tools and graph outputs know), its uses and its graph-output places; this value is renamed
     * to a fresh name (base plus {@code suffix}), so a node producing it can then be removed.
     */
    public void replaceWith(Value replacement, String suffix) {
        String name = this.name;
        setName(graph != null ? graph.freshName(name + suffix) : name + suffix);
        replacement.setName(name);
        replaceAllUsesWith(replacement);
    }

    void setProducer(Node node, int index) {
        this.producer = node;
        this.outputIndex = index;
    }

    void addUse(Node node, int index) {
        uses.add(new Use(node, index));
    }

    void removeUse(Node node, int index) {
        for (int i = 0; i < uses.size(); i++) {
            Use use = uses.get(i);
            if (use.node() == node && use.inputIndex() == index) {
                uses.remove(i);
                return;
            }
        }
    }

    @Override
    public String toString() {
        return "%" + name + (type == null ? "" : ":" + type);
    }
}
