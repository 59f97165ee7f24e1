package dev.edgecompress.passes;

import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Tensor;
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

    /** Samples in the calibration data. */
    long samples();
}
