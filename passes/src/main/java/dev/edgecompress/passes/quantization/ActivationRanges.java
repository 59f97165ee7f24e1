package dev.edgecompress.passes.quantization;

import dev.edgecompress.ir.Tensor;
import dev.edgecompress.passes.ActivationSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The calibration statistic of static quantization: a {@link RangeCollector} per activation, in its
 * first pass (minima and maxima) or, over the ranges that pass merged to, its second (histograms).
 */
final class ActivationRanges implements ActivationSource.Statistic<ActivationRanges> {

    private static final long serialVersionUID = 1L;

    private final Map<String, RangeCollector> collectors;
    private final boolean histograms;

    private ActivationRanges(Map<String, RangeCollector> collectors, boolean histograms) {
        this.collectors = collectors;
        this.histograms = histograms;
    }

    /** The first pass over the activations named {@code names}. */
    static ActivationRanges of(List<String> names) {
        Map<String, RangeCollector> collectors = new LinkedHashMap<>();
        names.forEach(name -> collectors.put(name, new RangeCollector()));
        return new ActivationRanges(collectors, false);
    }

    /** The second pass, binning over the ranges this first pass found. */
    ActivationRanges histograms() {
        return new ActivationRanges(collectors, true);
    }

    RangeCollector get(String name) {
        return collectors.get(name);
    }

    @Override
    public void add(Map<String, Tensor> batch) {
        batch.forEach((name, tensor) -> {
            if (histograms) {
                collectors.get(name).histogram(tensor);
            } else {
                collectors.get(name).observe(tensor);
            }
        });
    }

    @Override
    public void merge(ActivationRanges other) {
        other.collectors.forEach((name, collector) -> collectors.get(name).merge(collector));
    }
}
