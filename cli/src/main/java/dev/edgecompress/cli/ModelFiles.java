package dev.edgecompress.cli;

import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.TensorData;
import dev.edgecompress.ir.Value;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;

/** The files a model occupies on disk: the model file and the external data files it reads. */
record ModelFiles(Path model, long modelBytes, Set<Path> externalFiles, long externalBytes) {

    static ModelFiles of(Path path, Model model) throws IOException {
        Set<Path> external = new TreeSet<>();
        collect(model.graph(), external);
        long externalBytes = 0;
        for (Path file : external) {
            externalBytes += Files.size(file);
        }
        return new ModelFiles(path, Files.size(path), external, externalBytes);
    }

    long totalBytes() {
        return modelBytes + externalBytes;
    }

    private static void collect(Graph graph, Set<Path> into) {
        for (Value initializer : graph.initializers()) {
            if (initializer.constValue().data() instanceof TensorData.MappedFile mapped) {
                into.add(mapped.file());
            }
        }
        for (Node node : graph.nodes()) {
            node.subgraphs().forEach(g -> collect(g, into));
        }
    }
}
