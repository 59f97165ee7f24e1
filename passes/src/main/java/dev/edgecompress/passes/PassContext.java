package dev.edgecompress.passes;

import java.util.function.BiConsumer;

/**
 * What a pass may use besides the model: a place to report progress, and calibration data (as an
 * {@link ActivationSource}) for passes that measure activations.
 */
public final class PassContext {

    private final BiConsumer<String, Double> progress;
    private final ActivationSource activations;

    private PassContext(BiConsumer<String, Double> progress, ActivationSource activations) {
        this.progress = progress;
        this.activations = activations;
    }

    public static PassContext quiet() {
        return new PassContext((task, fraction) -> { }, null);
    }

    /** A context that reports progress as (task, fraction done in [0, 1]). */
    public static PassContext reportingTo(BiConsumer<String, Double> listener) {
        return new PassContext(listener, null);
    }

    /** This context with calibration data. */
    public PassContext withActivations(ActivationSource source) {
        return new PassContext(progress, source);
    }

    /** The calibration data; fails with the reason when there is none. */
    public ActivationSource activations(String pass) {
        if (activations == null) {
            throw new PassConfigException("calibration", pass + " needs calibration data (--calib, or --data to"
                    + " sample from)");
        }
        return activations;
    }

    public void progress(String task, double fraction) {
        progress.accept(task, fraction);
    }
}
