package dev.edgecompress.pipeline.tune;

import dev.edgecompress.ir.SettingException;
import java.util.Locale;

/** What {@code tune} makes best among the models that pass the gates. */
public enum Objective {
    /**
     * The smallest gzipped file (what a model costs to ship and to store compressed, and where
     * pruning's zeros show), then the smallest file; a max-size gate still bounds the file itself.
     */
    SIZE,
    /** The fastest: the largest speedup, taken at the slowest batch size measured. */
    LATENCY;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Objective parse(String text) {
        for (Objective objective : values()) {
            if (objective.id().equals(text)) {
                return objective;
            }
        }
        throw new SettingException("objective", "must be size or latency, got '" + text + "'");
    }
}
