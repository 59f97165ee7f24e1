package dev.edgecompress.runtime.metrics;

import java.io.Serializable;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a candidate model's outputs differ from a reference's on the same samples, accumulated
 * batch by batch: top-1 agreement of the first output (the class scores of a classifier; for
 * [N, ..., C] outputs, at every position along the last axis), the maximum and mean absolute
 * error and signal-to-quantization-noise ratio over every value of every output, and SQNR and
 * cosine similarity of each output on its own (what models without classes are judged by).
 *
 * <p>Each batch's sums are added exactly ({@link ExactSum}), so comparisons of disjoint sets of
 * batches {@linkplain #merge merge} into the numbers one comparison of all of them gives.
 */
public final class OutputComparison implements Serializable {

    private static final long serialVersionUID = 1L;

    /** Energy sums of one output: reference, candidate, their product, and the error. */
    private static final class Sums implements Serializable {
        private static final long serialVersionUID = 1L;
        final ExactSum reference = new ExactSum();
        final ExactSum candidate = new ExactSum();
        final ExactSum product = new ExactSum();
        final ExactSum error = new ExactSum();

        void add(Sums other) {
            reference.add(other.reference);
            candidate.add(other.candidate);
            product.add(other.product);
            error.add(other.error);
        }
    }

    private final Map<String, Sums> byOutput = new LinkedHashMap<>();

    private long agreeing;
    private long rows;
    private long values;
    private double maxAbs;
    private final ExactSum sumAbs = new ExactSum();
    private final ExactSum signal = new ExactSum();
    private final ExactSum noise = new ExactSum();

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
        double candidateEnergy = 0;
        double product = 0;
        for (int i = 0; i < r.length; i++) {
            double diff = c[i] - r[i];
            double a = Math.abs(diff);
            max = Math.max(max, a);
            abs += a;
            energy += r[i] * r[i];
            error += diff * diff;
            candidateEnergy += c[i] * c[i];
            product += r[i] * c[i];
        }
        Sums sums = byOutput.computeIfAbsent(name, n -> new Sums());
        sums.reference.add(energy);
        sums.error.add(error);
        sums.candidate.add(candidateEnergy);
        sums.product.add(product);
        maxAbs = max;
        sumAbs.add(abs);
        signal.add(energy);
        noise.add(error);
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

    /** Adds the batches {@code other} compared (disjoint from this one's): exact, in any order. */
    public void merge(OutputComparison other) {
        other.byOutput.forEach((name, sums) -> byOutput.computeIfAbsent(name, n -> new Sums()).add(sums));
        agreeing += other.agreeing;
        rows += other.rows;
        values += other.values;
        maxAbs = Math.max(maxAbs, other.maxAbs);
        sumAbs.add(other.sumAbs);
        signal.add(other.signal);
        noise.add(other.noise);
    }

    /** SQNR in dB of each output on its own, by name; +infinity where the outputs are identical. */
    public Map<String, Double> sqnrDbByOutput() {
        Map<String, Double> result = new LinkedHashMap<>();
        byOutput.forEach((name, s) -> result.put(name, sqnr(s.reference.value(), s.error.value())));
        return result;
    }

    /**
     * Cosine similarity of each output, by name: all its values over all samples as one vector
     * (1 when identical; 1 also when both are all zeros).
     */
    public Map<String, Double> cosineByOutput() {
        Map<String, Double> result = new LinkedHashMap<>();
        byOutput.forEach((name, s) -> {
            double reference = s.reference.value();
            double candidate = s.candidate.value();
            result.put(name, reference == 0 && candidate == 0 ? 1.0
                    : s.product.value() / Math.sqrt(reference * candidate));
        });
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
        return values == 0 ? Double.NaN : sumAbs.value() / values;
    }

    /** 10 log10(signal energy / error energy) in dB; +infinity when the outputs are identical. */
    public double sqnrDb() {
        return sqnr(signal.value(), noise.value());
    }

    private static double sqnr(double signal, double noise) {
        return noise == 0 ? Double.POSITIVE_INFINITY : 10 * Math.log10(signal / noise);
    }
}
