package dev.edgecompress.passes;

import dev.edgecompress.ir.SettingException;
import dev.edgecompress.passes.finetune.Trainer;
import java.util.function.BiConsumer;

/**
 * What a pass may use besides the model: a place to report progress, calibration data (as an
 * {@link ActivationSource}) for passes that measure activations, a {@link Trainer}, and a
 * {@link ModelRunner} for passes that check their rewrite on a runtime.
 */
public final class PassContext {

    private final BiConsumer<String, Double> progress;
    private final ActivationSource activations;
    private final Trainer trainer;
    private final ModelRunner runner;

    private PassContext(BiConsumer<String, Double> progress, ActivationSource activations, Trainer trainer,
            ModelRunner runner) {
        this.progress = progress;
        this.activations = activations;
        this.trainer = trainer;
        this.runner = runner;
    }

    public static PassContext quiet() {
        return new PassContext((task, fraction) -> { }, null, null, null);
    }

    /** A context that reports progress as (task, fraction done in [0, 1]). */
    public static PassContext reportingTo(BiConsumer<String, Double> listener) {
        return new PassContext(listener, null, null, null);
    }

    /** This context with calibration data. */
    public PassContext withActivations(ActivationSource source) {
        return new PassContext(progress, source, trainer, runner);
    }

    /** This context with a trainer over training data. */
    public PassContext withTrainer(Trainer training) {
        return new PassContext(progress, activations, training, runner);
    }

    /** This context with a runner that checks rewrites which must not change results. */
    public PassContext withRunner(ModelRunner modelRunner) {
        return new PassContext(progress, activations, trainer, modelRunner);
    }

    /** The runner, or null when passes cannot run models here (checks are then skipped and said so). */
    public ModelRunner runner() {
        return runner;
    }

    /** The trainer; fails with the reason when there is no training data. */
    public Trainer trainer(String pass) {
        if (trainer == null) {
            throw new SettingException("training", pass + " needs labelled training data (--train)");
        }
        return trainer;
    }

    /** The calibration data; fails with the reason when there is none. */
    public ActivationSource activations(String pass) {
        if (activations == null) {
            throw new SettingException("calibration", pass + " needs calibration data (--calib, or --train or"
                    + " --data to sample from)");
        }
        return activations;
    }

    public void progress(String task, double fraction) {
        progress.accept(task, fraction);
    }
}
