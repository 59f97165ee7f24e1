package dev.edgecompress.importer.data;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.data.DataFormatException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Reads NumPy {@code .npz} archives (as {@code np.savez} and {@code np.savez_compressed} write
 * them): a zip of {@code .npy} arrays. Supported element types: float32, float16, float64, int64,
 * int32, int16, int8, uint8 and bool, little- or big-endian, C order. Fortran-order arrays, object
 * arrays (pickles) and other types are refused with the reason. Arrays are read into direct
 * buffers, so batches cut from them go to ONNX Runtime without another copy.
 */
public final class Npz {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([^']*)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    private Npz() {
    }

    /** Every array of the archive, by name (without ".npy"), in archive order. */
    public static Map<String, Tensor> read(Path path) throws DataFormatException {
        if (!Files.exists(path)) {
            throw new DataFormatException(path, "no such file");
        }
        if (Files.isDirectory(path)) {
            throw new DataFormatException(path, "is a directory, not an .npz file");
        }
        Map<String, Tensor> arrays = new LinkedHashMap<>();
        try (ZipFile zip = new ZipFile(path.toFile())) {
            Enumeration<? extends ZipEntry> entries = zip.entries();
            while (entries.hasMoreElements()) {
                ZipEntry entry = entries.nextElement();
                if (entry.isDirectory()) {
                    continue;
                }
                String name = entry.getName().endsWith(".npy")
                        ? entry.getName().substring(0, entry.getName().length() - 4) : entry.getName();
                try (InputStream in = zip.getInputStream(entry)) {
                    arrays.put(name, readNpy(in, path, name));
                }
            }
        } catch (ZipException e) {
            throw new DataFormatException(path, "not an .npz (zip) archive: " + e.getMessage(), e);
        } catch (IOException e) {
            throw new DataFormatException(path, "cannot read (truncated or corrupt?): " + e, e);
        }
        if (arrays.isEmpty()) {
            throw new DataFormatException(path, "the archive holds no arrays");
        }
        return arrays;
    }

    private static Tensor readNpy(InputStream in, Path path, String name) throws IOException, DataFormatException {
        String what = "array '" + name + "'";
        byte[] magic = in.readNBytes(8);
        if (magic.length < 8 || !java.util.Arrays.equals(java.util.Arrays.copyOf(magic, 6), MAGIC)) {
            throw new DataFormatException(path, what + " is not a .npy array");
        }
        int major = magic[6];
        int headerLength;
        if (major == 1) {
            byte[] len = in.readNBytes(2);
            headerLength = (len[0] & 0xff) | (len[1] & 0xff) << 8;
        } else if (major == 2 || major == 3) {
            byte[] len = in.readNBytes(4);
            headerLength = ByteBuffer.wrap(len).order(ByteOrder.LITTLE_ENDIAN).getInt();
        } else {
            throw new DataFormatException(path, what + " has .npy format version " + major + ", which is not supported");
        }
        byte[] headerBytes = in.readNBytes(headerLength);
        if (headerBytes.length != headerLength) {
            throw new DataFormatException(path, what + " is truncated in its header");
        }
        String header = new String(headerBytes, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        String descr = group(DESCR, header, path, what, "descr");
        if (group(FORTRAN, header, path, what, "fortran_order").equals("True")) {
            throw new DataFormatException(path, what + " is in Fortran order; save it with np.ascontiguousarray");
        }
        long[] shape = parseShape(group(SHAPE, header, path, what, "shape"), path, what);
        DataType type = dataType(descr, path, what);
        ByteOrder order = descr.charAt(0) == '>' ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;

        long count = 1;
        for (long d : shape) {
            count = Math.multiplyExact(count, d);
        }
        long bytes = type.byteSize(count);
        if (bytes > Integer.MAX_VALUE - 8) {
            throw new DataFormatException(path, what + " is over 2 GiB; split it into several files");
        }
        ByteBuffer data = ByteBuffer.allocateDirect((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        byte[] chunk = new byte[1 << 16];
        while (data.hasRemaining()) {
            int n = in.read(chunk, 0, Math.min(chunk.length, data.remaining()));
            if (n < 0) {
                throw new DataFormatException(path, what + " is truncated: shape " + java.util.Arrays.toString(shape)
                        + " needs " + bytes + " bytes of data, the file has " + data.position());
            }
            data.put(chunk, 0, n);
        }
        data.flip();
        if (order == ByteOrder.BIG_ENDIAN && type.bits() > 8) {
            swapBytes(data, type.bits() / 8);
        }
        return Tensor.of(type, shape, data);
    }

    private static String group(Pattern pattern, String header, Path path, String what, String key)
            throws DataFormatException {
        Matcher m = pattern.matcher(header);
        if (!m.find()) {
            throw new DataFormatException(path, what + " has no valid '" + key + "' in its .npy header");
        }
        return m.group(1);
    }

    private static long[] parseShape(String text, Path path, String what) throws DataFormatException {
        String trimmed = text.trim();
        if (trimmed.isEmpty()) {
            return new long[0];
        }
        String[] parts = trimmed.split(",");
        int rank = parts[parts.length - 1].isBlank() ? parts.length - 1 : parts.length;
        long[] shape = new long[rank];
        try {
            for (int i = 0; i < rank; i++) {
                shape[i] = Long.parseLong(parts[i].trim().replace("L", ""));
            }
        } catch (NumberFormatException e) {
            throw new DataFormatException(path, what + " has an unreadable shape (" + text + ")");
        }
        return shape;
    }

    private static DataType dataType(String descr, Path path, String what) throws DataFormatException {
        if (descr.length() < 2 || "<>|=".indexOf(descr.charAt(0)) < 0) {
            throw new DataFormatException(path, what + " has unsupported dtype '" + descr + "'");
        }
        return switch (descr.substring(1)) {
            case "f4" -> DataType.FLOAT;
            case "f2" -> DataType.FLOAT16;
            case "f8" -> DataType.DOUBLE;
            case "i8" -> DataType.INT64;
            case "i4" -> DataType.INT32;
            case "i2" -> DataType.INT16;
            case "i1" -> DataType.INT8;
            case "u1" -> DataType.UINT8;
            case "b1" -> DataType.BOOL;
            case "O" -> throw new DataFormatException(path, what + " is an object array (a pickle), which is never"
                    + " loaded; store numeric arrays");
            default -> throw new DataFormatException(path, what + " has dtype '" + descr + "'; supported: float32,"
                    + " float16, float64, int64, int32, int16, int8, uint8, bool");
        };
    }

    private static void swapBytes(ByteBuffer data, int width) {
        byte[] element = new byte[width];
        for (int offset = 0; offset < data.limit(); offset += width) {
            data.get(offset, element);
            for (int i = 0; i < width; i++) {
                data.put(offset + i, element[width - 1 - i]);
            }
        }
    }
}
