package dev.edgecompress.benchmarks;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;

/**
 * Peak heap use during a piece of work: the sum of every heap pool's peak since {@link #reset()}
 * (an upper bound, as the pools peak at different moments).
 */
final class PeakHeap {

    private PeakHeap() {
    }

    /** Collects garbage and starts a new peak. */
    static void reset() {
        System.gc();
        ManagementFactory.getMemoryPoolMXBeans().forEach(MemoryPoolMXBean::resetPeakUsage);
    }

    static long bytes() {
        return ManagementFactory.getMemoryPoolMXBeans().stream().filter(p -> p.getType() == MemoryType.HEAP)
                .mapToLong(p -> p.getPeakUsage().getUsed()).sum();
    }
}
