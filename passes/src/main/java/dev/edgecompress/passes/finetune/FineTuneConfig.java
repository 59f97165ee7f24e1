package dev.edgecompress.passes.finetune;

import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.training.TrainingSettings;
import dev.edgecompress.passes.pruning.PolynomialDecay;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * How a training pass trains: the shared training settings, and what the pass adds to them.
 *
 * @param settings epochs, step size, batch, optimizer, weight decay, step size decay, BatchNormalization mode
 * @param distill the share of the loss that learns the original model's softened outputs
 *     (knowledge distillation), in [0, 1]; 0 learns from the labels only
 * @param temperature how much distillation softens both models' outputs, at least 1
 * @param schedule gradual pruning while training (global L1 up to its final sparsity), or null for none
 * @param earlyStop whether training ends after the first epoch whose held-out accuracy meets the
 *     accuracy gate (the trainer is given the target)
 */
public record FineTuneConfig(TrainingSettings settings, double distill, double temperature, PolynomialDecay schedule,
        boolean earlyStop) {

    /** The temperature when none is given: 1; higher ones measured worse (docs/BENCHMARKS.md). */
    public static final double DEFAULT_TEMPERATURE = 1;

    public FineTuneConfig {
        if (settings == null) {
            throw new NullPointerException("settings");
        }
        if (!(distill >= 0 && distill <= 1)) {
            throw new SettingException("distill", "must be a share of the loss in [0, 1], got " + distill);
        }
        if (!(temperature >= 1)) {
            throw new SettingException("temperature", "must be at least 1, got " + temperature);
        }
    }

    /** Training alone: no distillation, no pruning schedule, every epoch. */
    public FineTuneConfig(TrainingSettings settings) {
        this(settings, 0, DEFAULT_TEMPERATURE, null, false);
    }

    /** What the report shows of this configuration, named as a recipe's fields. */
    public Map<String, Object> params() {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("epochs", settings.epochs());
        params.put("lr", settings.learningRate());
        params.put("batch", settings.batch());
        params.put("optimizer", settings.optimizer().id());
        if (settings.weightDecay() > 0) {
            params.put("weight_decay", settings.weightDecay());
        }
        params.put("decay", settings.decay().id());
        params.put("batch_norm", settings.batchNorm().id());
        if (distill > 0) {
            params.put("distill", distill);
            params.put("temperature", temperature);
        }
        if (earlyStop) {
            params.put("early_stop", true);
        }
        if (schedule != null) {
            Map<String, Object> pruning = new LinkedHashMap<>();
            pruning.put("method", "l1");
            pruning.putAll(schedule.params());
            params.put("schedule", pruning);
        }
        return params;
    }
}
