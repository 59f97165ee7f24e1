package dev.edgecompress.passes.finetune;

import dev.edgecompress.passes.PassConfigException;
import dev.edgecompress.passes.pruning.PolynomialDecay;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * How to fine-tune.
 *
 * @param epochs passes over the training data
 * @param learningRate the optimizer's step size (at the start, where it decays)
 * @param batch samples per step
 * @param optimizer adam, sgd, momentum (0.9), rmsprop or adagrad
 * @param weightDecay L2 regularization: the weight times this is added to its gradient
 * @param decay how the step size changes: constant, cosine (to zero by the last step) or step
 *     (divided by 10 at half and three quarters of the steps)
 * @param distill the share of the loss that learns the original model's softened outputs
 *     (knowledge distillation), in [0, 1]; 0 learns from the labels only
 * @param temperature how much distillation softens both models' outputs, at least 1
 * @param schedule gradual pruning while training (global L1 up to its final sparsity), or null for none
 * @param earlyStop whether training ends after the first epoch whose held-out accuracy meets the
 *     accuracy gate (the trainer is given the target)
 * @param batchNorm train: BatchNormalization normalizes by batch statistics and updates its running
 *     ones (as PyTorch's train()); frozen: it keeps the running ones
 */
public record FineTuneConfig(int epochs, double learningRate, int batch, String optimizer, double weightDecay,
        String decay, double distill, double temperature, PolynomialDecay schedule, boolean earlyStop,
        String batchNorm) {

    public static final Set<String> OPTIMIZERS = Set.of("adam", "sgd", "momentum", "rmsprop", "adagrad");
    public static final Set<String> DECAYS = Set.of("constant", "cosine", "step");

    /** The temperature when none is given: 1; higher ones measured worse (docs/BENCHMARKS.md). */
    public static final double DEFAULT_TEMPERATURE = 1;

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
        if (!OPTIMIZERS.contains(optimizer)) {
            throw new PassConfigException("optimizer", "must be one of " + new TreeSet<>(OPTIMIZERS) + ", got '"
                    + optimizer + "'");
        }
        if (!(weightDecay >= 0 && weightDecay < 1)) {
            throw new PassConfigException("weight_decay", "must be in [0, 1), got " + weightDecay);
        }
        if (!DECAYS.contains(decay)) {
            throw new PassConfigException("decay", "must be one of " + new TreeSet<>(DECAYS) + ", got '" + decay + "'");
        }
        if (!batchNorm.equals("train") && !batchNorm.equals("frozen")) {
            throw new PassConfigException("batch_norm", "must be train or frozen, got '" + batchNorm + "'");
        }
        if (!(distill >= 0 && distill <= 1)) {
            throw new PassConfigException("distill", "must be a share of the loss in [0, 1], got " + distill);
        }
        if (!(temperature >= 1)) {
            throw new PassConfigException("temperature", "must be at least 1, got " + temperature);
        }
    }

    public Map<String, Object> params() {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("epochs", epochs);
        params.put("lr", learningRate);
        params.put("batch", batch);
        params.put("optimizer", optimizer);
        if (weightDecay > 0) {
            params.put("weight_decay", weightDecay);
        }
        params.put("decay", decay);
        params.put("batch_norm", batchNorm);
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
