package dev.edgecompress.passes.finetune;

import dev.edgecompress.passes.PassConfigException;
import dev.edgecompress.passes.pruning.PolynomialDecay;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How to fine-tune.
 *
 * @param epochs passes over the training data
 * @param learningRate Adam's step size (at the start, under cosine decay)
 * @param batch samples per step
 * @param cosineDecay whether the step size falls along a half cosine to zero by the last step
 * @param schedule gradual pruning while training (global L1 up to its final sparsity), or null for none
 */
public record FineTuneConfig(int epochs, double learningRate, int batch, boolean cosineDecay,
        PolynomialDecay schedule) {

    /** Fine-tuning at a constant step size that prunes nothing more. */
    public FineTuneConfig(int epochs, double learningRate, int batch) {
        this(epochs, learningRate, batch, false, null);
    }

    public FineTuneConfig {
        if (epochs < 1) {
            throw new PassConfigException("epochs", "must be at least 1, got " + epochs);
        }
        if (!(learningRate > 0 && learningRate < 1)) {
            throw new PassConfigException("lr", "must be in (0, 1), got " + learningRate);
        }
        if (batch < 1) {
            throw new PassConfigException("batch", "must be at least 1, got " + batch);
        }
    }

    Map<String, Object> params() {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("epochs", epochs);
        params.put("lr", learningRate);
        params.put("batch", batch);
        params.put("optimizer", "adam");
        params.put("decay", cosineDecay ? "cosine" : "constant");
        if (schedule != null) {
            Map<String, Object> pruning = new LinkedHashMap<>();
            pruning.put("method", "l1");
            pruning.put("initial_sparsity", schedule.initialSparsity());
            pruning.put("final_sparsity", schedule.finalSparsity());
            pruning.put("begin_step", schedule.beginStep());
            pruning.put("end_step", schedule.endStep());
            pruning.put("frequency", schedule.frequency());
            pruning.put("power", schedule.power());
            params.put("schedule", pruning);
        }
        return params;
    }
}
