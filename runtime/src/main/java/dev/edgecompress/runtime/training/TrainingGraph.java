package dev.edgecompress.runtime.training;

import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.runtime.training.translation.GraphTranslation;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Constant;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt32;

/**
 * A model translated into TensorFlow, with its session: the placeholders of the model's inputs,
 * the operands of its outputs, and the variables training changes (weights, trained activation
 * ranges, BatchNormalization's running statistics), each keyed by the IR value it stands for.
 * Names appear only where values leave (weights by initializer name). Owns the graph and the
 * session; close it.
 */
final class TrainingGraph implements AutoCloseable {

    /** The trained range of a fake-quantized activation. */
    record Range(Variable<TFloat32> min, Variable<TFloat32> max) {
    }

    /**
     * A weight whose values are shared: its distinct non-zero values as one variable, and for each
     * element the index of its value there ({@code values}' size for a zero).
     */
    record Shared(Variable<TFloat32> values, Constant<TInt32> index, int count) {
    }

    final Graph graph;
    final Ops tf;
    final Session session;
    final TrainingDevice device;
    final Map<Value, Placeholder<?>> inputs;
    final Map<Value, Operand<?>> outputs;
    final Map<Value, Variable<TFloat32>> weights;
    /** Zero patterns of pruned weights, kept through training. */
    final Map<Value, float[]> masks;
    /** Weights trained by their shared values (clustered), a subset of {@link #weights}. */
    final Map<Value, Shared> shared;
    final Map<Value, Range> ranges;
    final Map<Value, Integer> weightAxes;
    final GraphTranslation translation;
    /** A digest of the starting weights: part of a checkpoint's fingerprint. */
    final int initialWeightsDigest;
    private boolean initialized;

    TrainingGraph(Graph graph, Ops tf, Session session, TrainingDevice device, Map<Value, Placeholder<?>> inputs,
            Map<Value, Operand<?>> outputs, Map<Value, Variable<TFloat32>> weights, Map<Value, float[]> masks,
            Map<Value, Shared> shared, Map<Value, Range> ranges, Map<Value, Integer> weightAxes, GraphTranslation translation,
            int initialWeightsDigest) {
        this.graph = graph;
        this.tf = tf;
        this.session = session;
        this.device = device;
        this.inputs = inputs;
        this.outputs = outputs;
        this.weights = weights;
        this.masks = masks;
        this.shared = shared;
        this.ranges = ranges;
        this.weightAxes = weightAxes;
        this.translation = translation;
        this.initialWeightsDigest = initialWeightsDigest;
    }

    void initialize() {
        if (!initialized) {
            session.initialize();
            initialized = true;
        }
    }

    /** The first output, which training and evaluation read as the logits. */
    Operand<TFloat32> logits() {
        Operand<?> first = outputs.values().iterator().next();
        if (first.type() != TFloat32.class) {
            throw new IllegalArgumentException("training reads the first output as logits; it is not float");
        }
        @SuppressWarnings("unchecked")
        Operand<TFloat32> logits = (Operand<TFloat32>) first;
        return logits;
    }

    /** The placeholder of the first input, which training and evaluation feed. */
    Placeholder<?> firstInput() {
        return inputs.values().iterator().next();
    }

    /** The trained weight named {@code name}, or null. */
    Value weightNamed(String name) {
        return weights.keySet().stream().filter(v -> v.name().equals(name)).findFirst().orElse(null);
    }

    /** The current values of {@code variables}, in their order. */
    List<float[]> read(Collection<? extends Operand<TFloat32>> variables) {
        initialize();
        if (variables.isEmpty()) {
            return List.of();
        }
        Session.Runner runner = session.runner();
        variables.forEach(runner::fetch);
        try (Result r = runner.run()) {
            return java.util.stream.IntStream.range(0, variables.size()).mapToObj(i -> floats((TFloat32) r.get(i)))
                    .toList();
        }
    }

    /** The current values of {@code values}' weight variables, by value. */
    Map<Value, float[]> weightValues(Collection<Value> values) {
        List<float[]> read = read(values.stream().map(weights::get).toList());
        Map<Value, float[]> result = new LinkedHashMap<>();
        int i = 0;
        for (Value value : values) {
            result.put(value, read.get(i++));
        }
        return result;
    }

    /**
     * The current values of the trained weights and of BatchNormalization's running statistics,
     * by initializer name, in their ONNX layouts.
     */
    Map<String, Tensor> weightsByName() {
        Map<String, Tensor> result = new LinkedHashMap<>();
        weightValues(weights.keySet()).forEach((value, data) -> result.put(value.name(),
                Tensor.ofFloats(weights.get(value).shape().asArray(), data)));
        Map<Value, Variable<TFloat32>> statistics = translation.statistics().running();
        List<float[]> read = read(statistics.values());
        int i = 0;
        for (Map.Entry<Value, Variable<TFloat32>> statistic : statistics.entrySet()) {
            result.put(statistic.getKey().name(), Tensor.ofFloats(statistic.getValue().shape().asArray(),
                    read.get(i++)));
        }
        return result;
    }

    /** The trained {min, max} of every fake-quantized activation, by value name. */
    Map<String, double[]> activationRanges() {
        List<Variable<TFloat32>> bounds = ranges.values().stream().flatMap(r -> java.util.stream.Stream.of(r.min(),
                r.max())).toList();
        List<float[]> read = read(bounds);
        Map<String, double[]> result = new LinkedHashMap<>();
        int i = 0;
        for (Value value : ranges.keySet()) {
            result.put(value.name(), new double[] {read.get(i++)[0], read.get(i++)[0]});
        }
        return result;
    }

    static float[] floats(TFloat32 tensor) {
        float[] values = new float[(int) tensor.shape().size()];
        tensor.asRawTensor().data().asFloats().read(values);
        return values;
    }

    @Override
    public void close() {
        session.close();
        graph.close();
    }
}
