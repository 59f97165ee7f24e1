package dev.edgecompress.exporter.validation;

import java.util.Locale;
import java.util.Objects;

/**
 * A condition a candidate model must meet; a failed gate makes validation fail (exit code 1).
 *
 * @param kind what is checked
 * @param limit the bound: points for accuracy drop, a fraction for agreement, bytes for size, a
 *     ratio for size ratio and speedup
 */
public record Gate(Kind kind, double limit) implements java.io.Serializable {

    /** The gates, with their command-line names. */
    public enum Kind {
        /** Top-1 accuracy may drop by at most this many percentage points (needs data). */
        MAX_ACCURACY_DROP("max-accuracy-drop", true),
        /** At least this fraction of samples keep the reference's top-1 class (needs data). */
        MIN_AGREEMENT("min-agreement", true),
        /** The candidate (model file plus external data) is at most this many bytes. */
        MAX_SIZE("max-size", false),
        /** The candidate is at most this fraction of the reference's bytes. */
        MAX_SIZE_RATIO("max-size-ratio", false),
        /** The candidate is at least this many times faster, on every execution provider and batch size. */
        MIN_SPEEDUP("min-speedup", false),
        /** Every output's signal-to-quantization-noise ratio is at least this many dB (needs data). */
        MIN_SQNR("min-sqnr", true),
        /** Every output's cosine similarity with the reference's is at least this (needs data). */
        MIN_COSINE("min-cosine", true);

        private final String option;
        private final boolean needsData;

        Kind(String option, boolean needsData) {
            this.option = option;
            this.needsData = needsData;
        }

        /** The command-line option name, without dashes. */
        public String option() {
            return option;
        }

        /** The name in reports: the option name in snake_case. */
        public String reportName() {
            return option.replace('-', '_');
        }

        public boolean needsData() {
            return needsData;
        }
    }

    public Gate {
        Objects.requireNonNull(kind, "kind");
        if (!Double.isFinite(limit) || limit < 0) {
            throw new IllegalArgumentException(kind.option() + " needs a finite, non-negative limit");
        }
        if ((kind == Kind.MIN_AGREEMENT || kind == Kind.MIN_COSINE) && limit > 1) {
            throw new IllegalArgumentException(kind.option() + " is a fraction in [0, 1], not " + limit);
        }
    }

    /** Parses a command-line gate value: a number, or for max-size bytes with an optional unit. */
    public static Gate parse(Kind kind, String text) {
        String value = text.trim();
        try {
            return new Gate(kind, kind == Kind.MAX_SIZE ? parseBytes(value) : Double.parseDouble(value));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + kind.option() + " needs a number"
                    + (kind == Kind.MAX_SIZE ? " of bytes, optionally with KB, MB, GB (powers of 1000) or KiB,"
                    + " MiB, GiB (powers of 1024)" : "") + ", not '" + text + "'");
        }
    }

    /** "250000", "250KB", "1.5 MiB" and so on, in bytes. */
    static double parseBytes(String text) {
        String lower = text.toLowerCase(Locale.ROOT).replace(" ", "");
        String[][] units = {{"gib", "1073741824"}, {"mib", "1048576"}, {"kib", "1024"}, {"gb", "1e9"},
            {"mb", "1e6"}, {"kb", "1e3"}, {"b", "1"}};
        for (String[] unit : units) {
            if (lower.endsWith(unit[0])) {
                return Double.parseDouble(lower.substring(0, lower.length() - unit[0].length()))
                        * Double.parseDouble(unit[1]);
            }
        }
        return Double.parseDouble(lower);
    }
}
