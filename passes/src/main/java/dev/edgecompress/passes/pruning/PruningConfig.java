package dev.edgecompress.passes.pruning;

import dev.edgecompress.ir.SettingException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * Configuration of unstructured pruning.
 *
 * @param sparsity the fraction of weights to zero, in [0, 1)
 * @param layerSparsity per-weight overrides (initializer or node name to fraction); magnitude
 *     pruning only, as a global threshold has no per-layer fraction
 * @param skip node names, op types or initializer names left alone
 * @param minElements weights with fewer elements are left alone (biases are never pruned)
 */
public record PruningConfig(double sparsity, Map<String, Double> layerSparsity, Set<String> skip, long minElements) {

    /** Weights under 100 elements stay dense by default. */
    public static final long DEFAULT_MIN_ELEMENTS = 100;

    public PruningConfig {
        checkFraction("sparsity", sparsity);
        layerSparsity = new TreeMap<>(layerSparsity);
        layerSparsity.forEach((layer, fraction) -> checkFraction("layers." + layer, fraction));
        skip = new TreeSet<>(skip);
        if (minElements < 1) {
            throw new SettingException("min_elements", "must be at least 1, got " + minElements);
        }
    }

    public static PruningConfig of(double sparsity) {
        return new PruningConfig(sparsity, Map.of(), Set.of(), DEFAULT_MIN_ELEMENTS);
    }

    private static void checkFraction(String field, double value) {
        if (!(value >= 0 && value < 1)) {
            throw new SettingException(field, "must be a fraction in [0, 1), got " + value);
        }
    }

    Map<String, Object> params() {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("sparsity", sparsity);
        if (!layerSparsity.isEmpty()) {
            params.put("layers", layerSparsity);
        }
        if (!skip.isEmpty()) {
            params.put("skip", skip);
        }
        params.put("min_elements", minElements);
        return params;
    }
}
