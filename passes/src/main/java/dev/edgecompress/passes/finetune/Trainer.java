package dev.edgecompress.passes.finetune;

import dev.edgecompress.ir.Model;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * Trains a model's weights in place on training data. Implemented with TensorFlow Java outside
 * this module; passes only see this interface.
 */
public interface Trainer {

    /**
     * Fine-tunes {@code model}'s weights; pruned (zero) weights stay zero, and where
     * {@code config} has a schedule, more are pruned while training ({@code GradualPruning}).
     * Returns one entry per epoch (loss, seconds, samples per second, sparsity under a schedule)
     * for the report.
     */
    List<Map<String, Object>> train(Model model, FineTuneConfig config, BiConsumer<String, Double> progress);
}
