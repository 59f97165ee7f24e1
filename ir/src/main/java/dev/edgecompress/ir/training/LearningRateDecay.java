package dev.edgecompress.ir.training;

import java.util.Locale;

/** How the step size changes over the training steps. */
public enum LearningRateDecay {
    /** The same at every step. */
    CONSTANT,
    /** Along a half cosine to zero at the last step (PyTorch's {@code CosineAnnealingLR}, eta_min 0). */
    COSINE,
    /** Divided by 10 after half of the steps and again after three quarters ({@code MultiStepLR}). */
    STEP;

    /** The decay named (constant, cosine, step). */
    public static LearningRateDecay parse(String name) {
        return Settings.parse(LearningRateDecay.class, "decay", name);
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The step size at training step {@code step} (from 1) of {@code steps}, starting from {@code rate}. */
    public double rateAt(double rate, long step, long steps) {
        return switch (this) {
            case CONSTANT -> rate;
            case COSINE -> rate * 0.5 * (1 + Math.cos(Math.PI * (step - 1) / steps));
            case STEP -> rate * (step > 0.75 * steps ? 0.01 : step > 0.5 * steps ? 0.1 : 1);
        };
    }
}
