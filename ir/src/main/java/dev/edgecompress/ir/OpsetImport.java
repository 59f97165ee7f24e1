package dev.edgecompress.ir;

/**
 * An operator set a model or function relies on.
 *
 * @param domain the domain as written in the file; null when the file leaves it out, which like
 *     {@code ""} means the default ONNX domain
 * @param version the operator set version
 */
public record OpsetImport(String domain, long version) {

    public static final String DEFAULT_DOMAIN = "";

    public static OpsetImport onnx(long version) {
        return new OpsetImport(DEFAULT_DOMAIN, version);
    }

    /** The domain with "ai.onnx" and absence folded into the default domain "". */
    public String normalizedDomain() {
        return normalize(domain);
    }

    static String normalize(String domain) {
        return domain == null || domain.equals("ai.onnx") ? DEFAULT_DOMAIN : domain;
    }
}
