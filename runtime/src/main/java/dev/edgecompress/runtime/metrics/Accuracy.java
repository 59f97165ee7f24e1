package dev.edgecompress.runtime.metrics;

import java.io.Serializable;

/** Top-1 accuracy of class scores against integer labels, accumulated batch by batch. */
public final class Accuracy implements Serializable {

    private static final long serialVersionUID = 1L;

    private long correct;
    private long total;

    /** Adds the rows of {@code scores}, labelled {@code labels[offset..]}. */
    public void add(Rows scores, long[] labels, long offset) {
        int[] top = scores.top();
        for (int r = 0; r < top.length; r++) {
            if (top[r] == labels[(int) (offset + r)]) {
                correct++;
            }
        }
        total += top.length;
    }

    /** Adds the samples {@code other} counted (disjoint from this one's). */
    public void merge(Accuracy other) {
        correct += other.correct;
        total += other.total;
    }

    public long correct() {
        return correct;
    }

    public long total() {
        return total;
    }

    /** Fraction correct in [0, 1]; NaN before any sample. */
    public double value() {
        return total == 0 ? Double.NaN : (double) correct / total;
    }
}
