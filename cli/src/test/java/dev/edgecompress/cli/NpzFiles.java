package dev.edgecompress.cli;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Writes .npz files for command-line tests, as numpy.savez does (version 1.0 .npy entries). */
final class NpzFiles {

    /** One array: numpy's dtype string ({@code <f4}, {@code <i8}), shape, and little-endian bytes. */
    record Array(String descr, long[] shape, byte[] data) {

        static Array floats(long[] shape, float... values) {
            ByteBuffer bytes = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
            for (float v : values) {
                bytes.putFloat(v);
            }
            return new Array("<f4", shape, bytes.array());
        }

        static Array longs(long[] shape, long... values) {
            ByteBuffer bytes = ByteBuffer.allocate(values.length * 8).order(ByteOrder.LITTLE_ENDIAN);
            for (long v : values) {
                bytes.putLong(v);
            }
            return new Array("<i8", shape, bytes.array());
        }
    }

    private NpzFiles() {
    }

    static Path write(Path file, Map<String, Array> arrays) throws IOException {
        try (ZipOutputStream zip = new ZipOutputStream(Files.newOutputStream(file))) {
            for (Map.Entry<String, Array> entry : arrays.entrySet()) {
                zip.putNextEntry(new ZipEntry(entry.getKey() + ".npy"));
                zip.write(npy(entry.getValue()));
                zip.closeEntry();
            }
        }
        return file;
    }

    private static byte[] npy(Array array) {
        String shape = Arrays.stream(array.shape()).mapToObj(Long::toString).collect(Collectors.joining(", "))
                + (array.shape().length == 1 ? "," : "");
        StringBuilder header = new StringBuilder("{'descr': '" + array.descr() + "', 'fortran_order': False, 'shape': ("
                + shape + "), }");
        while ((header.length() + 11) % 64 != 0) {
            header.append(' ');
        }
        header.append('\n');
        ByteBuffer out = ByteBuffer.allocate(10 + header.length() + array.data().length).order(ByteOrder.LITTLE_ENDIAN);
        out.put(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0});
        out.putShort((short) header.length());
        out.put(header.toString().getBytes(StandardCharsets.US_ASCII));
        out.put(array.data());
        return out.array();
    }
}
