package dev.edgecompress.exporter.validation;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.TensorData;
import dev.edgecompress.ir.Value;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.GZIPOutputStream;

/**
 * Size and parameters of one model.
 *
 * @param path the model file
 * @param bytes the model file plus its external data files
 * @param gzipBytes the same, each file gzip-compressed (what an update over the air costs)
 * @param parameters elements of all initializers
 * @param nonzeroParameters those that are not zero (pruning shows here)
 * @param accuracy top-1 accuracy in [0, 1] with labels, else top-1 agreement with the reference;
 *     null without data
 */
public record ModelStats(String path, long bytes, long gzipBytes, long parameters, long nonzeroParameters,
        Double accuracy) {

    public ModelStats withAccuracy(Double value) {
        return new ModelStats(path, bytes, gzipBytes, parameters, nonzeroParameters, value);
    }

    /** Measures a model read from {@code path}. */
    public static ModelStats of(Path path, Model model) throws IOException {
        Set<Path> files = new TreeSet<>();
        files.add(path.toAbsolutePath());
        long[] counts = new long[2];
        scan(model.graph(), files, counts);
        long bytes = 0;
        long gzip = 0;
        for (Path file : files) {
            bytes += Files.size(file);
            gzip += gzipSize(file);
        }
        return new ModelStats(path.toString(), bytes, gzip, counts[0], counts[1], null);
    }

    private static void scan(Graph graph, Set<Path> files, long[] counts) {
        for (Value initializer : graph.initializers()) {
            Tensor tensor = initializer.constValue();
            if (tensor.data() instanceof TensorData.MappedFile mapped) {
                files.add(mapped.file());
            }
            counts[0] += tensor.elementCount();
            counts[1] += nonzero(tensor);
        }
        for (Value sparse : graph.sparseInitializers()) {
            long dense = 1;
            for (long d : sparse.sparseConstValue().dims()) {
                dense *= d;
            }
            counts[0] += dense;
            counts[1] += nonzero(sparse.sparseConstValue().values());
        }
        for (Node node : graph.nodes()) {
            node.subgraphs().forEach(g -> scan(g, files, counts));
        }
    }

    /** Elements that are not zero; for floating point, -0.0 counts as zero. */
    static long nonzero(Tensor tensor) {
        if (!tensor.type().isFixedWidth()) {
            return tensor.strings().stream().filter(s -> s.length > 0).count();
        }
        ByteBuffer data = tensor.buffer();
        long count = 0;
        if (tensor.type() == DataType.FLOAT) {
            for (int i = 0; i < data.limit(); i += 4) {
                if ((data.getInt(i) & 0x7fffffff) != 0) {
                    count++;
                }
            }
            return count;
        }
        int width = Math.max(1, tensor.type().bits() / 8);
        if (tensor.type().bits() < 8) {
            return tensor.elementCount(); // packed sub-byte types: not counted element by element
        }
        for (int i = 0; i < data.limit(); i += width) {
            for (int b = 0; b < width; b++) {
                if (data.get(i + b) != 0) {
                    count++;
                    break;
                }
            }
        }
        return count;
    }

    private static long gzipSize(Path file) throws IOException {
        CountingSink sink = new CountingSink();
        try (InputStream in = Files.newInputStream(file); OutputStream gzip = new GZIPOutputStream(sink, 1 << 16)) {
            in.transferTo(gzip);
        }
        return sink.count;
    }

    private static final class CountingSink extends OutputStream {
        private long count;

        @Override
        public void write(int b) {
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            count += len;
        }
    }
}
