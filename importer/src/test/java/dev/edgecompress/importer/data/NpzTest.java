package dev.edgecompress.importer.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.data.DataFormatException;
import dev.edgecompress.ir.testing.TestModels;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NpzTest {

    @TempDir
    Path dir;

    @Test
    void readsACompressedArchiveWrittenByNumpy() throws Exception {
        Map<String, Tensor> arrays = Npz.read(TestModels.model("fashion_mnist_test_2k.npz"));
        Tensor input = arrays.get("input");
        assertEquals(DataType.FLOAT, input.type());
        assertArrayEquals(new long[] {2000, 1, 28, 28}, input.dims());
        assertTrue(input.buffer().isDirect());
        float[] pixels = input.toFloatArray();
        assertTrue(pixels[0] >= 0 && pixels[0] <= 1);
        assertEquals(DataType.INT64, arrays.get("labels").type());
        assertArrayEquals(new long[] {2000}, arrays.get("labels").dims());
    }

    @Test
    void readsBigEndianArrays() throws Exception {
        ByteBuffer big = ByteBuffer.allocate(8).order(ByteOrder.BIG_ENDIAN).putFloat(1.5f).putFloat(-2f);
        Path file = NpzWriter.write(dir.resolve("big.npz"), Map.of("x", NpzWriter.Npy.of(">f4", "(2,)", big.array())));
        assertArrayEquals(new float[] {1.5f, -2f}, Npz.read(file).get("x").toFloatArray());
    }

    @Test
    void refusesFortranOrder() throws Exception {
        Path file = NpzWriter.write(dir.resolve("f.npz"), Map.of("x", new NpzWriter.Npy(
                "{'descr': '<f4', 'fortran_order': True, 'shape': (2, 2), }", new byte[16])));
        assertProblem(file, "array 'x' is in Fortran order");
    }

    @Test
    void refusesObjectArrays() throws Exception {
        Path file = NpzWriter.write(dir.resolve("o.npz"), Map.of("x", NpzWriter.Npy.of("|O", "(2,)", new byte[16])));
        assertProblem(file, "object array (a pickle), which is never loaded");
    }

    @Test
    void refusesUnsupportedTypes() throws Exception {
        Path file = NpzWriter.write(dir.resolve("u.npz"), Map.of("x", NpzWriter.Npy.of("<U5", "(2,)", new byte[40])));
        assertProblem(file, "has dtype '<U5'");
    }

    @Test
    void refusesTruncatedData() throws Exception {
        Path file = NpzWriter.write(dir.resolve("t.npz"), Map.of("x", NpzWriter.Npy.of("<f4", "(3, 4)", new byte[20])));
        assertProblem(file, "array 'x' is truncated: shape [3, 4] needs 48 bytes of data, the file has 20");
    }

    @Test
    void refusesFilesThatAreNotArchives() throws Exception {
        assertProblem(Files.writeString(dir.resolve("text.npz"), "not a zip"), "not an .npz (zip) archive");
        assertProblem(dir.resolve("missing.npz"), "no such file");
    }

    static void assertProblem(Path file, String expected) {
        DataFormatException e = assertThrows(DataFormatException.class, () -> DataFiles.load(file));
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }
}
