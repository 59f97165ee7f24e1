package dev.edgecompress.ir;

/**
 * The type of a value, as ONNX's {@code TypeProto}: a tensor (the common case), a sparse tensor,
 * a sequence, a map, an optional or an opaque type. Each may carry a type denotation.
 */
public sealed interface ValueType {

    /** The ONNX type denotation (for example {@code IMAGE}), or null. */
    String denotation();

    /**
     * A dense tensor type.
     *
     * @param elementType element type ({@link DataType#UNDEFINED} when the file leaves it out)
     * @param shape the shape, or null when even the rank is unknown
     */
    record TensorType(DataType elementType, Shape shape, String denotation) implements ValueType {
        public TensorType(DataType elementType, Shape shape) {
            this(elementType, shape, null);
        }

        @Override
        public String toString() {
            return elementType.name().toLowerCase() + (shape == null ? "[?]" : shape.toString());
        }
    }

    /** A sparse tensor type. */
    record SparseTensorType(DataType elementType, Shape shape, String denotation) implements ValueType {
        @Override
        public String toString() {
            return "sparse " + elementType.name().toLowerCase() + (shape == null ? "[?]" : shape.toString());
        }
    }

    /** A sequence whose elements have {@code elementType} (null when unspecified). */
    record SequenceType(ValueType elementType, String denotation) implements ValueType {
        @Override
        public String toString() {
            return "seq(" + elementType + ")";
        }
    }

    /** A value that may be absent; {@code elementType} is null when unspecified. */
    record OptionalType(ValueType elementType, String denotation) implements ValueType {
        @Override
        public String toString() {
            return "optional(" + elementType + ")";
        }
    }

    /** A map from an integral or string key type to values of {@code valueType}. */
    record MapType(DataType keyType, ValueType valueType, String denotation) implements ValueType {
        @Override
        public String toString() {
            return "map(" + keyType.name().toLowerCase() + "," + valueType + ")";
        }
    }

    /** A type defined outside ONNX, named by domain and name. */
    record OpaqueType(String domain, String name, String denotation) implements ValueType {
        @Override
        public String toString() {
            return "opaque(" + domain + "." + name + ")";
        }
    }

    /** A type declaration that names no type (an empty {@code TypeProto}). */
    record UnspecifiedType(String denotation) implements ValueType {
        @Override
        public String toString() {
            return "?";
        }
    }
}
