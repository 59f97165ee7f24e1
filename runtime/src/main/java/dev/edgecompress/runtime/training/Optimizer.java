package dev.edgecompress.runtime.training;

import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * How a weight moves with its gradient, as TensorFlow's training ops (and Keras's defaults)
 * compute it. Each keeps its state (moments, accumulators) in variables beside the weight.
 */
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

    static final float BETA1 = 0.9f;
    static final float BETA2 = 0.999f;
    private static final float EPSILON = 1e-7f;

    /** The optimizer named (adam, sgd, momentum, rmsprop, adagrad). */
    public static Optimizer parse(String name) {
        for (Optimizer optimizer : values()) {
            if (optimizer.id().equals(name)) {
                return optimizer;
            }
        }
        throw new IllegalArgumentException("unknown optimizer '" + name + "'; known: adam, sgd, momentum, rmsprop,"
                + " adagrad");
    }

    public String id() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }

    /**
     * The update of {@code weight} by {@code gradient} at step size {@code rate}; Adam also reads
     * beta1^t and beta2^t of the current step t.
     */
    Op update(Ops tf, Variable<TFloat32> weight, Operand<TFloat32> gradient, Operand<TFloat32> rate,
            Operand<TFloat32> beta1Power, Operand<TFloat32> beta2Power) {
        return switch (this) {
            case ADAM -> tf.train.applyAdam(weight, slot(tf, weight, 0), slot(tf, weight, 0), beta1Power, beta2Power,
                    rate, tf.constant(BETA1), tf.constant(BETA2), tf.constant(EPSILON), gradient);
            case SGD -> tf.train.applyGradientDescent(weight, rate, gradient);
            case MOMENTUM -> tf.train.applyMomentum(weight, slot(tf, weight, 0), rate, gradient, tf.constant(0.9f));
            case RMSPROP -> tf.train.applyRmsProp(weight, slot(tf, weight, 0), slot(tf, weight, 0), rate,
                    tf.constant(0.9f), tf.constant(0f), tf.constant(EPSILON), gradient);
            case ADAGRAD -> tf.train.applyAdagradV2(weight, slot(tf, weight, 0.1f), rate, tf.constant(EPSILON),
                    gradient);
        };
    }

    /** A state variable shaped as {@code weight}, filled with {@code initial}. */
    private static Variable<TFloat32> slot(Ops tf, Variable<TFloat32> weight, float initial) {
        Ops init = tf.withInitScope();
        return init.variable(init.fill(init.shape(weight), init.constant(initial)));
    }
}
