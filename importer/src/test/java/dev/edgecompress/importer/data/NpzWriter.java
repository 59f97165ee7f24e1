package dev.edgecompress.importer.data;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/** Writes .npz files with hand-made .npy headers, good and bad, for reader tests. */
final class NpzWriter {

    private NpzWriter() {
    }

    /** A .npy entry: its header dictionary text and raw data bytes. */
    record Npy(String header, byte[] data) {
        static Npy of(String descr, String shape, byte[] data) {
            return new Npy("{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }", data);
        }
    }

    static Path write(Path file, Map<String, Npy> arrays) throws IOException {
        try (OutputStream out = Files.newOutputStream(file); ZipOutputStream zip = new ZipOutputStream(out)) {
            for (Map.Entry<String, Npy> array : arrays.entrySet()) {
                zip.putNextEntry(new ZipEntry(array.getKey() + ".npy"));
                byte[] header = array.getValue().header().getBytes(StandardCharsets.ISO_8859_1);
                int padded = (header.length + 10 + 1 + 63) / 64 * 64 - 10;
                byte[] full = new byte[padded];
                java.util.Arrays.fill(full, (byte) ' ');
                System.arraycopy(header, 0, full, 0, header.length);
                full[padded - 1] = '\n';
                zip.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) padded, (byte) (padded >> 8)});
                zip.write(full);
                zip.write(array.getValue().data());
                zip.closeEntry();
            }
        }
        return file;
    }
}
