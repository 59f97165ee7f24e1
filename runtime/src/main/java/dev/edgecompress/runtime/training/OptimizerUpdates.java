package dev.edgecompress.runtime.training;

import dev.edgecompress.ir.training.Optimizer;
import org.tensorflow.Operand;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * The update of a weight by its gradient for each {@link Optimizer}, as TensorFlow's training ops
 * (and Keras's defaults) compute it. Each keeps its state (moments, accumulators) in variables
 * beside the weight.
 */
final class OptimizerUpdates {

    static final float BETA1 = 0.9f;
    static final float BETA2 = 0.999f;
    private static final float EPSILON = 1e-7f;

    private OptimizerUpdates() {
    }

    /**
     * The update of {@code weight} by {@code gradient} at step size {@code rate}; Adam also reads
     * beta1^t and beta2^t of the current step t.
     */
    static Op update(Optimizer optimizer, Ops tf, Variable<TFloat32> weight, Operand<TFloat32> gradient, Operand<TFloat32> rate,
            Operand<TFloat32> beta1Power, Operand<TFloat32> beta2Power) {
        return switch (optimizer) {
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
