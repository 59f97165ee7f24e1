package dev.edgecompress.passes.clustering;

import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Value;
import dev.edgecompress.passes.PassResult;
import dev.edgecompress.passes.analysis.CompressionTargets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The weights of a model whose non-zero values repeat, as training that keeps clusters sees them:
 * the prunable weights (see {@link CompressionTargets#prunableWeights}) of the main graph. Training
 * keeps every repeated value shared (tying values that repeat by chance changes nothing that
 * matters), and reports as clustered the weights where values are shared by two weights or more
 * on average; training passes count them before and after to show, and check, that the clusters
 * were kept.
 */
public final class SharedValues {

    /** A weight's distinct non-zero values, and how many non-zero values it has. */
    public record Counts(int distinct, long nonzero) {

        /** Whether its values are shared by design (clustering), not by chance: two weights a value or more. */
        public boolean clustered() {
            return 2L * distinct <= nonzero;
        }
    }

    private SharedValues() {
    }

    /** The weights whose non-zero values repeat, by name. */
    public static Map<String, Counts> of(Model model) {
        Map<String, Counts> shared = new LinkedHashMap<>();
        for (Node node : model.graph().nodes()) {
            for (Value weight : CompressionTargets.prunableWeights(node)) {
                if (weight.constValue() == null || shared.containsKey(weight.name())) {
                    continue;
                }
                float[] values = weight.constValue().toFloatArray();
                float[] nonzero = new float[values.length];
                int n = 0;
                for (float v : values) {
                    if (v != 0) {
                        nonzero[n++] = v;
                    }
                }
                int distinct = distinct(Arrays.copyOf(nonzero, n));
                if (distinct < n) {
                    shared.put(weight.name(), new Counts(distinct, n));
                }
            }
        }
        return shared;
    }

    /** The clustered weights of {@code model} ({@link Counts#clustered}) with their distinct values. */
    public static Map<String, Integer> clustered(Model model) {
        return clustered(of(model));
    }

    /**
     * One training run asked to keep clusters (or not), seen from its pass: counts before
     * training, then checks and reports after it.
     */
    public static final class Guard {

        private final Map<String, Counts> before;
        private final boolean asked;

        private Guard(Map<String, Counts> before, boolean asked) {
            this.before = before;
            this.asked = asked;
        }

        /**
         * After training: the clustered weights and their distinct values, or null when there are
         * none (or none were to be kept); fails when training split any repeated value (a defect,
         * not a setting).
         */
        public Map<String, Object> check(Model trained) {
            Map<String, Counts> after = of(trained);
            for (Map.Entry<String, Counts> weight : before.entrySet()) {
                Counts now = after.get(weight.getKey());
                if (now == null || now.distinct() > weight.getValue().distinct()) {
                    throw new IllegalStateException("training split the shared values of " + weight.getKey() + ": "
                            + weight.getValue().distinct() + " before, " + (now == null ? "all distinct"
                                    : now.distinct()) + " after");
                }
            }
            Map<String, Integer> clustered = new LinkedHashMap<>();
            clustered(before).keySet().forEach(name -> clustered.put(name, after.get(name).distinct()));
            if (clustered.isEmpty()) {
                return null;
            }
            Map<String, Object> report = new LinkedHashMap<>();
            report.put("clustered_weights", clustered.size());
            report.put("distinct_values", clustered);
            return report;
        }

        /** {@code result}, with a warning where clusters were to be kept and there were none. */
        public PassResult warned(PassResult result, String pass) {
            return asked && clustered(before).isEmpty() ? result.withWarning(noneToKeep(pass)) : result;
        }
    }

    /** The guard of a training run on {@code model}; {@code keepClusters} as the training's config says. */
    public static Guard guard(Model model, boolean keepClusters) {
        return new Guard(keepClusters ? of(model) : Map.of(), keepClusters);
    }

    /** The warning of a training pass asked to keep clusters where there are none. */
    public static String noneToKeep(String pass) {
        return pass + " was to keep clustered weights' shared values, but no weight is clustered; it trained every"
                + " weight freely";
    }

    private static Map<String, Integer> clustered(Map<String, Counts> shared) {
        Map<String, Integer> clustered = new LinkedHashMap<>();
        shared.forEach((name, counts) -> {
            if (counts.clustered()) {
                clustered.put(name, counts.distinct());
            }
        });
        return clustered;
    }

    private static int distinct(float[] values) {
        Arrays.sort(values);
        int count = 0;
        for (int i = 0; i < values.length; i++) {
            if (i == 0 || values[i] != values[i - 1]) {
                count++;
            }
        }
        return count;
    }
}
