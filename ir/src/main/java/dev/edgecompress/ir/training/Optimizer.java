package dev.edgecompress.ir.training;

import dev.edgecompress.ir.SettingException;
import java.util.Locale;

/** How a weight moves with its gradient (the runtime computes each as TensorFlow's training ops do). */
public enum Optimizer {
    /** Adam: beta1 0.9, beta2 0.999, epsilon 1e-7. */
    ADAM,
    /** Plain stochastic gradient descent. */
    SGD,
    /** Gradient descent with momentum 0.9 (heavy ball). */
    MOMENTUM,
    /** RMSProp: rho 0.9, no momentum, epsilon 1e-7. */
    RMSPROP,
    /** Adagrad: accumulators start at 0.1, epsilon 1e-7. */
    ADAGRAD;

    /** The optimizer named (adam, sgd, momentum, rmsprop, adagrad). */
    public static Optimizer parse(String name) {
        return Settings.parse(Optimizer.class, "optimizer", name);
    }

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }
}
