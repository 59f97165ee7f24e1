package dev.edgecompress.pipeline;

import dev.edgecompress.exporter.ModelExporter;
import dev.edgecompress.exporter.validation.NodeSensitivity;
import dev.edgecompress.importer.ModelFormatException;
import dev.edgecompress.importer.ModelImporter;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.data.DataFormatException;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.passes.Cleanup;
import dev.edgecompress.passes.Pass;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassPipeline;
import dev.edgecompress.passes.opset.OpsetUpgradePass;
import dev.edgecompress.runtime.Evaluation;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.Progress;
import dev.edgecompress.runtime.SessionConfig;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * How much each quantized node alone hurts: the model is quantized with only that node (and the
 * activations around it) in int8, everything else float, and compared with the float model on the
 * evaluation data. Ranked most damaging first, it tells which nodes to keep in float.
 */
public final class QuantizationSensitivity {

    /** The ops whose quantization is ranked: those with int8 weights. */
    static final Set<String> RANKED = Set.of("Conv", "ConvTranspose", "Gemm", "MatMul");

    private QuantizationSensitivity() {
    }

    /** What "damage" means: lost accuracy (classifiers), or lost similarity of the outputs (SQNR). */
    public enum Damage {
        /** Accuracy drop, then agreement, then SQNR: for accuracy and agreement gates. */
        ACCURACY,
        /** SQNR alone: for SQNR and cosine gates, models without classes. */
        SIMILARITY
    }

    /** Ranks as {@link #rank(Path, Step.Quantize, Dataset, Dataset, Damage)} by accuracy. */
    public static List<NodeSensitivity> rank(Path source, Step.Quantize quantizeStep, Dataset calibration,
            Dataset evaluation) throws ModelFormatException, DataFormatException, IOException {
        return rank(source, quantizeStep, calibration, evaluation, Damage.ACCURACY);
    }

    /**
     * Ranks the named weighted nodes of {@code source}, subgraphs included, by the damage of
     * quantizing each alone, most damaging first.
     *
     * @param quantizeStep the quantize step (mode, calibration, ...); quantization-aware training
     *     is ranked by static quantization of each node, as training once per node would cost a
     *     training run each
     */
    public static List<NodeSensitivity> rank(Path source, Step.Quantize quantizeStep, Dataset calibration,
            Dataset evaluation, Damage damage) throws ModelFormatException, DataFormatException, IOException {
        Model original = cleaned(source);
        List<String> all = new ArrayList<>();
        Map<String, String> candidates = new LinkedHashMap<>();
        for (Node node : original.graph().allNodes()) {
            if (node.name() != null && !node.name().isEmpty()) {
                all.add(node.name());
                if (RANKED.contains(node.opType()) && node.normalizedDomain().isEmpty()) {
                    candidates.put(node.name(), node.opType());
                }
            }
        }
        byte[] floatBytes = ModelExporter.toBytes(original);
        List<NodeSensitivity> ranking = new ArrayList<>();
        try (InferenceSession reference = InferenceSession.open(floatBytes, SessionConfig.defaults())) {
            for (Map.Entry<String, String> candidate : candidates.entrySet()) {
                Set<String> others = new LinkedHashSet<>(all);
                others.remove(candidate.getKey());
                Model model = cleaned(source);
                Step.Quantize alone = new Step.Quantize(quantizeStep.mode() == Step.QuantizeMode.DYNAMIC
                        ? Step.QuantizeMode.DYNAMIC : Step.QuantizeMode.STATIC, quantizeStep.config().withExclude(others),
                        null);
                PassContext context = calibration == null ? PassContext.quiet() // dynamic int8 calibrates nothing
                        : PassContext.quiet().withActivations(RuntimeActivationSource.checked(model, calibration,
                                Compressor.CALIBRATION_BATCH));
                List<Pass> passes = new ArrayList<>(alone.passes());
                passes.addAll(Cleanup.passes());
                new PassPipeline(passes).run(model, context);
                try (InferenceSession quantized = InferenceSession.open(ModelExporter.toBytes(model),
                        SessionConfig.defaults())) {
                    Evaluation.Result result = Evaluation.run(reference, quantized, evaluation, 256, Progress.NONE);
                    double sqnr = result.comparison().sqnrDb();
                    ranking.add(new NodeSensitivity(candidate.getKey(), candidate.getValue(),
                            (result.referenceAccuracy() - result.candidateAccuracy()) * 100,
                            result.comparison().agreement(), Double.isInfinite(sqnr) ? null : sqnr));
                }
            }
        }
        Comparator<NodeSensitivity> bySqnr = Comparator.comparingDouble(s -> s.sqnrDb() == null
                ? Double.POSITIVE_INFINITY : s.sqnrDb());
        ranking.sort(damage == Damage.SIMILARITY ? bySqnr : Comparator.comparingDouble((NodeSensitivity s) ->
                Double.isNaN(s.accuracyDrop()) ? 0 : -s.accuracyDrop()).thenComparingDouble(NodeSensitivity::agreement)
                .thenComparing(bySqnr));
        return ranking;
    }

    /** The model as the pipeline quantizes it: cleaned up, at the operator set quantization needs. */
    private static Model cleaned(Path source) throws ModelFormatException {
        Model model = ModelImporter.load(source);
        List<Pass> cleanup = new ArrayList<>(Cleanup.passes());
        cleanup.add(new OpsetUpgradePass(OpsetUpgradePass.QUANTIZATION_OPSET));
        new PassPipeline(cleanup).run(model, PassContext.quiet());
        return model;
    }
}
