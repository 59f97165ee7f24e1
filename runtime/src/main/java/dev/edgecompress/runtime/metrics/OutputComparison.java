package dev.edgecompress.runtime.metrics;

/**
 * How a candidate model's outputs differ from a reference's on the same samples, accumulated
 * batch by batch: top-1 agreement of the first output (the class scores of a classifier; for
 * [N, ..., C] outputs, at every position along the last axis), the maximum and mean absolute
 * error and signal-to-quantization-noise ratio over every value of every output, and SQNR and
 * cosine similarity of each output on its own (what models without classes are judged by).
 */
public final class OutputComparison {

    /** Energy sums of one output: reference, candidate, their product, and the error. */
    private static final class Sums {
        double reference;
        double candidate;
        double product;
        double error;
    }

    private final java.util.Map<String, Sums> byOutput = new java.util.LinkedHashMap<>();

    private long agreeing;
    private long rows;
    private long values;
    private double maxAbs;
    private double sumAbs;
    private double signal;
    private double noise;

    /**
     * Adds one output of both models for a batch.
     *
     * @param primary whether this is the output top-1 agreement is measured on
     */
    public void add(Rows reference, Rows candidate, boolean primary) {
        add("output", reference, candidate, primary);
    }

    /** Adds output {@code name} of both models for a batch. */
    public void add(String name, Rows reference, Rows candidate, boolean primary) {
        if (reference.rows() != candidate.rows() || reference.width() != candidate.width()) {
            throw new IllegalArgumentException("outputs differ in shape: " + reference.width() + " and "
                    + candidate.width() + " values per sample");
        }
        double[] r = reference.values();
        double[] c = candidate.values();
        double max = maxAbs;
        double abs = 0;
        double energy = 0;
        double error = 0;
        Sums sums = byOutput.computeIfAbsent(name, n -> new Sums());
        for (int i = 0; i < r.length; i++) {
            double diff = c[i] - r[i];
            double a = Math.abs(diff);
            max = Math.max(max, a);
            abs += a;
            energy += r[i] * r[i];
            error += diff * diff;
            sums.candidate += c[i] * c[i];
            sums.product += r[i] * c[i];
        }
        sums.reference += energy;
        sums.error += error;
        maxAbs = max;
        sumAbs += abs;
        signal += energy;
        noise += error;
        values += r.length;
        if (primary) {
            int[] a = reference.topPerPosition();
            int[] b = candidate.topPerPosition();
            for (int i = 0; i < a.length; i++) {
                if (a[i] == b[i]) {
                    agreeing++;
                }
            }
            rows += a.length;
        }
    }

    /** SQNR in dB of each output on its own, by name; +infinity where the outputs are identical. */
    public java.util.Map<String, Double> sqnrDbByOutput() {
        java.util.Map<String, Double> result = new java.util.LinkedHashMap<>();
        byOutput.forEach((name, s) -> result.put(name, s.error == 0 ? Double.POSITIVE_INFINITY
                : 10 * Math.log10(s.reference / s.error)));
        return result;
    }

    /**
     * Cosine similarity of each output, by name: all its values over all samples as one vector
     * (1 when identical; 1 also when both are all zeros).
     */
    public java.util.Map<String, Double> cosineByOutput() {
        java.util.Map<String, Double> result = new java.util.LinkedHashMap<>();
        byOutput.forEach((name, s) -> result.put(name, s.reference == 0 && s.candidate == 0 ? 1.0
                : s.product / Math.sqrt(s.reference * s.candidate)));
        return result;
    }

    /** Fraction of positions (samples, or samples x positions for [N, ..., C]) whose top-1 class is the same; NaN before any. */
    public double agreement() {
        return rows == 0 ? Double.NaN : (double) agreeing / rows;
    }

    public long samples() {
        return rows;
    }

    public double maxAbsError() {
        return maxAbs;
    }

    public double meanAbsError() {
        return values == 0 ? Double.NaN : sumAbs / values;
    }

    /** 10 log10(signal energy / error energy) in dB; +infinity when the outputs are identical. */
    public double sqnrDb() {
        return noise == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(signal / noise);
    }
}
