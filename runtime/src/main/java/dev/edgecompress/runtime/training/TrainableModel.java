package dev.edgecompress.runtime.training;

import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.runtime.Progress;
import dev.edgecompress.runtime.training.translation.GraphTranslation;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An ONNX model translated into a TensorFlow graph that can be trained: built by
 * {@link TrainingGraphBuilder} (weights become variables in their ONNX layouts, so trained values
 * go back to the ONNX initializers as they are), trained by {@link TrainingLoop}, measured by
 * {@link Evaluator}. Weights that are exactly zero (pruned) stay zero through training, and a
 * {@link MaskSchedule} can prune more as training goes.
 *
 * <p>Made {@linkplain #quantized quantized}, the graph simulates int8 as ONNX Runtime computes it
 * (quantization-aware training): weights pass through symmetric int8 fake quantization, and
 * chosen activations through uint8 fake quantization over a range trained with the weights.
 *
 * <p>Made with shared values kept (after weight clustering), each distinct non-zero value of a
 * weight trains as one variable, moved by the sum of its members' gradients, and every member
 * follows it: the weight keeps as few distinct values as it had.
 *
 * <p>Owns a TensorFlow graph and session: close it. Not thread-safe.
 */
public final class TrainableModel implements AutoCloseable {

    private final TrainingGraph graph;
    private final Evaluator evaluator;
    private final TrainingLoop loop;

    private TrainableModel(TrainingGraph graph) {
        this.graph = graph;
        this.evaluator = new Evaluator(graph);
        this.loop = new TrainingLoop(graph, evaluator);
    }

    /** The nodes of {@code model} whose operators training cannot translate, described. */
    public static List<String> unsupported(Model model) {
        List<String> nodes = new ArrayList<>();
        for (Node node : model.graph().nodes()) {
            if (!node.normalizedDomain().isEmpty() || !GraphTranslation.supported().contains(node.opType())) {
                nodes.add(node.describe());
            }
        }
        return nodes;
    }

    /**
     * Translates {@code model} to train on the best device here ({@link TrainingDevice#best()});
     * fails naming the first operator it cannot translate.
     */
    public static TrainableModel of(Model model) {
        return of(model, TrainingDevice.best());
    }

    /**
     * Translates {@code model} to train on {@code device}.
     *
     * @throws DeviceUnavailableException when {@code device} is a GPU that cannot be used here
     */
    public static TrainableModel of(Model model, TrainingDevice device) {
        return of(model, device, Map.of(), Map.of(), Set.of());
    }

    /**
     * Translates {@code model} with int8 simulated: each activation named in
     * {@code activationRanges} is fake-quantized to uint8 over its range ({min, max}, the starting
     * point of training), and each weight named in {@code weightAxes} to int8, symmetric, per
     * channel along the given axis (per tensor where the axis is -1).
     */
    public static TrainableModel quantized(Model model, TrainingDevice device, Map<String, double[]> activationRanges,
            Map<String, Integer> weightAxes) {
        return of(model, device, activationRanges, weightAxes, Set.of());
    }

    /**
     * Translates {@code model} with int8 simulated as {@link #quantized} does (nothing where both
     * maps are empty), and each trained weight named in {@code sharedWeights} (clustered weights,
     * by initializer name) trained by its distinct non-zero values, which stay shared.
     */
    public static TrainableModel of(Model model, TrainingDevice device, Map<String, double[]> activationRanges,
            Map<String, Integer> weightAxes, Set<String> sharedWeights) {
        return new TrainableModel(TrainingGraphBuilder.build(model, device, activationRanges, weightAxes,
                sharedWeights));
    }

    /** The device this model trains on. */
    public TrainingDevice device() {
        return graph.device;
    }

    /**
     * Runs the translated model (for checking it against ONNX Runtime): every input fed from
     * {@code feeds}; the float outputs, by name.
     */
    public Map<String, float[]> forward(Map<String, Tensor> feeds) {
        return evaluator.forward(feeds);
    }

    /**
     * What one epoch of training did; {@code sparsity} is the fraction of the scheduled weights
     * masked at its end (NaN without a mask schedule), {@code heldOutAccuracy} the top-1 accuracy
     * on held-out data after it (NaN without).
     */
    public record Epoch(int epoch, double loss, double seconds, double samplesPerSecond, double sparsity,
            double heldOutAccuracy) {
    }

    /**
     * Fine-tunes every variable with the configured optimizer on {@code data}'s first input and
     * labels (softmax cross-entropy on the first output), keeping pruned weights at zero. Labels
     * may be missing only under a distillation of weight 1.
     */
    public List<Epoch> train(Dataset data, TrainingConfig config, Progress progress) {
        return train(data, config, MaskSchedule.NONE, null, null, progress);
    }

    /**
     * Fine-tunes as {@link #train(Dataset, TrainingConfig, Progress)}, and: prunes while training
     * (before each step {@code schedule} names, its weights are masked anew from their values);
     * learns also from a teacher's outputs where {@code distillation} is not null; measures top-1
     * accuracy on {@code heldOut} (labelled) after every epoch where it is not null.
     */
    public List<Epoch> train(Dataset data, TrainingConfig config, MaskSchedule schedule, Distillation distillation,
            Dataset heldOut, Progress progress) {
        return loop.train(data, config, schedule, distillation, heldOut, progress);
    }

    /** Top-1 accuracy of the graph as it is now (fake quantization included) on labelled {@code data}. */
    public double accuracy(Dataset data) {
        return evaluator.accuracy(data);
    }

    /**
     * The trained {min, max} of every fake-quantized activation, by value name (empty when the
     * model is not {@linkplain #quantized quantized}).
     */
    public Map<String, double[]> activationRanges() {
        return graph.activationRanges();
    }

    /**
     * The current values of the trained weights and of BatchNormalization's running statistics,
     * by initializer name, in their ONNX layouts.
     */
    public Map<String, Tensor> weights() {
        return graph.weightsByName();
    }

    /**
     * Writes the trained weights back into {@code model}'s initializers, by name (the model this was
     * made from). Masked weights come out of TensorFlow as -0 where they were negative; they are
     * written as 0, so that a pruned model's zeros are one byte pattern (gzip saw the sign bits).
     */
    public void writeBack(Model model) {
        Map<String, Tensor> trained = weights();
        for (Value initializer : model.graph().initializers()) {
            Tensor value = trained.get(initializer.name());
            if (value != null) {
                value = positiveZeros(value);
                Tensor old = initializer.constValue();
                initializer.replaceConstValue(value.withSource(old.storage(), old.preserved()));
            }
        }
    }

    private static Tensor positiveZeros(Tensor tensor) {
        float[] values = tensor.toFloatArray();
        for (int i = 0; i < values.length; i++) {
            values[i] = values[i] == 0 ? 0f : values[i];
        }
        return Tensor.ofFloats(tensor.dims(), values);
    }

    @Override
    public void close() {
        graph.close();
    }
}
