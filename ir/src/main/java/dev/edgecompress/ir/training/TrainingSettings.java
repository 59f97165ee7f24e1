package dev.edgecompress.ir.training;

import dev.edgecompress.ir.SettingException;

/**
 * How to train, as a user sets it: the one training configuration that steps, passes and the
 * runtime's trainer share.
 *
 * @param epochs passes over the training data
 * @param learningRate the optimizer's step size (at the start, where it decays)
 * @param batch samples per step
 * @param optimizer how weights move with their gradients
 * @param weightDecay L2 regularization: the weight times this is added to its gradient (as
 *     PyTorch's {@code weight_decay}); 0 for none
 * @param decay how the step size changes over training
 * @param batchNorm what BatchNormalization does while training
 */
public record TrainingSettings(int epochs, double learningRate, int batch, Optimizer optimizer, double weightDecay,
        LearningRateDecay decay, BatchNormMode batchNorm) {

    /** Samples per step when none is given. */
    public static final int DEFAULT_BATCH = 64;

    public TrainingSettings {
        if (epochs < 1) {
            throw new SettingException("epochs", "must be at least 1, got " + epochs);
        }
        if (!(learningRate > 0 && learningRate < 1)) {
            throw new SettingException("lr", "must be in (0, 1), got " + learningRate);
        }
        if (batch < 1) {
            throw new SettingException("batch", "must be at least 1, got " + batch);
        }
        if (!(weightDecay >= 0 && weightDecay < 1)) {
            throw new SettingException("weight_decay", "must be in [0, 1), got " + weightDecay);
        }
        if (optimizer == null || decay == null || batchNorm == null) {
            throw new NullPointerException("optimizer, decay and batch norm mode are required");
        }
    }

    /** Adam at a constant step size, no weight decay, BatchNormalization on batch statistics. */
    public static TrainingSettings of(int epochs, double learningRate, int batch) {
        return new TrainingSettings(epochs, learningRate, batch, Optimizer.ADAM, 0, LearningRateDecay.CONSTANT,
                BatchNormMode.TRAIN);
    }

    public TrainingSettings withOptimizer(Optimizer value) {
        return new TrainingSettings(epochs, learningRate, batch, value, weightDecay, decay, batchNorm);
    }

    public TrainingSettings withDecay(LearningRateDecay value) {
        return new TrainingSettings(epochs, learningRate, batch, optimizer, weightDecay, value, batchNorm);
    }

    public TrainingSettings withBatchNorm(BatchNormMode value) {
        return new TrainingSettings(epochs, learningRate, batch, optimizer, weightDecay, decay, value);
    }

    /** Training steps in all over {@code samples}: one per batch, every epoch. */
    public long steps(long samples) {
        return epochs * ((samples + batch - 1) / batch);
    }

    /** The step size at training step {@code step} (from 1) of {@code steps}. */
    public double learningRateAt(long step, long steps) {
        return decay.rateAt(learningRate, step, steps);
    }
}
