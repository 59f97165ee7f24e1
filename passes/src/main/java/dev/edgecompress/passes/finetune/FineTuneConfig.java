package dev.edgecompress.passes.finetune;

import dev.edgecompress.passes.PassConfigException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How to fine-tune.
 *
 * @param epochs passes over the training data
 * @param learningRate Adam's step size
 * @param batch samples per step
 */
public record FineTuneConfig(int epochs, double learningRate, int batch) {

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
        return params;
    }
}
