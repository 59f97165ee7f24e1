package dev.edgecompress.pipeline;

import dev.edgecompress.importer.ModelFormatException;
import dev.edgecompress.importer.ModelImporter;
import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.TensorData;
import dev.edgecompress.ir.Value;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.analysis.CompressionTargets;
import dev.edgecompress.passes.analysis.ModelSummary;
import dev.edgecompress.passes.cleanup.NormalizePass;
import dev.edgecompress.runtime.training.TrainableModel;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a model file holds, as {@code edgecompress inspect} shows it: its structure and
 * parameters, what each pass can reach (counted on the model as the passes see it, after
 * normalization), and the nodes fine-tuning cannot translate.
 *
 * @param modelBytes the model file's size
 * @param externalBytes the size of the external data files it reads
 * @param untrainable the nodes whose operators training does not translate, described
 */
public record Inspection(Path file, long modelBytes, long externalBytes, ModelSummary summary,
        List<String> untrainable) {

    public Inspection {
        untrainable = List.copyOf(untrainable);
    }

    public static Inspection of(Path path) throws ModelFormatException, IOException {
        Model model = ModelImporter.load(path);
        Model normalized = ModelImporter.load(path);
        new NormalizePass().run(normalized, PassContext.quiet());
        Set<Path> external = new TreeSet<>();
        externalFiles(model.graph(), external);
        long externalBytes = 0;
        for (Path file : external) {
            externalBytes += Files.size(file);
        }
        return new Inspection(path, Files.size(path), externalBytes,
                ModelSummary.of(model, CompressionTargets.of(normalized)), TrainableModel.unsupported(model));
    }

    private static void externalFiles(Graph graph, Set<Path> into) {
        for (Value initializer : graph.initializers()) {
            if (initializer.constValue().data() instanceof TensorData.MappedFile mapped) {
                into.add(mapped.file());
            }
        }
        for (Node node : graph.nodes()) {
            node.subgraphs().forEach(g -> externalFiles(g, into));
        }
    }
}
