package dev.edgecompress.runtime.training;

/**
 * How to fine-tune.
 *
 * @param epochs passes over the training data
 * @param learningRate Adam's step size
 * @param batch samples per step
 * @param seed for the order of samples
 */
public record TrainingConfig(int epochs, double learningRate, int batch, long seed) {

    public TrainingConfig {
        if (epochs < 1 || !(learningRate > 0) || batch < 1) {
            throw new IllegalArgumentException("epochs and batch must be positive and the learning rate above 0");
        }
    }
}
