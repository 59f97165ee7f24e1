package dev.edgecompress.passes.quantization;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Tensor;
import java.io.Serializable;
import java.nio.FloatBuffer;

/**
 * The range of one activation over the calibration data, in bounded memory. The first pass finds
 * the minimum and maximum; for Percentile and Entropy a second pass fills a histogram over that
 * range, from which the range is chosen. Collectors of disjoint data {@linkplain #merge merge}
 * exactly: minima and maxima, and counts into the same bins once the range is shared.
 */
final class RangeCollector implements Serializable {

    private static final long serialVersionUID = 1L;

    static final int BINS = 2048;
    private static final int ENTROPY_LEVELS = 128;

    private double min = Double.POSITIVE_INFINITY;
    private double max = Double.NEGATIVE_INFINITY;
    private long[] histogram;
    private long zeros;

    /** First pass: extends the observed range. */
    void observe(Tensor tensor) {
        FloatBuffer values = floats(tensor);
        while (values.hasRemaining()) {
            float v = values.get();
            if (Float.isFinite(v)) {
                min = Math.min(min, v);
                max = Math.max(max, v);
            }
        }
    }

    /** Second pass: counts values into {@link #BINS} bins over the range of the first pass. */
    void histogram(Tensor tensor) {
        if (histogram == null) {
            histogram = new long[BINS];
        }
        double width = (max - min) / BINS;
        FloatBuffer values = floats(tensor);
        while (values.hasRemaining()) {
            float v = values.get();
            if (Float.isFinite(v) && width > 0) {
                int bin = (int) Math.min(BINS - 1, Math.max(0, (v - min) / width));
                histogram[bin]++;
                if (v == 0) {
                    zeros++;
                }
            }
        }
    }

    /**
     * Adds what {@code other} saw of other data: its range in the first pass, its counts in the
     * second (both collectors binning over the range the first pass merged to).
     */
    void merge(RangeCollector other) {
        min = Math.min(min, other.min);
        max = Math.max(max, other.max);
        if (other.histogram != null) {
            if (histogram == null) {
                histogram = new long[BINS];
            }
            for (int bin = 0; bin < BINS; bin++) {
                histogram[bin] += other.histogram[bin];
            }
            zeros += other.zeros;
        }
    }

    boolean seen() {
        return min <= max;
    }

    /** The range to quantize to: [low, high], always containing 0. */
    double[] range(CalibrationMethod method, double percentile) {
        if (!seen()) {
            return new double[] {0, 0};
        }
        double[] range = switch (method) {
            case MINMAX -> new double[] {min, max};
            case PERCENTILE -> percentileRange(percentile);
            case ENTROPY -> entropyRange();
            case MSE -> mseRange();
        };
        return new double[] {Math.min(0, range[0]), Math.max(0, range[1])};
    }

    private double[] percentileRange(double percentile) {
        long total = 0;
        for (long count : histogram) {
            total += count;
        }
        double tail = total * (100 - percentile) / 100 / 2;
        double width = (max - min) / BINS;
        int low = 0;
        for (long cumulative = 0; low < BINS - 1 && cumulative + histogram[low] <= tail; low++) {
            cumulative += histogram[low];
        }
        int high = BINS - 1;
        for (long cumulative = 0; high > 0 && cumulative + histogram[high] <= tail; high--) {
            cumulative += histogram[high];
        }
        return new double[] {min > 0 ? min : min + low * width, max < 0 ? max : min + (high + 1) * width};
    }

    /**
     * The range [min t, max t], t in (0, 1] in steps of 1/{@value #BINS}, whose 255-step
     * quantization has the least squared error: each value inside costs the rounding noise
     * step^2 / 12, each value outside its distance to the range, squared.
     */
    private double[] mseRange() {
        double width = (max - min) / BINS;
        double bestError = Double.POSITIVE_INFINITY;
        double bestT = 1;
        for (int k = BINS; k >= 1; k--) {
            double t = (double) k / BINS;
            double low = Math.min(0, min * t);
            double high = Math.max(0, max * t);
            double step = (high - low) / 255;
            double rounding = step * step / 12;
            double error = 0;
            for (int bin = 0; bin < BINS; bin++) {
                if (histogram[bin] == 0) {
                    continue;
                }
                double center = min + (bin + 0.5) * width;
                double outside = center < low ? low - center : center > high ? center - high : 0;
                error += histogram[bin] * (outside > 0 ? outside * outside : rounding);
            }
            if (error < bestError) {
                bestError = error;
                bestT = t;
            }
        }
        return new double[] {min * bestT, max * bestT};
    }

