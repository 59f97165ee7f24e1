package dev.edgecompress.runtime.metrics;

/**
 * How a candidate model's outputs differ from a reference's on the same samples, accumulated
 * batch by batch: top-1 agreement of the first output (the class scores of a classifier), and the
 * maximum and mean absolute error and signal-to-quantization-noise ratio over every value of every
 * output.
 */
public final class OutputComparison {

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
        for (int i = 0; i < r.length; i++) {
            double diff = c[i] - r[i];
            double a = Math.abs(diff);
            max = Math.max(max, a);
            abs += a;
            energy += r[i] * r[i];
            error += diff * diff;
        }
        maxAbs = max;
        sumAbs += abs;
        signal += energy;
        noise += error;
        values += r.length;
        if (primary) {
            int[] a = reference.top();
            int[] b = candidate.top();
            for (int i = 0; i < a.length; i++) {
                if (a[i] == b[i]) {
                    agreeing++;
                }
            }
            rows += a.length;
        }
    }

    /** Fraction of samples whose top-1 class is the same; NaN before any sample. */
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
