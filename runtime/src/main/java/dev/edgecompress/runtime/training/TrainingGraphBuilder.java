package dev.edgecompress.runtime.training;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Value;
import dev.edgecompress.runtime.training.translation.GraphTranslation;
import java.util.Arrays;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.tensorflow.Graph;
import org.tensorflow.Operand;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.quantization.FakeQuantWithMinMaxVars;
import org.tensorflow.op.quantization.FakeQuantWithMinMaxVarsPerChannel;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;
import org.tensorflow.types.family.TType;

/**
 * Builds the {@link TrainingGraph} of a model: weights of Conv, Gemm and MatMul (and their
 * biases, and the scales and shifts of normalizations) become variables in their ONNX layouts,
 * inputs become placeholders, the operators are translated by {@link GraphTranslation}. With int8
 * simulated, weights pass through symmetric int8 fake quantization (one scale per output channel,
 * from the weight's current largest magnitude) and chosen activations through uint8 fake
 * quantization over a range trained with the weights. Weights named as shared (clustered) train
 * through their distinct non-zero values ({@link TrainingGraph.Shared}).
 * The builder owns the TensorFlow graph until
 * it hands it over: a build that fails closes it.
 */
final class TrainingGraphBuilder {

    /**
     * Operators whose constant inputs 1 and 2 train: weights and biases, and normalization scales
     * and shifts (BatchNormalization's running statistics, inputs 3 and 4, stay fixed).
     */
    private static final Set<String> TRAINED = Set.of("Conv", "ConvTranspose", "Gemm", "MatMul",
            "BatchNormalization", "LayerNormalization");

    private final Graph graph;
    private final Ops tf;
    private final Map<Value, double[]> activationRanges;
    private final Map<Value, Integer> weightAxes;
    private final Map<Value, Placeholder<?>> inputs = new LinkedHashMap<>();
    private final Map<Value, Operand<?>> outputs = new LinkedHashMap<>();
    private final Map<Value, Variable<TFloat32>> weights = new LinkedHashMap<>();
    private final Map<Value, float[]> masks = new IdentityHashMap<>();
    private final Set<String> sharedWeights;
    private final Map<Value, TrainingGraph.Shared> shared = new LinkedHashMap<>();
    private final Map<Value, TrainingGraph.Range> ranges = new LinkedHashMap<>();
    private int initialWeightsDigest;

    private TrainingGraphBuilder(Graph graph, Map<Value, double[]> activationRanges, Map<Value, Integer> weightAxes,
            Set<String> sharedWeights) {
        this.graph = graph;
        this.sharedWeights = sharedWeights;
        this.tf = Ops.create(graph);
        this.activationRanges = activationRanges;
        this.weightAxes = weightAxes;
    }

    /**
     * Translates {@code model}; {@code activationRanges} ({min, max} to start from) and
     * {@code weightAxes} (the per-channel axis, -1 per tensor) name the activations and weights to
     * fake-quantize; the weights {@code sharedWeights} names train by their distinct non-zero
     * values. Fails naming the first operator it cannot translate, having closed the graph.
     */
    static TrainingGraph build(Model model, TrainingDevice device, Map<String, double[]> activationRanges,
            Map<String, Integer> weightAxes, Set<String> sharedWeights) {
        MissingGradients.register();
        Graph graph = new Graph();
        try {
            TrainingGraphBuilder builder = new TrainingGraphBuilder(graph, byValue(model, activationRanges,
                    "the activation %s to quantize is not computed by the model"), byValue(model, weightAxes,
                    "the weight %s to quantize is not a float weight of Conv, Gemm or MatMul"), sharedWeights);
            return builder.translate(model, device);
        } catch (RuntimeException | Error e) {
            graph.close();
            throw e;
        }
    }

    /** The values {@code named} names, looked up in every value the model's graph defines. */
    private static <T> Map<Value, T> byValue(Model model, Map<String, T> named, String missing) {
        Map<String, Value> values = new LinkedHashMap<>();
        dev.edgecompress.ir.Graph onnx = model.graph();
        onnx.inputs().forEach(v -> values.put(v.name(), v));
        onnx.initializers().forEach(v -> values.put(v.name(), v));
        for (Node node : onnx.nodes()) {
            node.outputs().stream().filter(v -> v != null).forEach(v -> values.put(v.name(), v));
        }
        Map<Value, T> result = new IdentityHashMap<>();
        named.forEach((name, setting) -> {
            Value value = values.get(name);
            if (value == null) {
                throw new TranslationException(String.format(missing, name));
            }
            result.put(value, setting);
        });
        return result;
    }

