package dev.edgecompress.benchmarks;

import dev.edgecompress.passes.lowrank.Svd;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import org.ejml.data.DMatrixRMaj;

/**
 * SVD time of an N x N Gaussian matrix (float32 values), full and leading-k (randomized), in one
 * process; writes the matrix as OUT.npy so numpy decomposes the same one.
 *
 * <pre>SvdBenchmark N K OUT.npy</pre>
 */
public final class SvdBenchmark {

    private SvdBenchmark() {
    }

    public static void main(String[] args) throws IOException {
        int n = Integer.parseInt(args[0]);
        int k = Integer.parseInt(args[1]);
        Random random = new Random(3);
        float[] values = new float[n * n];
        DMatrixRMaj matrix = new DMatrixRMaj(n, n);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
            matrix.data[i] = values[i];
        }
        writeNpy(Path.of(args[2]), values, n);
        long start = System.nanoTime();
        Svd.Result leading = Svd.leading(matrix, k, 1);
        double leadingSeconds = (System.nanoTime() - start) / 1e9;
        start = System.nanoTime();
        Svd.Result full = Svd.full(matrix);
        double fullSeconds = (System.nanoTime() - start) / 1e9;
        double worst = 0;
        for (int i = 0; i < k; i++) {
            worst = Math.max(worst, Math.abs(leading.s()[i] - full.s()[i]) / full.s()[i]);
        }
        System.out.printf("{\"tool\": \"edgecompress (EJML)\", \"n\": %d, \"k\": %d, \"leading_k_s\": %.2f, \"full_s\": %.2f,"
                + " \"sigma_1\": %.4f, \"sigma_k\": %.4f, \"leading_vs_full_max_relative_difference\": %.2e}%n", n, k,
                leadingSeconds, fullSeconds, full.s()[0], full.s()[k - 1], worst);
    }

    private static void writeNpy(Path file, float[] values, int n) throws IOException {
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + n + ", " + n + "), }";
        int padded = (header.length() + 10 + 1 + 63) / 64 * 64 - 10;
        StringBuilder text = new StringBuilder(header);
        while (text.length() < padded - 1) {
            text.append(' ');
        }
        text.append('\n');
        ByteBuffer data = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        data.asFloatBuffer().put(values);
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(new byte[] {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (byte) padded, (byte) (padded >> 8)});
            out.write(text.toString().getBytes(StandardCharsets.ISO_8859_1));
            out.write(data.array());
        }
    }
}
