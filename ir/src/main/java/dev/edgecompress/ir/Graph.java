package dev.edgecompress.ir;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A graph: inputs, initializers (constant values), nodes in topological order, outputs, and the
 * values whose types the file declared ({@link #valueInfos()}). A subgraph (If branch, Loop body)
 * is owned by a node and may use values of the graphs around it.
 *
 * <p>Not thread-safe: one pass at a time mutates a graph.
 */
public final class Graph {

    private String name;
    private final List<Value> inputs = new ArrayList<>();
    private final List<Value> outputs = new ArrayList<>();
    private final List<Value> initializers = new ArrayList<>();
    private final List<Value> sparseInitializers = new ArrayList<>();
    private final List<Node> nodes = new ArrayList<>();
    private final List<Value> valueInfos = new ArrayList<>();
    private Preserved preserved = Preserved.NONE;
    private Node owner;
    private final Names ownNames = new Names(this);

    public Graph(String name) {
        this.name = name;
    }

    public String name() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public List<Value> inputs() {
        return Collections.unmodifiableList(inputs);
    }

    public List<Value> outputs() {
        return Collections.unmodifiableList(outputs);
    }

    /** Initializers in file order (dense, then {@link #sparseInitializers()} separately). */
    public List<Value> initializers() {
        return Collections.unmodifiableList(initializers);
    }

    public List<Value> sparseInitializers() {
        return Collections.unmodifiableList(sparseInitializers);
    }

    /** Nodes in topological order. */
    public List<Node> nodes() {
        return Collections.unmodifiableList(nodes);
    }

    /** Intermediate values whose type the file declared, in file order. */
    public List<Value> valueInfos() {
        return Collections.unmodifiableList(valueInfos);
    }

    /** The node whose attribute holds this graph, or null for a main graph or function body. */
    public Node owner() {
        return owner;
    }

    void setOwner(Node node) {
        this.owner = node;
    }

    /** The graph around this subgraph, or null. */
    public Graph parent() {
        return owner == null ? null : owner.graph();
    }

    public Preserved preserved() {
        return preserved;
    }

    public void setPreserved(Preserved preserved) {
        this.preserved = Objects.requireNonNull(preserved);
    }

    /** Adds a graph input; an empty name is replaced by a fresh one. */
    public Value addInput(String valueName, ValueType type) {
        return adopt(inputs, new Value(valueName, type));
    }

    /** Adds an existing detached value (for example one an initializer also names) as an input. */
    public Value addInput(Value value) {
        if (value.graph != null && value.graph != this) {
            throw new IllegalArgumentException(value + " belongs to another graph");
        }
        if (value.graph == null) {
            return adopt(inputs, value);
        }
        inputs.add(value);
        return value;
    }

    /** Adds a dense initializer: a value whose content is {@code tensor}. */
    public Value addInitializer(String valueName, Tensor tensor) {
        Value value = new Value(valueName, tensorTypeOf(tensor));
        value.setConstValue(tensor);
        return adopt(initializers, value);
    }

    /** Makes an existing value (typically a graph input of an old IR version) an initializer too. */
    public void addInitializer(Value value, Tensor tensor) {
        if (value.graph != this) {
            throw new IllegalArgumentException(value + " is not in this graph");
        }
        value.setConstValue(tensor);
        initializers.add(value);
    }

    public Value addSparseInitializer(String valueName, SparseTensor tensor) {
        Value value = new Value(valueName, null);
        value.setSparseConstValue(tensor);
        return adopt(sparseInitializers, value);
    }

    /** Makes an existing value a sparse initializer too (a graph input with a sparse default). */
    public void addSparseInitializer(Value value, SparseTensor tensor) {
        if (value.graph != this) {
            throw new IllegalArgumentException(value + " is not in this graph");
        }
        value.setSparseConstValue(tensor);
        sparseInitializers.add(value);
    }

    /** Removes initializers; fails, changing nothing, if any of them is still used. */
    public void removeInitializers(Collection<Value> values) {
        for (Value value : values) {
            if (value.hasUses() || outputs.contains(value)) {
                throw new IllegalStateException("initializer " + value.name() + " is still used");
            }
        }
        Set<Value> gone = identitySet(values);
        initializers.removeIf(gone::contains);
        sparseInitializers.removeIf(gone::contains);
        inputs.removeIf(gone::contains);
        valueInfos.removeIf(gone::contains);
    }

    public void addOutput(Value value) {
        outputs.add(Objects.requireNonNull(value));
    }

    public void removeOutput(Value value) {
        outputs.remove(value);
    }

    void replaceOutput(Value old, Value replacement) {
        outputs.replaceAll(v -> v == old ? replacement : v);
    }

    /** Declares that the file records {@code value}'s type in this graph's value_info. */
    public void addValueInfo(Value value) {
        valueInfos.add(value);
    }

    /** Drops {@code value}'s declared type from value_info (after a pass changed its shape). */
    public void removeValueInfo(Value value) {
        valueInfos.remove(value);
    }

    public void clearValueInfos() {
        valueInfos.clear();
    }

    /** Appends a node at the end (its inputs must already be defined). */
    public Node append(Node node) {
        attach(node);
        nodes.add(node);
        return node;
    }

    public Node insertBefore(Node anchor, Node node) {
        int index = indexOf(anchor);
        attach(node);
        nodes.add(index, node);
        return node;
    }

    public Node insertAfter(Node anchor, Node node) {
        int index = indexOf(anchor);
        attach(node);
        nodes.add(index + 1, node);
        return node;
    }

    /**
     * Puts {@code replacement} (a new node) in {@code old}'s place: inserted before it, each output
     * taking over the name and uses of {@code old}'s output at the same index
     * ({@link Value#replaceWith}), then {@code old} removed.
     */
    public Node replace(Node old, Node replacement) {
        insertBefore(old, replacement);
        for (int i = 0; i < old.outputs().size(); i++) {
            if (old.output(i) != null) {
                old.output(i).replaceWith(replacement.output(i), "_replaced");
            }
        }
        remove(List.of(old));
        return replacement;
    }

    /**
     * Removes nodes. Fails, changing nothing, if an output of a removed node is still used by a
     * node that stays or is a graph output.
     */
    public void remove(Collection<Node> doomed) {
        Set<Node> gone = identitySet(doomed);
        for (Node node : gone) {
            if (node.graph != this) {
                throw new IllegalArgumentException(node + " is not in this graph");
            }
            for (Value output : node.outputs()) {
                if (output == null) {
                    continue;
                }
                if (outputs.contains(output)) {
                    throw new IllegalStateException("cannot remove " + node + ": its output "
                            + output.name() + " is a graph output");
                }
                for (Use use : output.uses()) {
                    if (!gone.contains(use.node())) {
                        throw new IllegalStateException("cannot remove " + node + ": its output "
                                + output.name() + " is used by " + use.node());
                    }
                }
            }
        }
        for (Node node : gone) {
            node.detachInputs();
            node.graph = null;
            for (Value output : node.outputs()) {
                if (output != null) {
                    output.graph = null;
                    valueInfos.remove(output);
                }
            }
        }
        nodes.removeIf(gone::contains);
    }

    /** Replaces the node order (for a topological sort); the set of nodes must not change. */
    public void reorder(List<Node> order) {
        if (order.size() != nodes.size() || !identitySet(order).equals(identitySet(nodes))) {
            throw new IllegalArgumentException("reorder must keep the same nodes");
        }
        nodes.clear();
        nodes.addAll(order);
    }

    /** A value name unused anywhere in this graph's tree, now reserved. */
    public String freshName(String base) {
        return names().fresh(base);
    }

    Names names() {
        Graph outer = parent();
        return outer != null ? outer.names() : ownNames;
    }

    /**
     * This graph and every graph nested in its nodes' attributes (If branches, Loop and Scan
     * bodies), depth first, each graph before the graphs inside it.
     */
    public List<Graph> withSubgraphs() {
        List<Graph> result = new ArrayList<>();
        result.add(this);
        for (Node node : nodes) {
            node.subgraphs().forEach(g -> result.addAll(g.withSubgraphs()));
        }
        return result;
    }

    /** Every node of this graph and, depth first, of its subgraphs. */
    public List<Node> allNodes() {
        List<Node> result = new ArrayList<>();
        for (Node node : nodes) {
            result.add(node);
            node.subgraphs().forEach(g -> result.addAll(g.allNodes()));
        }
        return result;
    }

    private void attach(Node node) {
        if (node.graph != null) {
            throw new IllegalArgumentException(node + " already belongs to a graph");
        }
        node.graph = this;
        node.attachInputs();
        for (Graph subgraph : node.subgraphs()) {
            subgraph.setOwner(node);
            names().claimAll(subgraph);
        }
        for (Value output : node.outputs()) {
            if (output != null) {
                output.graph = this;
                nameIfBlank(output);
            }
        }
    }

    private Value adopt(List<Value> list, Value value) {
        value.graph = this;
        nameIfBlank(value);
        list.add(value);
        return value;
    }

    /** Names an unnamed value after the op that makes it ("Conv", "Conv_1", ...), or "input". */
    private void nameIfBlank(Value value) {
        if (value.name() == null || value.name().isEmpty()) {
            value.setName(freshName(value.producer() != null ? value.producer().opType() : "input"));
        } else {
            names().claim(value.name());
        }
    }

    private int indexOf(Node anchor) {
        for (int i = 0; i < nodes.size(); i++) {
            if (nodes.get(i) == anchor) {
                return i;
            }
        }
        throw new IllegalArgumentException(anchor + " is not in this graph");
    }

    private static ValueType tensorTypeOf(Tensor tensor) {
        return new ValueType.TensorType(tensor.type(), Shape.of(tensor.dims()));
    }

    private static <T> Set<T> identitySet(Collection<T> items) {
        Set<T> set = Collections.newSetFromMap(new IdentityHashMap<>());
        set.addAll(items);
        return set;
    }

    @Override
    public String toString() {
        return "Graph(" + name + ", " + nodes.size() + " nodes)";
    }
}