    /**
     * TensorRT's entropy calibration: over the histogram of |x|, the threshold t minimizing the KL
     * divergence between the values clipped at t and their {@value #ENTROPY_LEVELS}-level quantization.
     */
    private double[] entropyRange() {
        double bound = Math.max(Math.abs(min), Math.abs(max));
        long[] magnitudes = new long[BINS];
        double width = (max - min) / BINS;
        // Exact zeros (ReLU's, padding's) are left out: the zero point represents them exactly, and
        // their spike would otherwise dominate the divergence and pull the threshold far too low.
        int zeroBin = (int) Math.min(BINS - 1, Math.max(0, -min / width));
        for (int bin = 0; bin < BINS; bin++) {
            double center = Math.abs(min + (bin + 0.5) * width);
            long count = bin == zeroBin ? histogram[bin] - zeros : histogram[bin];
            magnitudes[(int) Math.min(BINS - 1, center / bound * BINS)] += count;
        }
        int best = BINS;
        double bestDivergence = Double.POSITIVE_INFINITY;
        for (int i = ENTROPY_LEVELS; i <= BINS; i++) {
            double divergence = divergence(magnitudes, i);
            if (divergence < bestDivergence) {
                bestDivergence = divergence;
                best = i;
            }
        }
        double threshold = (best + 0.5) * bound / BINS;
        return new double[] {min < 0 ? -threshold : 0, max > 0 ? threshold : 0};
    }

    /**
     * KL(P || Q) for clipping at bin {@code i}: P is the first {@code i} bins with everything
     * beyond added to the last (what clipping does to the values); Q is the first {@code i} bins
     * alone, merged into {@value #ENTROPY_LEVELS} levels and spread back over their non-empty bins
     * (what quantizing does). Clipping too tightly piles mass into P's last bin, which Q lacks.
     */
    private static double divergence(long[] histogram, int i) {
        double[] sliced = new double[i];
        for (int b = 0; b < i; b++) {
            sliced[b] = histogram[b];
        }
        double[] p = sliced.clone();
        for (int b = i; b < histogram.length; b++) {
            p[i - 1] += histogram[b];
        }
        double[] q = new double[i];
        double merge = (double) i / ENTROPY_LEVELS;
        for (int level = 0; level < ENTROPY_LEVELS; level++) {
            int start = (int) Math.floor(level * merge);
            int end = level == ENTROPY_LEVELS - 1 ? i : (int) Math.floor((level + 1) * merge);
            double sum = 0;
            int nonzero = 0;
            for (int b = start; b < end; b++) {
                sum += sliced[b];
                if (sliced[b] != 0) {
                    nonzero++;
                }
            }
            for (int b = start; b < end; b++) {
                q[b] = sliced[b] == 0 || nonzero == 0 ? 0 : sum / nonzero;
            }
        }
        double pTotal = 0;
        double qTotal = 0;
        for (int b = 0; b < i; b++) {
            pTotal += p[b];
            qTotal += q[b];
        }
        if (pTotal == 0 || qTotal == 0) {
            return Double.POSITIVE_INFINITY;
        }
        double kl = 0;
        for (int b = 0; b < i; b++) {
            if (p[b] > 0) {
                double pb = p[b] / pTotal;
                double qb = q[b] == 0 ? 1e-12 : q[b] / qTotal;
                kl += pb * Math.log(pb / qb);
            }
        }
        return kl;
    }

    private static FloatBuffer floats(Tensor tensor) {
        if (tensor.type() != DataType.FLOAT) {
            throw new IllegalArgumentException("calibration needs float activations, got " + tensor.type());
        }
        return tensor.floats();
    }
}
