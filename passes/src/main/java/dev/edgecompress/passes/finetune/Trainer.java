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
     * What training did: one entry per epoch for the report (loss, seconds, samples per second,
     * sparsity under a schedule, held-out accuracy where there is held-out data), and the trained
     * range of every fake-quantized activation, and the device that trained (cpu, gpu).
     */
    record Result(List<Map<String, Object>> epochs, Map<String, double[]> activationRanges, String device) {
    }

    /**
     * Fine-tunes {@code model}'s weights; pruned (zero) weights stay zero, and where
     * {@code config} has a schedule, more are pruned while training ({@code GradualPruning}).
     * Where {@code quantization} names activations and weights, training sees them as int8 would
     * leave them, and the activations' ranges are trained too; the weights written back stay float.
     */
    Result train(Model model, FineTuneConfig config, FakeQuantization quantization,
            BiConsumer<String, Double> progress);
}
