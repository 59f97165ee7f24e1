package dev.edgecompress.runtime.training;

/**
 * How to fine-tune.
 *
 * @param epochs passes over the training data
 * @param learningRate Adam's step size (at the start, under cosine decay)
 * @param batch samples per step
 * @param seed for the order of samples
 * @param cosineDecay whether the step size falls along a half cosine to zero at the last step
 *     (as PyTorch's {@code CosineAnnealingLR} with {@code eta_min} 0), else stays constant
 */
public record TrainingConfig(int epochs, double learningRate, int batch, long seed, boolean cosineDecay) {

    public TrainingConfig {
        if (epochs < 1 || !(learningRate > 0) || batch < 1) {
            throw new IllegalArgumentException("epochs and batch must be positive and the learning rate above 0");
        }
    }

    /** A constant learning rate. */
    public TrainingConfig(int epochs, double learningRate, int batch, long seed) {
        this(epochs, learningRate, batch, seed, false);
    }

    /** Training steps in all over {@code samples}: one per batch, every epoch. */
    public long steps(long samples) {
        return epochs * ((samples + batch - 1) / batch);
    }

    /** The step size at training step {@code step} (from 1) of {@code steps}. */
    public double learningRateAt(long step, long steps) {
        return cosineDecay ? learningRate * 0.5 * (1 + Math.cos(Math.PI * (step - 1) / steps)) : learningRate;
    }
}
