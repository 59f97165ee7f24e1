package dev.edgecompress.ir;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One operator invocation. Inputs are values (null for an omitted optional input); outputs are
 * values this node produces (null for an omitted optional output). A node becomes a use of its
 * inputs when it joins a graph ({@link Graph#append} and the like), and stops being one when
 * {@link Graph#remove} takes it out: a node built and never added leaves no trace on the values
 * it reads.
 */
public final class Node {

    private final String opType;
    private String domain;
    private String name;
    private String overload;
    private final List<Value> inputs = new ArrayList<>();
    private final List<Value> outputs = new ArrayList<>();
    private final Map<String, Attribute> attributes = new LinkedHashMap<>();
    private Preserved preserved = Preserved.NONE;
    Graph graph;

    /**
     * Creates a node with {@code outputNames.size()} new output values (a null name makes an
     * omitted optional output; an empty string lets the graph choose a fresh name).
     */
    public Node(String domain, String opType, List<Value> inputs, List<String> outputNames) {
        this.domain = domain;
        this.opType = Objects.requireNonNull(opType, "opType");
        this.inputs.addAll(inputs);
        for (String outputName : outputNames) {
            if (outputName == null) {
                outputs.add(null);
            } else {
                Value output = new Value(outputName, null);
                output.setProducer(this, outputs.size());
                outputs.add(output);
            }
        }
    }

    public String opType() {
        return opType;
    }

    /** The domain as written; null when absent. Use {@link #normalizedDomain()} to compare. */
    public String domain() {
        return domain;
    }

    /** The operator set domain with absence and "ai.onnx" folded into "". */
    public String normalizedDomain() {
        return OpsetImport.normalize(domain);
    }

    public void setDomain(String domain) {
        this.domain = domain;
    }

    /** The node name, or null when it has none. */
    public String name() {
        return name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public String overload() {
        return overload;
    }

    public void setOverload(String overload) {
        this.overload = overload;
    }

    public List<Value> inputs() {
        return Collections.unmodifiableList(inputs);
    }

    /** Input {@code index}, or null when it is omitted or beyond the inputs given. */
    public Value input(int index) {
        return index < inputs.size() ? inputs.get(index) : null;
    }

    public List<Value> outputs() {
        return Collections.unmodifiableList(outputs);
    }

    public Value output(int index) {
        return outputs.get(index);
    }

    /** The only output; fails for nodes with several. */
    public Value output() {
        if (outputs.size() != 1) {
            throw new IllegalStateException(this + " has " + outputs.size() + " outputs");
        }
        return outputs.get(0);
    }

    public void replaceInput(int index, Value replacement) {
        Value old = inputs.get(index);
        if (old != null && graph != null) {
            old.removeUse(this, index);
        }
        inputs.set(index, replacement);
        if (replacement != null && graph != null) {
            replacement.addUse(this, index);
        }
    }

    /** Appends an input (for example an optional one the node did not have). */
    public void addInput(Value input) {
        inputs.add(input);
        if (input != null && graph != null) {
            input.addUse(this, inputs.size() - 1);
        }
    }

    public Map<String, Attribute> attributes() {
        return Collections.unmodifiableMap(attributes);
    }

    public Attribute attribute(String attributeName) {
        return attributes.get(attributeName);
    }

    /** The INT attribute's value, or {@code fallback} when the node does not have it. */
    public long intAttribute(String attributeName, long fallback) {
        Attribute attribute = attributes.get(attributeName);
        return attribute == null ? fallback : attribute.asInt();
    }

    public void setAttribute(Attribute attribute) {
        attributes.put(attribute.name(), attribute);
        for (Graph subgraph : attribute.subgraphs()) {
            subgraph.setOwner(this);
            if (graph != null) {
                graph.names().claimAll(subgraph);
            }
        }
    }

    public void removeAttribute(String attributeName) {
        attributes.remove(attributeName);
    }

    /** Subgraphs held by this node's attributes (If branches, Loop and Scan bodies). */
    public List<Graph> subgraphs() {
        List<Graph> result = new ArrayList<>();
        attributes.values().forEach(a -> result.addAll(a.subgraphs()));
        return result;
    }

    /** The graph this node belongs to, or null. */
    public Graph graph() {
        return graph;
    }

    public Preserved preserved() {
        return preserved;
    }

    public void setPreserved(Preserved preserved) {
        this.preserved = Objects.requireNonNull(preserved);
    }

    void attachInputs() {
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i) != null) {
                inputs.get(i).addUse(this, i);
            }
        }
    }

    void detachInputs() {
        for (int i = 0; i < inputs.size(); i++) {
            if (inputs.get(i) != null) {
                inputs.get(i).removeUse(this, i);
            }
        }
    }

    /** A short description for messages: name and op type. */
    public String describe() {
        String op = domain == null || domain.isEmpty() ? opType : domain + "." + opType;
        return name == null || name.isEmpty() ? op + " node" : "node '" + name + "' (" + op + ")";
    }

    @Override
    public String toString() {
        return describe();
    }
}
