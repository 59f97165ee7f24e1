package dev.edgecompress.runtime.training.translation;

import dev.edgecompress.ir.Value;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;

/**
 * BatchNormalization's running means and variances as variables, keyed by their initializers,
 * the ops that move them towards each batch's statistics, and the switch between the two:
 * {@link #batchStatistics()} is fed 1 while training normalizes by batch statistics (0, the
 * default, uses the running ones).
 */
public final class BatchNormStatistics {

    private final Map<Value, Variable<TFloat32>> running = new LinkedHashMap<>();
    private final List<Op> updates = new ArrayList<>();
    private final Operand<TFloat32> batchStatistics;

    BatchNormStatistics(Ops tf) {
        this.batchStatistics = tf.placeholderWithDefault(tf.constant(0f), Shape.scalar());
    }

    /** The running statistics, by the initializer each was made from. */
    public Map<Value, Variable<TFloat32>> running() {
        return Collections.unmodifiableMap(running);
    }

    /** The updates of the running statistics, to run with each training step. */
    public List<Op> updates() {
        return Collections.unmodifiableList(updates);
    }

    public Operand<TFloat32> batchStatistics() {
        return batchStatistics;
    }

    Variable<TFloat32> variable(Value initializer, java.util.function.Supplier<Variable<TFloat32>> make) {
        return running.computeIfAbsent(initializer, v -> make.get());
    }

    void addUpdate(Op update) {
        updates.add(update);
    }
}
