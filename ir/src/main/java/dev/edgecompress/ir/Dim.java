package dev.edgecompress.ir;

/**
 * One dimension of a shape: a known size, a symbolic name, or unknown (both null).
 *
 * @param value the size, or null
 * @param param the symbolic name (for example {@code "batch"}), or null
 * @param denotation the ONNX dimension denotation, or null
 */
public record Dim(Long value, String param, String denotation) {

    public Dim {
        if (value != null && param != null) {
            throw new IllegalArgumentException("a dimension is either a value or a symbol, not both");
        }
    }

    public static Dim of(long value) {
        return new Dim(value, null, null);
    }

    public static Dim symbolic(String param) {
        return new Dim(null, param, null);
    }

    public static Dim unknown() {
        return new Dim(null, null, null);
    }

    public boolean isKnown() {
        return value != null;
    }

    @Override
    public String toString() {
        return value != null ? value.toString() : param != null ? param : "?";
    }
}
