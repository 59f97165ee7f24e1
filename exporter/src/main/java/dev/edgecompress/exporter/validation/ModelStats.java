package dev.edgecompress.exporter.validation;

import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.TensorData;
import dev.edgecompress.ir.Value;
import dev.edgecompress.passes.ModelStatistics;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
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
        collectFiles(model.graph(), files);
        ModelStatistics counts = ModelStatistics.of(model);
        long bytes = 0;
        long gzip = 0;
        for (Path file : files) {
            bytes += Files.size(file);
            gzip += gzipSize(file);
        }
        return new ModelStats(path.toString(), bytes, gzip, counts.parameters(), counts.nonzeroParameters(), null);
    }

    private static void collectFiles(Graph graph, Set<Path> files) {
        for (Value initializer : graph.initializers()) {
            if (initializer.constValue().data() instanceof TensorData.MappedFile mapped) {
                files.add(mapped.file());
            }
        }
        for (Node node : graph.nodes()) {
            node.subgraphs().forEach(g -> collectFiles(g, files));
        }
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
