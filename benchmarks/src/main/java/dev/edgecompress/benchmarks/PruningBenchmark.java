package dev.edgecompress.benchmarks;

import dev.edgecompress.exporter.ModelExporter;
import dev.edgecompress.importer.ModelImporter;
import dev.edgecompress.importer.data.DataFiles;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.passes.ModelStatistics;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassPipeline;
import dev.edgecompress.pipeline.Compressor;
import dev.edgecompress.pipeline.StepParser;
import dev.edgecompress.runtime.Evaluation;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.Progress;
import dev.edgecompress.runtime.SessionConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Pruning figures.
 *
 * <pre>
 * sweep MODEL DATA OUTDIR   accuracy of magnitude and l1 pruning at 50/70/80/90% (one-shot), writing
 *                           each pruned model to OUTDIR/NAME-METHOD-SPARSITY.onnx
 * large MODEL OUT           time and peak heap of l1:0.8 on a large model (import, prune, export)
 * </pre>
 */
public final class PruningBenchmark {

    private PruningBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        if (args[0].equals("sweep")) {
            sweep(Path.of(args[1]), Path.of(args[2]), Path.of(args[3]));
        } else {
            large(Path.of(args[1]), Path.of(args[2]));
        }
    }

    private static void sweep(Path model, Path data, Path outDir) throws Exception {
        Dataset dataset = DataFiles.load(data);
        String name = model.getFileName().toString().replace(".onnx", "");
        for (String method : List.of("magnitude", "l1")) {
            for (double sparsity : new double[] {0.5, 0.7, 0.8, 0.9}) {
                Compressor compressor = Compressor.load(model).prune(method, sparsity);
                List<PassPipeline.Step> steps = compressor.run();
                Path out = outDir.resolve(name + "-" + method + "-" + sparsity + ".onnx");
                compressor.export(out);
                ModelStatistics stats = ModelStatistics.of(compressor.model());
                double accuracy;
                try (InferenceSession session = InferenceSession.open(out, SessionConfig.defaults())) {
                    accuracy = Evaluation.run(session, null, dataset, 256, Progress.NONE).referenceAccuracy();
                }
                System.out.printf("{\"model\": \"%s\", \"method\": \"%s\", \"sparsity\": %.2f, \"parameters\": %d,"
                        + " \"nonzero\": %d, \"accuracy\": %.4f, \"prune_s\": %.4f}%n", name, method, sparsity,
                        stats.parameters(), stats.nonzeroParameters(), accuracy, steps.get(0).seconds());
            }
        }
    }

    private static void large(Path in, Path out) throws Exception {
        PeakHeap.reset();
        long start = System.nanoTime();
        Model model = ModelImporter.load(in);
        long imported = System.nanoTime();
        List<PassPipeline.Step> steps = new PassPipeline(StepParser.parse("prune", Map.of("method", "l1",
                "sparsity", 0.8)).passes()).run(model, PassContext.quiet());
        long pruned = System.nanoTime();
        ModelExporter.write(model, out);
        long exported = System.nanoTime();
        long peakHeap = PeakHeap.bytes();
        ModelStatistics stats = ModelStatistics.of(model);
        System.out.printf("{\"parameters\": %d, \"nonzero\": %d, \"import_s\": %.3f, \"prune_s\": %.3f,"
                        + " \"export_s\": %.3f, \"peak_heap_bytes\": %d, \"pass_reported_s\": %.3f}%n",
                stats.parameters(), stats.nonzeroParameters(), (imported - start) / 1e9, (pruned - imported) / 1e9,
                (exported - pruned) / 1e9, peakHeap, steps.get(0).seconds());
    }
}
