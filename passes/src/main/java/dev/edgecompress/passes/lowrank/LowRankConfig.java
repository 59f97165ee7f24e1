package dev.edgecompress.passes.lowrank;

import dev.edgecompress.passes.PassConfigException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * How ranks are chosen.
 *
 * @param energy keep the smallest rank whose singular values hold this fraction of the weight's
 *     energy (sum of squares), or NaN
 * @param ratio keep this fraction of each weight's parameters, or NaN
 * @param skip node names, op types or weight names left alone
 */
public record LowRankConfig(double energy, double ratio, Set<String> skip) {

    public LowRankConfig {
        boolean byEnergy = !Double.isNaN(energy);
        boolean byRatio = !Double.isNaN(ratio);
        if (byEnergy == byRatio) {
            throw new PassConfigException(byEnergy ? "ratio" : "energy", "give either energy or ratio");
        }
        if (byEnergy && !(energy > 0 && energy <= 1)) {
            throw new PassConfigException("energy", "must be in (0, 1], got " + energy);
        }
        if (byRatio && !(ratio > 0 && ratio < 1)) {
            throw new PassConfigException("ratio", "must be in (0, 1), got " + ratio);
        }
        skip = new TreeSet<>(skip);
    }

    public static LowRankConfig energy(double fraction) {
        return new LowRankConfig(fraction, Double.NaN, Set.of());
    }

    public static LowRankConfig ratio(double fraction) {
        return new LowRankConfig(Double.NaN, fraction, Set.of());
    }

    boolean byEnergy() {
        return !Double.isNaN(energy);
    }

    Map<String, Object> params() {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put(byEnergy() ? "energy" : "ratio", byEnergy() ? energy : ratio);
        if (!skip.isEmpty()) {
            params.put("skip", skip);
        }
        return params;
    }
}
