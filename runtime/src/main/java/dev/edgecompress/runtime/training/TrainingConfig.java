package dev.edgecompress.runtime.training;

/**
 * How to fine-tune.
 *
 * @param epochs passes over the training data
 * @param learningRate the optimizer's step size (at the start, where it decays)
 * @param batch samples per step
 * @param seed for the order of samples
 * @param optimizer how weights move with their gradients
 * @param weightDecay added to each gradient times its weight (L2 regularization, as PyTorch's
 *     {@code weight_decay}); 0 for none
 * @param decay how the step size changes over training
 * @param stopAtAccuracy training ends after the first epoch whose held-out top-1 accuracy reaches
 *     this (early stop); NaN trains every epoch
 * @param batchNormStatistics whether BatchNormalization normalizes by each batch's statistics while
 *     training and updates its running statistics (as PyTorch's {@code train()}), rather than
 *     keeping them frozen
 * @param checkpoint a directory where the state is saved after every epoch and from which an
 *     interrupted run of the same training resumes; null for none
 */
public record TrainingConfig(int epochs, double learningRate, int batch, long seed, Optimizer optimizer,
        double weightDecay, Decay decay, double stopAtAccuracy, boolean batchNormStatistics,
        java.nio.file.Path checkpoint) {

    /** How the step size changes over the training steps. */
    public enum Decay {
        /** The same at every step. */
        CONSTANT,
        /** Along a half cosine to zero at the last step (PyTorch's {@code CosineAnnealingLR}, eta_min 0). */
        COSINE,
        /** Divided by 10 after half of the steps and again after three quarters ({@code MultiStepLR}). */
        STEP;

        /** The decay named (constant, cosine, step). */
        public static Decay parse(String name) {
            for (Decay decay : values()) {
                if (decay.name().toLowerCase(java.util.Locale.ROOT).equals(name)) {
                    return decay;
                }
            }
            throw new IllegalArgumentException("unknown decay '" + name + "'; known: constant, cosine, step");
        }
    }

    public TrainingConfig {
        if (epochs < 1 || !(learningRate > 0) || batch < 1 || !(weightDecay >= 0)) {
            throw new IllegalArgumentException("epochs and batch must be positive, the learning rate above 0 and the"
                    + " weight decay at least 0");
        }
    }

    /** Adam at a constant learning rate, no weight decay. */
    public TrainingConfig(int epochs, double learningRate, int batch, long seed) {
        this(epochs, learningRate, batch, seed, Optimizer.ADAM, 0, Decay.CONSTANT);
    }

    /** Every epoch, without early stop, BatchNormalization on batch statistics. */
    public TrainingConfig(int epochs, double learningRate, int batch, long seed, Optimizer optimizer,
            double weightDecay, Decay decay) {
        this(epochs, learningRate, batch, seed, optimizer, weightDecay, decay, Double.NaN, true, null);
    }

    /** This config, ending early once held-out top-1 accuracy reaches {@code accuracy}. */
    public TrainingConfig stoppingAt(double accuracy) {
        return new TrainingConfig(epochs, learningRate, batch, seed, optimizer, weightDecay, decay, accuracy,
                batchNormStatistics, checkpoint);
    }

    /** This config with BatchNormalization's statistics trained or frozen. */
    public TrainingConfig withBatchNormStatistics(boolean train) {
        return new TrainingConfig(epochs, learningRate, batch, seed, optimizer, weightDecay, decay, stopAtAccuracy,
                train, checkpoint);
    }

    /** This config, saving its state to {@code directory} after every epoch and resuming from it. */
    public TrainingConfig withCheckpoint(java.nio.file.Path directory) {
        return new TrainingConfig(epochs, learningRate, batch, seed, optimizer, weightDecay, decay, stopAtAccuracy,
                batchNormStatistics, directory);
    }

    /** What makes two trainings the same run, for checkpoints: everything but where they are kept. */
    String identity() {
        return epochs + "," + learningRate + "," + batch + "," + seed + "," + optimizer.id() + "," + weightDecay + ","
                + decay + "," + stopAtAccuracy + "," + batchNormStatistics;
    }

    /** Training steps in all over {@code samples}: one per batch, every epoch. */
    public long steps(long samples) {
        return epochs * ((samples + batch - 1) / batch);
    }

    /** The step size at training step {@code step} (from 1) of {@code steps}. */
    public double learningRateAt(long step, long steps) {
        return switch (decay) {
            case CONSTANT -> learningRate;
            case COSINE -> learningRate * 0.5 * (1 + Math.cos(Math.PI * (step - 1) / steps));
            case STEP -> learningRate * (step > 0.75 * steps ? 0.01 : step > 0.5 * steps ? 0.1 : 1);
        };
    }
}
