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
 * @param keepClusters whether weights whose non-zero values are shared (after {@code cluster})
 *     keep them shared: each distinct value trains as one, by the sum of its members' gradients,
 *     and every member follows it; a pruning schedule cannot go with it
 */
public record FineTuneConfig(TrainingSettings settings, double distill, double temperature, PolynomialDecay schedule,
        boolean earlyStop, boolean keepClusters) {

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
        if (keepClusters && schedule != null) {
            throw new SettingException("schedule", "pruning while training would split the shared values of"
                    + " clustered weights; prune before clustering");
        }
    }

    /** Training alone: no distillation, no pruning schedule, every epoch. */
    public FineTuneConfig(TrainingSettings settings) {
        this(settings, 0, DEFAULT_TEMPERATURE, null, false, false);
    }

    /** This training, keeping clustered weights' shared values shared. */
    public FineTuneConfig keepingClusters() {
        return new FineTuneConfig(settings, distill, temperature, schedule, earlyStop, true);
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
        if (keepClusters) {
            params.put("keep_clusters", true);
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
