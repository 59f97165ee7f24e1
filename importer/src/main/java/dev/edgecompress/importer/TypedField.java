package dev.edgecompress.importer;

import dev.edgecompress.ir.DataType;

/**
 * Which repeated field of {@code TensorProto} holds a data type's elements when a file does not
 * use {@code raw_data}, and how packed bytes map to the field's entries. The importer and the
 * exporter both follow this table, so an unchanged tensor is written back as it was read.
 */
public enum TypedField {
    /** float_data: FLOAT, and COMPLEX64 as two floats per element. */
    FLOAT_DATA(4),
    /** double_data: DOUBLE, and COMPLEX128 as two doubles per element. */
    DOUBLE_DATA(8),
    /** int64_data: INT64. */
    INT64_DATA(8),
    /** uint64_data: UINT32 (zero-extended) and UINT64. */
    UINT64_DATA(0),
    /**
     * int32_data: one entry per element of 8 to 32 bits (16-bit floats and float8 as unsigned bit
     * patterns, INT8/INT16 sign-extended), or one entry per packed byte of sub-byte types.
     */
    INT32_DATA(0),
    /** string_data: STRING. */
    STRING_DATA(0);

    private final int fixedEntryBytes;

    TypedField(int fixedEntryBytes) {
        this.fixedEntryBytes = fixedEntryBytes;
    }

    public static TypedField of(DataType type) {
        return switch (type) {
            case FLOAT, COMPLEX64 -> FLOAT_DATA;
            case DOUBLE, COMPLEX128 -> DOUBLE_DATA;
            case INT64 -> INT64_DATA;
            case UINT32, UINT64 -> UINT64_DATA;
            case STRING -> STRING_DATA;
            case UNDEFINED -> throw new IllegalArgumentException("UNDEFINED tensors have no data field");
            default -> INT32_DATA;
        };
    }

    /** Bytes of packed data one entry of this field stands for, for {@code type}. */
    public static int entryBytes(DataType type) {
        TypedField field = of(type);
        if (field.fixedEntryBytes > 0) {
            return field.fixedEntryBytes;
        }
        if (field == STRING_DATA) {
            throw new IllegalArgumentException("strings have no fixed width");
        }
        return type.bits() < 8 ? 1 : type.bits() / 8;
    }

    /** Whether int32_data entries of {@code type} are sign-extended from their packed width. */
    public static boolean signExtends(DataType type) {
        return type == DataType.INT8 || type == DataType.INT16 || type == DataType.INT32;
    }
}
