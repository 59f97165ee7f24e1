package dev.edgecompress.ir;

/**
 * ONNX tensor element types, with the codes of {@code TensorProto.DataType} and the width of one
 * element in bits. Sub-byte types (4- and 2-bit) are packed, lowest bits first.
 */
public enum DataType {
    UNDEFINED(0, 0),
    FLOAT(1, 32),
    UINT8(2, 8),
    INT8(3, 8),
    UINT16(4, 16),
    INT16(5, 16),
    INT32(6, 32),
    INT64(7, 64),
    /** Variable width: elements are byte strings, never packed into a buffer. */
    STRING(8, 0),
    BOOL(9, 8),
    FLOAT16(10, 16),
    DOUBLE(11, 64),
    UINT32(12, 32),
    UINT64(13, 64),
    COMPLEX64(14, 64),
    COMPLEX128(15, 128),
    BFLOAT16(16, 16),
    FLOAT8E4M3FN(17, 8),
    FLOAT8E4M3FNUZ(18, 8),
    FLOAT8E5M2(19, 8),
    FLOAT8E5M2FNUZ(20, 8),
    UINT4(21, 4),
    INT4(22, 4),
    FLOAT4E2M1(23, 4),
    FLOAT8E8M0(24, 8),
    UINT2(25, 2),
    INT2(26, 2);

    private static final DataType[] BY_CODE = new DataType[27];

    static {
        for (DataType type : values()) {
            BY_CODE[type.code] = type;
        }
    }

    private final int code;
    private final int bits;

    DataType(int code, int bits) {
        this.code = code;
        this.bits = bits;
    }

    /** The ONNX {@code TensorProto.DataType} code. */
    public int code() {
        return code;
    }

    /** Bits per element; 0 for {@link #STRING} and {@link #UNDEFINED}. */
    public int bits() {
        return bits;
    }

    /** Whether elements pack into a byte buffer (every type except STRING and UNDEFINED). */
    public boolean isFixedWidth() {
        return bits > 0;
    }

    public boolean isFloatingPoint() {
        return switch (this) {
            case FLOAT, DOUBLE, FLOAT16, BFLOAT16, FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2,
                    FLOAT8E5M2FNUZ, FLOAT4E2M1, FLOAT8E8M0 -> true;
            default -> false;
        };
    }

    /** Bytes taken by {@code count} packed elements. */
    public long byteSize(long count) {
        if (!isFixedWidth()) {
            throw new IllegalStateException(this + " has no fixed element width");
        }
        return (count * bits + 7) / 8;
    }

    /** The type with this ONNX code, or {@code null} if the code is unknown to this IR. */
    public static DataType fromCode(int code) {
        return code >= 0 && code < BY_CODE.length ? BY_CODE[code] : null;
    }
}
