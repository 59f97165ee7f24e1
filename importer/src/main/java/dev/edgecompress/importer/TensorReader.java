package dev.edgecompress.importer;

import com.google.protobuf.ByteString;
import dev.edgecompress.importer.proto.StringStringEntryProto;
import dev.edgecompress.importer.proto.TensorProto;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Preserved;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.TensorData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Turns a {@code TensorProto} into a {@link Tensor}: raw data stays a zero-copy view of the parsed
 * file, typed fields are packed into a little-endian buffer, and external data is checked (the
 * path must stay inside the model's folder, the file must hold the bytes) and mapped lazily.
 */
final class TensorReader {

    private final Path baseDir;

    /** @param baseDir the folder external data paths are relative to; null forbids external data */
    TensorReader(Path baseDir) {
        this.baseDir = baseDir;
    }

    Tensor read(TensorProto proto, String what) {
        DataType type = DataType.fromCode(proto.getDataType());
        if (type == null || type == DataType.UNDEFINED) {
            throw new FormatProblem(what + " has unknown or undefined data type " + proto.getDataType());
        }
        long[] dims = proto.getDimsList().stream().mapToLong(Long::longValue).toArray();
        long count = 1;
        for (long d : dims) {
            if (d < 0) {
                throw new FormatProblem(what + " has a negative dimension in " + Arrays.toString(dims));
            }
            try {
                count = Math.multiplyExact(count, d);
            } catch (ArithmeticException e) {
                throw new FormatProblem(what + " has more elements than fit in 64 bits: " + Arrays.toString(dims));
            }
        }
        Tensor.Storage storage;
        Tensor tensor;
        if (proto.hasDataLocation() && proto.getDataLocation() == TensorProto.DataLocation.EXTERNAL) {
            storage = Tensor.Storage.EXTERNAL;
            tensor = Tensor.of(type, dims, external(proto, type, count, what));
        } else if (proto.hasRawData()) {
            storage = Tensor.Storage.RAW;
            if (type == DataType.STRING) {
                throw new FormatProblem(what + " is a string tensor with raw_data; strings must use string_data");
            }
            ByteString raw = proto.getRawData();
            long expected = type.byteSize(count);
            if (raw.size() != expected) {
                throw new FormatProblem(what + " has " + raw.size() + " bytes of raw_data, but "
                        + type + Arrays.toString(dims) + " needs " + expected);
            }
            tensor = Tensor.of(type, dims, raw.asReadOnlyByteBuffer());
        } else {
            storage = Tensor.Storage.TYPED;
            tensor = type == DataType.STRING
                    ? Tensor.ofStrings(dims, strings(proto, count, what))
                    : Tensor.of(type, dims, typed(proto, type, count, what));
        }
        if (proto.hasName()) {
            tensor = tensor.withName(proto.getName());
        }
        TensorProto rest = proto.toBuilder().clearDims().clearDataType().clearName().clearRawData()
                .clearFloatData().clearInt32Data().clearStringData().clearInt64Data().clearDoubleData()
                .clearUint64Data().clearExternalData().clearDataLocation().build();
        return tensor.withSource(storage, Preserved.of(rest.toByteArray()));
    }

    private static List<byte[]> strings(TensorProto proto, long count, String what) {
        if (proto.getStringDataCount() != count) {
            throw new FormatProblem(what + " has " + proto.getStringDataCount() + " strings, its shape needs " + count);
        }
        List<byte[]> values = new ArrayList<>(proto.getStringDataCount());
        proto.getStringDataList().forEach(s -> values.add(s.toByteArray()));
        return values;
    }

    private static ByteBuffer typed(TensorProto proto, DataType type, long count, String what) {
        long bytes = type.byteSize(count);
        int entryBytes = TypedField.entryBytes(type);
        long expectedEntries = bytes / entryBytes;
        if (bytes > Integer.MAX_VALUE) {
            throw new FormatProblem(what + " is over 2 GiB in a typed field; use raw_data or external data");
        }
        ByteBuffer out = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        TypedField field = TypedField.of(type);
        int entries = switch (field) {
            case FLOAT_DATA -> proto.getFloatDataCount();
            case DOUBLE_DATA -> proto.getDoubleDataCount();
            case INT64_DATA -> proto.getInt64DataCount();
            case UINT64_DATA -> proto.getUint64DataCount();
            case INT32_DATA -> proto.getInt32DataCount();
            case STRING_DATA -> throw new IllegalStateException();
        };
        if (entries != expectedEntries) {
            throw new FormatProblem(what + " has " + entries + " entries in " + field.name().toLowerCase()
                    + ", but " + type + " of " + count + " elements needs " + expectedEntries);
        }
        for (int i = 0; i < entries; i++) {
            switch (field) {
                case FLOAT_DATA -> out.putFloat(proto.getFloatData(i));
                case DOUBLE_DATA -> out.putDouble(proto.getDoubleData(i));
                case INT64_DATA -> out.putLong(proto.getInt64Data(i));
                case UINT64_DATA -> {
                    long v = proto.getUint64Data(i);
                    if (type == DataType.UINT32) {
                        out.putInt((int) v);
                    } else {
                        out.putLong(v);
                    }
                }
                case INT32_DATA -> {
                    int v = proto.getInt32Data(i);
                    switch (entryBytes) {
                        case 1 -> out.put((byte) v);
                        case 2 -> out.putShort((short) v);
                        default -> out.putInt(v);
                    }
                }
                default -> throw new IllegalStateException();
            }
        }
        return out.flip();
    }

    private TensorData external(TensorProto proto, DataType type, long count, String what) {
        if (type == DataType.STRING) {
            throw new FormatProblem(what + " is a string tensor stored externally, which ONNX does not allow");
        }
        String location = null;
        long offset = 0;
        Long length = null;
        for (StringStringEntryProto entry : proto.getExternalDataList()) {
            switch (entry.getKey()) {
                case "location" -> location = entry.getValue();
                case "offset" -> offset = parseLong(entry.getValue(), "offset", what);
                case "length" -> length = parseLong(entry.getValue(), "length", what);
                default -> {
                    // checksum and unknown keys do not affect where the bytes are
                }
            }
        }
        if (location == null || location.isEmpty()) {
            throw new FormatProblem(what + " is stored externally but names no location");
        }
        if (baseDir == null) {
            throw new FormatProblem(what + " refers to external data, which this source cannot have");
        }
        Path file = resolveInside(location, what);
        long fileSize;
        try {
            fileSize = Files.size(file);
        } catch (IOException e) {
            throw new FormatProblem("cannot read external data file '" + location + "' of " + what + ": " + e);
        }
        long expected = type.byteSize(count);
        long actual = length != null ? length : fileSize - offset;
        if (actual != expected) {
            throw new FormatProblem("external data of " + what + " is " + actual + " bytes, but " + type
                    + Arrays.toString(proto.getDimsList().toArray()) + " needs " + expected);
        }
        if (offset + expected > fileSize) {
            throw new FormatProblem("external data file '" + location + "' is too short for " + what
                    + ": needs bytes " + offset + ".." + (offset + expected) + ", file has " + fileSize);
        }
        return TensorData.mapped(file, offset, expected);
    }

    /** Resolves an external data location, refusing any path that leaves the model's folder. */
    private Path resolveInside(String location, String what) {
        Path relative = Path.of(location);
        if (relative.isAbsolute() || location.startsWith("/") || location.startsWith("\\")) {
            throw new FormatProblem("external data location '" + location + "' of " + what
                    + " is an absolute path; it must be relative to the model's folder");
        }
        for (Path part : relative) {
            if (part.toString().equals("..")) {
                throw new FormatProblem("external data location '" + location + "' of " + what
                        + " leaves the model's folder ('..')");
            }
        }
        Path file = baseDir.resolve(relative).normalize();
        if (!Files.exists(file, LinkOption.NOFOLLOW_LINKS)) {
            throw new FormatProblem("external data file '" + location + "' of " + what + " does not exist");
        }
        try {
            Path real = file.toRealPath();
            if (!real.startsWith(baseDir.toRealPath())) {
                throw new FormatProblem("external data location '" + location + "' of " + what
                        + " links outside the model's folder (to " + real + ")");
            }
            if (!Files.isRegularFile(real)) {
                throw new FormatProblem("external data location '" + location + "' of " + what + " is not a file");
            }
            return real;
        } catch (IOException e) {
            throw new FormatProblem("cannot resolve external data file '" + location + "' of " + what + ": " + e);
        }
    }

    private static long parseLong(String text, String key, String what) {
        try {
            long value = Long.parseLong(text.trim());
            if (value < 0) {
                throw new NumberFormatException("negative");
            }
            return value;
        } catch (NumberFormatException e) {
            throw new FormatProblem("external data " + key + " '" + text + "' of " + what + " is not a byte count");
        }
    }
}
