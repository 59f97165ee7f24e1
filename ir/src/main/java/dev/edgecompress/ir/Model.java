package dev.edgecompress.ir;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An ONNX model: the main graph, the operator sets it relies on, model-local functions, and the
 * model's identity (IR version, producer, metadata). Fields a file left out are null.
 *
 * <p>Not thread-safe. A model whose tensors are mapped from external files reads those files
 * lazily, so they must stay in place while the model is in use.
 */
public final class Model {

    /** The newest IR version this library reads and writes. */
    public static final long IR_VERSION = 13;

    private Long irVersion;
    private final List<OpsetImport> opsets = new ArrayList<>();
    private String producerName;
    private String producerVersion;
    private String domain;
    private Long modelVersion;
    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final Graph graph;
    private final List<Function> functions = new ArrayList<>();
    private Preserved preserved = Preserved.NONE;

    public Model(Graph graph) {
        this.graph = Objects.requireNonNull(graph, "graph");
    }

    public Graph graph() {
        return graph;
    }

    public Long irVersion() {
        return irVersion;
    }

    public void setIrVersion(Long irVersion) {
        this.irVersion = irVersion;
    }

    /** Operator set imports, in file order; mutable. */
    public List<OpsetImport> opsets() {
        return opsets;
    }

    /** The imported version of {@code domain} ("" for ONNX), or -1 when not imported. */
    public long opsetVersion(String opsetDomain) {
        String wanted = OpsetImport.normalize(opsetDomain);
        return opsets.stream().filter(o -> o.normalizedDomain().equals(wanted))
                .mapToLong(OpsetImport::version).max().orElse(-1);
    }

    public String producerName() {
        return producerName;
    }

    public void setProducerName(String producerName) {
        this.producerName = producerName;
    }

    public String producerVersion() {
        return producerVersion;
    }

    public void setProducerVersion(String producerVersion) {
        this.producerVersion = producerVersion;
    }

    public String domain() {
        return domain;
    }

    public void setDomain(String domain) {
        this.domain = domain;
    }

    public Long modelVersion() {
        return modelVersion;
    }

    public void setModelVersion(Long modelVersion) {
        this.modelVersion = modelVersion;
    }

    /** {@code metadata_props} in file order; mutable. Provenance is recorded here. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Model-local functions; mutable. */
    public List<Function> functions() {
        return functions;
    }

    public Preserved preserved() {
        return preserved;
    }

    public void setPreserved(Preserved preserved) {
        this.preserved = Objects.requireNonNull(preserved);
    }
}
