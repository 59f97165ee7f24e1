package dev.edgecompress.passes.clustering;

import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Value;
import dev.edgecompress.passes.analysis.CompressionTargets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The clustered weights of a model as training that keeps them sees them: the prunable weights
 * (see {@link CompressionTargets#prunableWeights}) of the main graph whose non-zero values repeat,
 * with their number of distinct non-zero values. Training passes count them before and after to
 * show, and check, that the clusters were kept.
 */
public final class SharedValues {

    private SharedValues() {
    }

    /** Distinct non-zero values by weight name, for each weight whose non-zero values repeat. */
    public static Map<String, Integer> of(Model model) {
        Map<String, Integer> shared = new LinkedHashMap<>();
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
                    shared.put(weight.name(), distinct);
                }
            }
        }
        return shared;
    }

    /**
     * What a training pass that kept the clusters reports: the distinct values of each clustered
     * weight after training; fails when training split any of them (a defect, not a setting).
     */
    public static Map<String, Object> kept(Map<String, Integer> before, Model trained) {
        Map<String, Integer> after = of(trained);
        for (Map.Entry<String, Integer> weight : before.entrySet()) {
            Integer now = after.get(weight.getKey());
            if (now == null || now > weight.getValue()) {
                throw new IllegalStateException("training split the shared values of " + weight.getKey() + ": "
                        + weight.getValue() + " before, " + (now == null ? "all distinct" : now) + " after");
            }
        }
        Map<String, Object> report = new LinkedHashMap<>();
        report.put("clustered_weights", before.size());
        report.put("distinct_values", after.entrySet().stream().filter(e -> before.containsKey(e.getKey()))
                .collect(LinkedHashMap::new, (m, e) -> m.put(e.getKey(), e.getValue()), Map::putAll));
        return report;
    }

    /** The warning of a training pass asked to keep clusters where there are none. */
    public static String noneToKeep(String pass) {
        return pass + " was to keep clustered weights' shared values, but no weight has repeated values; it"
                + " trained every weight freely";
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
