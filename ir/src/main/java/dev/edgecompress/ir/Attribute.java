package dev.edgecompress.ir;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * A named, immutable node attribute. The value's Java type follows {@link #type()}: FLOAT
 * {@code Float}, INT {@code Long}, STRING {@code byte[]}, TENSOR {@link Tensor}, GRAPH
 * {@link Graph}, SPARSE_TENSOR {@link SparseTensor}, TYPE_PROTO {@link ValueType}, FLOATS
 * {@code float[]}, INTS {@code long[]}, and {@code List}s of the element types for the other
 * plural kinds. Inside a function body an attribute may instead refer to an attribute of the
 * calling node ({@link #refAttrName()}), and then has no value.
 */
public final class Attribute {

    private final String name;
    private final AttributeType type;
    private final Object value;
    private final String refAttrName;
    private final Preserved preserved;

    public Attribute(String name, AttributeType type, Object value, String refAttrName, Preserved preserved) {
        this.name = Objects.requireNonNull(name, "name");
        this.type = Objects.requireNonNull(type, "type");
        this.value = value;
        this.refAttrName = refAttrName;
        this.preserved = Objects.requireNonNull(preserved, "preserved");
        if (refAttrName == null && !fits(type, value)) {
            throw new IllegalArgumentException("attribute " + name + ": a " + type + " cannot hold "
                    + (value == null ? "null" : value.getClass().getSimpleName()));
        }
    }

    public static Attribute of(String name, float value) {
        return new Attribute(name, AttributeType.FLOAT, value, null, Preserved.NONE);
    }

    public static Attribute of(String name, long value) {
        return new Attribute(name, AttributeType.INT, value, null, Preserved.NONE);
    }

    public static Attribute of(String name, String value) {
        return new Attribute(name, AttributeType.STRING, value.getBytes(StandardCharsets.UTF_8), null, Preserved.NONE);
    }

    public static Attribute of(String name, Tensor value) {
        return new Attribute(name, AttributeType.TENSOR, value, null, Preserved.NONE);
    }

    public static Attribute of(String name, Graph value) {
        return new Attribute(name, AttributeType.GRAPH, value, null, Preserved.NONE);
    }

    public static Attribute of(String name, float[] values) {
        return new Attribute(name, AttributeType.FLOATS, values.clone(), null, Preserved.NONE);
    }

    public static Attribute of(String name, long... values) {
        return new Attribute(name, AttributeType.INTS, values.clone(), null, Preserved.NONE);
    }

    public static Attribute ofStrings(String name, List<String> values) {
        List<byte[]> bytes = new ArrayList<>();
        values.forEach(s -> bytes.add(s.getBytes(StandardCharsets.UTF_8)));
        return new Attribute(name, AttributeType.STRINGS, List.copyOf(bytes), null, Preserved.NONE);
    }

    public String name() {
        return name;
    }

    public AttributeType type() {
        return type;
    }

    /** The raw value; see the class comment for its Java type. Null for a reference attribute. */
    public Object value() {
        return value;
    }

    /** The calling node's attribute this one refers to, or null. */
    public String refAttrName() {
        return refAttrName;
    }

    public Preserved preserved() {
        return preserved;
    }

    public float asFloat() {
        return (Float) expect(AttributeType.FLOAT);
    }

    public long asInt() {
        return (Long) expect(AttributeType.INT);
    }

    public String asString() {
        return new String((byte[]) expect(AttributeType.STRING), StandardCharsets.UTF_8);
    }

    public Tensor asTensor() {
        return (Tensor) expect(AttributeType.TENSOR);
    }

    public Graph asGraph() {
        return (Graph) expect(AttributeType.GRAPH);
    }

    public float[] asFloats() {
        return ((float[]) expect(AttributeType.FLOATS)).clone();
    }

    public long[] asInts() {
        return ((long[]) expect(AttributeType.INTS)).clone();
    }

    /** Every subgraph this attribute holds (GRAPH or GRAPHS), else an empty list. */
    @SuppressWarnings("unchecked")
    public List<Graph> subgraphs() {
        if (type == AttributeType.GRAPH && value != null) {
            return List.of((Graph) value);
        }
        if (type == AttributeType.GRAPHS && value != null) {
            return (List<Graph>) value;
        }
        return List.of();
    }

    private Object expect(AttributeType expected) {
        if (type != expected || value == null) {
            throw new IllegalStateException("attribute " + name + " is " + type
                    + (refAttrName != null ? " referring to " + refAttrName : "") + ", not " + expected);
        }
        return value;
    }

    private static boolean fits(AttributeType type, Object value) {
        return switch (type) {
            case FLOAT -> value instanceof Float;
            case INT -> value instanceof Long;
            case STRING -> value instanceof byte[];
            case TENSOR -> value instanceof Tensor;
            case GRAPH -> value instanceof Graph;
            case SPARSE_TENSOR -> value instanceof SparseTensor;
            case TYPE_PROTO -> value instanceof ValueType;
            case FLOATS -> value instanceof float[];
            case INTS -> value instanceof long[];
            case STRINGS, TENSORS, GRAPHS, SPARSE_TENSORS, TYPE_PROTOS -> value instanceof List;
            case UNDEFINED -> value == null;
        };
    }

    @Override
    public String toString() {
        String shown = switch (type) {
            case STRING -> '"' + asString() + '"';
            case FLOATS -> Arrays.toString((float[]) value);
            case INTS -> Arrays.toString((long[]) value);
            default -> String.valueOf(value);
        };
        return name + "=" + (refAttrName != null ? "@" + refAttrName : shown);
    }
}
