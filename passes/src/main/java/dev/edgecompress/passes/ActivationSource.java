package dev.edgecompress.passes;

import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Tensor;
import java.io.Serializable;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Runs a model on calibration data and hands back intermediate values, batch by batch, so that a
 * pass can measure activation ranges without holding them all. Implemented with ONNX Runtime
 * outside this module; passes only see this interface.
 */
public interface ActivationSource {

    /**
     * Runs {@code model} (unchanged) with the values named {@code values} exposed as outputs over
     * the whole calibration data; calls {@code batch} with each batch's values by name.
     */
    void collect(Model model, List<String> values, Consumer<Map<String, Tensor>> batch);

    /**
     * Adds every batch's values to {@code statistic} and returns it. A source whose data is split
     * over a cluster adds each part to its own copy there and merges the copies here, which gives
     * the same statistic, exactly, as adding every batch in turn.
     */
    default <S extends Statistic<S>> S reduce(Model model, List<String> values, S statistic) {
        collect(model, values, statistic::add);
        return statistic;
    }

    /** Samples in the calibration data. */
    long samples();

    /**
     * What calibration measures over the batches, kept so that the parts of a split dataset merge
     * into exactly what the whole gives (minima and maxima, integer counts), whatever the split.
     */
    interface Statistic<S extends Statistic<S>> extends Serializable {

        /** Adds one batch's values, by name. */
        void add(Map<String, Tensor> batch);

        /** Adds what {@code other} measured on other batches. */
        void merge(S other);
    }
}
