package dev.edgecompress.ir;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A model-local function: nodes calling {@code (domain, name, overload)} run {@link #body()}.
 * The body's inputs and outputs are the function's formal parameters; its attributes are named
 * by {@link #attributeNames()} (no default) and {@link #attributeDefaults()}.
 */
public final class Function {

    private final String domain;
    private final String name;
    private final String overload;
    private final Graph body;
    private final List<String> attributeNames;
    private final List<Attribute> attributeDefaults;
    private final List<OpsetImport> opsets;
    private final Preserved preserved;

    public Function(String domain, String name, String overload, Graph body, List<String> attributeNames,
            List<Attribute> attributeDefaults, List<OpsetImport> opsets, Preserved preserved) {
        this.domain = domain;
        this.name = Objects.requireNonNull(name, "name");
        this.overload = overload;
        this.body = Objects.requireNonNull(body, "body");
        this.attributeNames = List.copyOf(attributeNames);
        this.attributeDefaults = List.copyOf(attributeDefaults);
        this.opsets = new ArrayList<>(opsets);
        this.preserved = Objects.requireNonNull(preserved);
    }

    public String domain() {
        return domain;
    }

    public String name() {
        return name;
    }

    public String overload() {
        return overload;
    }

    public Graph body() {
        return body;
    }

    public List<String> attributeNames() {
        return attributeNames;
    }

    public List<Attribute> attributeDefaults() {
        return attributeDefaults;
    }

    public List<OpsetImport> opsets() {
        return opsets;
    }

    public Preserved preserved() {
        return preserved;
    }

    @Override
    public String toString() {
        return "Function(" + (domain == null ? "" : domain + ".") + name + ")";
    }
}
