package dev.edgecompress.runtime.training;

import dev.edgecompress.ir.training.TrainingSettings;
import java.nio.file.Path;

/**
 * One training run: the settings the user chose, and what the runtime adds to them.
 *
 * @param settings epochs, step size, batch, optimizer, weight decay, step size decay, BatchNormalization mode
 * @param seed for the order of samples
 * @param stopAtAccuracy training ends after the first epoch whose held-out top-1 accuracy reaches
 *     this (early stop); NaN trains every epoch
 * @param checkpoint a directory where the state is saved after every epoch and from which an
 *     interrupted run of the same training resumes; null for none
 */
public record TrainingConfig(TrainingSettings settings, long seed, double stopAtAccuracy, Path checkpoint) {

    public TrainingConfig {
        if (settings == null) {
            throw new NullPointerException("settings");
        }
    }

    /** Every epoch, without early stop or checkpoints. */
    public TrainingConfig(TrainingSettings settings, long seed) {
        this(settings, seed, Double.NaN, null);
    }

    /** Adam at a constant learning rate, no weight decay, every epoch. */
    public TrainingConfig(int epochs, double learningRate, int batch, long seed) {
        this(TrainingSettings.of(epochs, learningRate, batch), seed);
    }

    /** This config, ending early once held-out top-1 accuracy reaches {@code accuracy}. */
    public TrainingConfig stoppingAt(double accuracy) {
        return new TrainingConfig(settings, seed, accuracy, checkpoint);
    }

    /** This config, saving its state to {@code directory} after every epoch and resuming from it. */
    public TrainingConfig withCheckpoint(Path directory) {
        return new TrainingConfig(settings, seed, stopAtAccuracy, directory);
    }

    /** What makes two trainings the same run, for checkpoints: everything but where they are kept. */
    String identity() {
        return settings.epochs() + "," + settings.learningRate() + "," + settings.batch() + "," + seed + ","
                + settings.optimizer().id() + "," + settings.weightDecay() + "," + settings.decay() + ","
                + stopAtAccuracy + "," + (settings.batchNorm() == dev.edgecompress.ir.training.BatchNormMode.TRAIN);
    }
}
