package dev.edgecompress.runtime.metrics;

import java.io.Serializable;
import java.math.BigDecimal;

/**
 * A sum of doubles kept exactly, so that adding the same terms in any grouping or order gives the
 * same value: metrics summed batch by batch here, or per shard on a cluster and merged, agree to
 * the last bit.
 */
final class ExactSum implements Serializable {

    private static final long serialVersionUID = 1L;

    private BigDecimal total = BigDecimal.ZERO;

    void add(double term) {
        total = total.add(new BigDecimal(term));
    }

    void add(ExactSum other) {
        total = total.add(other.total);
    }

    /** The sum, rounded once to the nearest double. */
    double value() {
        return total.doubleValue();
    }
}