    private TrainingGraph translate(Model model, TrainingDevice device) {
        dev.edgecompress.ir.Graph onnx = model.graph();
        GraphTranslation translation = new GraphTranslation(tf, model.opsetVersion(""), this::fakeQuantized);
        for (Node node : onnx.nodes()) {
            if (!node.normalizedDomain().isEmpty()) {
                throw new TranslationException(node.describe() + ": the domain " + node.normalizedDomain()
                        + " is not supported for training");
            }
            for (int i = 1; i < Math.min(node.inputs().size(), 3); i++) {
                Value weight = node.input(i);
                if (weight != null && weight.constValue() != null && TRAINED.contains(node.opType())
                        && weight.constValue().type() == DataType.FLOAT) {
                    variable(weight, translation);
                }
            }
        }
        for (Value input : onnx.inputs()) {
            if (!input.isInitializer()) {
                placeholder(input, translation);
            }
        }
        for (Node node : onnx.nodes()) {
            translation.translate(node);
        }
        for (Value weight : weightAxes.keySet()) {
            if (!weights.containsKey(weight)) {
                throw new TranslationException("the weight " + weight.name() + " to quantize is not a float weight of"
                        + " Conv, Gemm or MatMul");
            }
        }
        for (Value activation : activationRanges.keySet()) {
            if (!ranges.containsKey(activation)) {
                throw new TranslationException("the activation " + activation.name() + " to quantize is not computed"
                        + " by the model");
            }
        }
        for (Value output : onnx.outputs()) {
            // Through Identity: an input fetched as an output would be fed and fetched at once.
            outputs.put(output, tf.identity(translation.output(output)));
        }
        Session session = new Session(graph, device.sessionConfig());
        return new TrainingGraph(graph, tf, session, device, inputs, outputs, weights, masks, shared, ranges,
                weightAxes,
                translation, initialWeightsDigest);
    }

    private void placeholder(Value input, GraphTranslation translation) {
        long[] dims = input.tensorType() == null || input.tensorType().shape() == null ? null
                : input.tensorType().shape().dims().stream().mapToLong(d -> d.isKnown() ? d.value() : -1).toArray();
        DataType type = input.tensorType() == null ? DataType.FLOAT : input.tensorType().elementType();
        Class<? extends TType> tfType = switch (type) {
            case FLOAT -> TFloat32.class;
            case INT64, INT32 -> TInt64.class;
            default -> throw new TranslationException("input " + input.name() + " is " + type
                    + "; only float and integer inputs are supported for training");
        };
        Placeholder<?> placeholder = dims == null ? tf.placeholder(tfType)
                : tf.placeholder(tfType, Placeholder.shape(Shape.of(dims)));
        inputs.put(input, placeholder);
        if (tfType == TFloat32.class) {
            @SuppressWarnings("unchecked")
            Operand<TFloat32> floats = (Operand<TFloat32>) placeholder;
            translation.bind(input, fakeQuantized(input, floats));
        } else {
            translation.bind(input, placeholder);
        }
    }

