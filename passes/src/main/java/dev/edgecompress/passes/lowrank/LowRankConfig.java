package dev.edgecompress.passes.lowrank;

import dev.edgecompress.ir.SettingException;
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
 * @param budget keep this fraction of all factorizable weights' parameters together, spread over
 *     the layers by their spectra, or NaN
 * @param skip node names, op types or weight names left alone
 */
public record LowRankConfig(double energy, double ratio, double budget, Set<String> skip) {

    public LowRankConfig {
        int given = (Double.isNaN(energy) ? 0 : 1) + (Double.isNaN(ratio) ? 0 : 1) + (Double.isNaN(budget) ? 0 : 1);
        boolean byEnergy = !Double.isNaN(energy);
        boolean byRatio = !Double.isNaN(ratio);
        if (given != 1) {
            throw new SettingException("energy", "give exactly one of energy, ratio or budget");
        }
        if (!Double.isNaN(budget) && !(budget > 0 && budget < 1)) {
            throw new SettingException("budget", "must be in (0, 1), got " + budget);
        }
        if (byEnergy && !(energy > 0 && energy <= 1)) {
            throw new SettingException("energy", "must be in (0, 1], got " + energy);
        }
        if (byRatio && !(ratio > 0 && ratio < 1)) {
            throw new SettingException("ratio", "must be in (0, 1), got " + ratio);
        }
        skip = new TreeSet<>(skip);
    }

    public static LowRankConfig energy(double fraction) {
        return new LowRankConfig(fraction, Double.NaN, Double.NaN, Set.of());
    }

    public static LowRankConfig ratio(double fraction) {
        return new LowRankConfig(Double.NaN, fraction, Double.NaN, Set.of());
    }

    public static LowRankConfig budget(double fraction) {
        return new LowRankConfig(Double.NaN, Double.NaN, fraction, Set.of());
    }

    boolean byEnergy() {
        return !Double.isNaN(energy);
    }

    boolean byBudget() {
        return !Double.isNaN(budget);
    }

    Map<String, Object> params() {
        Map<String, Object> params = new LinkedHashMap<>();
        if (byEnergy()) {
            params.put("energy", energy);
        } else if (byBudget()) {
            params.put("budget", budget);
        } else {
            params.put("ratio", ratio);
        }
        if (!skip.isEmpty()) {
            params.put("skip", skip);
        }
        return params;
    }
}