    private void variable(Value weight, GraphTranslation translation) {
        if (weights.containsKey(weight)) {
            return;
        }
        float[] values = weight.constValue().toFloatArray();
        long[] dims = weight.constValue().dims();
        Variable<TFloat32> variable = tf.withInitScope().variable(tf.constant(Shape.of(dims), DataBuffers.of(values)));
        weights.put(weight, variable);
        boolean pruned = false;
        float[] mask = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            mask[i] = values[i] == 0 ? 0 : 1;
            pruned |= values[i] == 0;
        }
        if (sharedWeights.contains(weight.name())) {
            share(weight, values);
        }
        if (pruned && dims.length > 1 && !shared.containsKey(weight)) {
            masks.put(weight, mask);
        }
        initialWeightsDigest = 31 * initialWeightsDigest + Arrays.hashCode(values);
        Integer axis = weightAxes.get(weight);
        translation.bind(weight, axis == null ? variable : fakeQuantizedWeight(variable, dims.length, axis));
    }

    /**
     * Records {@code weight} as trained by its distinct non-zero values, where they repeat; zeros
     * point past the last value, to a zero that does not train.
     */
    private void share(Value weight, float[] values) {
        float[] sorted = new float[values.length];
        int nonzero = 0;
        for (float v : values) {
            if (v != 0) {
                sorted[nonzero++] = v;
            }
        }
        Arrays.sort(sorted, 0, nonzero);
        int count = 0;
        for (int i = 0; i < nonzero; i++) {
            if (count == 0 || sorted[i] != sorted[count - 1]) {
                sorted[count++] = sorted[i];
            }
        }
        if (count == 0 || count == nonzero) {
            return;
        }
        float[] distinct = Arrays.copyOf(sorted, count);
        int[] index = new int[values.length];
        for (int i = 0; i < values.length; i++) {
            index[i] = values[i] == 0 ? distinct.length : Arrays.binarySearch(distinct, values[i]);
        }
        Ops init = tf.withInitScope();
        shared.put(weight, new TrainingGraph.Shared(init.variable(init.constant(distinct)), tf.constant(index),
                distinct.length));
    }

    /**
     * The weight as int8 symmetric quantization leaves it: scale max|w| / 127 per channel along
     * {@code axis} (or for the tensor, axis -1), values rounded to [-127, 127] steps (TensorFlow's
     * narrow range, which is this symmetric grid exactly).
     */
    private Operand<TFloat32> fakeQuantizedWeight(Variable<TFloat32> weight, int rank, int axis) {
        if (axis < 0) {
            Operand<TFloat32> bound = weightBound(tf.reduceMax(tf.math.abs(weight), tf.constant(allAxes(rank))));
            return tf.quantization.fakeQuantWithMinMaxVars(weight, tf.math.neg(bound), bound,
                    FakeQuantWithMinMaxVars.narrowRange(true));
        }
        // TensorFlow quantizes per channel along the last axis: move the channel axis there and back.
        int[] toLast = new int[rank];
        int[] back = new int[rank];
        for (int a = 0, k = 0; a < rank; a++) {
            if (a != axis) {
                toLast[k++] = a;
            }
        }
        toLast[rank - 1] = axis;
        for (int a = 0; a < rank; a++) {
            back[toLast[a]] = a;
        }
        Operand<TFloat32> channelsLast = axis == rank - 1 ? weight : tf.linalg.transpose(weight, tf.constant(toLast));
        int[] others = Arrays.copyOf(allAxes(rank), rank - 1);
        Operand<TFloat32> bound = weightBound(tf.reduceMax(tf.math.abs(channelsLast), tf.constant(others)));
        Operand<TFloat32> quantized = tf.quantization.fakeQuantWithMinMaxVarsPerChannel(channelsLast,
                tf.math.neg(bound), bound, FakeQuantWithMinMaxVarsPerChannel.narrowRange(true));
        return axis == rank - 1 ? quantized : tf.linalg.transpose(quantized, tf.constant(back));
    }

    private static int[] allAxes(int rank) {
        int[] axes = new int[rank];
        for (int a = 0; a < rank; a++) {
            axes[a] = a;
        }
        return axes;
    }

    /** The largest magnitude as a constant of the step (no gradient), never 0 (a fully pruned channel). */
    private Operand<TFloat32> weightBound(Operand<TFloat32> largest) {
        return tf.stopGradient(tf.math.maximum(largest, tf.constant(1e-12f)));
    }

    /** {@code operand} through uint8 fake quantization where {@code value} is an activation to quantize. */
    private Operand<TFloat32> fakeQuantized(Value value, Operand<TFloat32> operand) {
        double[] range = activationRanges.get(value);
        if (range == null) {
            return operand;
        }
        TrainingGraph.Range trained = new TrainingGraph.Range(tf.withInitScope().variable(tf.constant((float) range[0])),
                tf.withInitScope().variable(tf.constant((float) range[1])));
        ranges.put(value, trained);
        return tf.quantization.fakeQuantWithMinMaxVars(operand, trained.min(), trained.max());
    }
}
