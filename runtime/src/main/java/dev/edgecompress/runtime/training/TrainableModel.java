package dev.edgecompress.runtime.training;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.runtime.Progress;
import dev.edgecompress.runtime.data.Dataset;
import java.util.ArrayList;
import java.util.Collection;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.Result;
import org.tensorflow.Session;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Placeholder;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.nn.Conv2d;
import org.tensorflow.op.nn.MaxPool;
import org.tensorflow.op.quantization.FakeQuantWithMinMaxVars;
import org.tensorflow.op.quantization.FakeQuantWithMinMaxVarsPerChannel;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * An ONNX model translated into a TensorFlow graph that can be trained. Weights of Conv, Gemm and
 * MatMul (and their biases) become variables in their ONNX layouts; the graph transposes them
 * where TensorFlow wants another (Conv's OIHW to HWIO), so trained values go back to the ONNX
 * initializers as they are. Convolutional paths run in NHWC (TensorFlow's fast layout on CPU) with
 * one transpose in and one back wherever a layout-sensitive op (Flatten, Reshape, an output)
 * needs ONNX's NCHW order. Weights that are exactly zero (pruned) stay zero through training, and
 * a {@link MaskSchedule} can prune more as training goes.
 *
 * <p>Made {@linkplain #quantized quantized}, the graph simulates int8 as ONNX Runtime computes it
 * (quantization-aware training): weights pass through symmetric int8 fake quantization (one scale
 * per output channel, from the weight's current largest magnitude), and chosen activations through
 * uint8 fake quantization over a range that is trained with the weights.
 *
 * <p>Owns a TensorFlow graph and session: close it. Not thread-safe.
 */
public final class TrainableModel implements AutoCloseable {

    private static final Set<String> ELEMENTWISE = Set.of("Relu", "Sigmoid", "Tanh", "Identity", "Dropout");

    private final org.tensorflow.Graph graph = new org.tensorflow.Graph();
    private final Ops tf = Ops.create(graph);
    private final Session session;
    private final Map<String, Placeholder<TFloat32>> inputs = new LinkedHashMap<>();
    private final Map<String, Operand<TFloat32>> outputs = new LinkedHashMap<>();
    private final Map<String, Variable<TFloat32>> variables = new LinkedHashMap<>();
    private final Map<String, long[]> variableDims = new LinkedHashMap<>();
    private final Map<String, float[]> masks = new LinkedHashMap<>();
    private final Map<Value, Operand<TFloat32>> translated = new IdentityHashMap<>();
    private final Map<Value, Boolean> nhwc = new IdentityHashMap<>();
    private final Map<String, double[]> initialRanges;
    private final Map<String, Integer> weightAxes;
    private final Map<String, Range> ranges = new LinkedHashMap<>();

    /** The trained range of a fake-quantized activation. */
    private record Range(Variable<TFloat32> min, Variable<TFloat32> max) {
    }

    private TrainableModel(Model model, Map<String, double[]> activationRanges, Map<String, Integer> weightAxes) {
        this.initialRanges = activationRanges;
        this.weightAxes = weightAxes;
        if (!activationRanges.isEmpty() || !weightAxes.isEmpty()) {
            FakeQuantGradients.register();
        }
        Graph onnx = model.graph();
        for (Node node : onnx.nodes()) {
            if (!node.normalizedDomain().isEmpty()) {
                throw new TranslationException(node.describe() + ": the domain " + node.normalizedDomain()
                        + " is not supported for training");
            }
            for (int i = 1; i < Math.min(node.inputs().size(), 3); i++) {
                Value weight = node.input(i);
                if (weight != null && weight.constValue() != null && Set.of("Conv", "Gemm", "MatMul")
                        .contains(node.opType()) && weight.constValue().type() == DataType.FLOAT) {
                    variable(weight);
                }
            }
        }
        for (Value input : onnx.inputs()) {
            if (input.isInitializer()) {
                continue;
            }
            long[] dims = input.tensorType() == null || input.tensorType().shape() == null ? null
                    : input.tensorType().shape().dims().stream().mapToLong(d -> d.isKnown() ? d.value() : -1).toArray();
            Placeholder<TFloat32> placeholder = dims == null ? tf.placeholder(TFloat32.class)
                    : tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(dims)));
            inputs.put(input.name(), placeholder);
            translated.put(input, fakeQuantized(input.name(), placeholder));
        }
        for (Node node : onnx.nodes()) {
            translate(node);
        }
        for (String name : weightAxes.keySet()) {
            if (!variables.containsKey(name)) {
                throw new TranslationException("the weight " + name + " to quantize is not a float weight of Conv, Gemm"
                        + " or MatMul");
            }
        }
        for (String name : activationRanges.keySet()) {
            if (!ranges.containsKey(name)) {
                throw new TranslationException("the activation " + name + " to quantize is not computed by the model");
            }
        }
        for (Value output : onnx.outputs()) {
            outputs.put(output.name(), nchw(output));
        }
        session = new Session(graph);
    }

    /** Translates {@code model}; fails naming the first operator it cannot translate. */
    public static TrainableModel of(Model model) {
        return new TrainableModel(model, Map.of(), Map.of());
    }

    /**
     * Translates {@code model} with int8 simulated: each activation named in
     * {@code activationRanges} is fake-quantized to uint8 over its range ({min, max}, the starting
     * point of training), and each weight named in {@code weightAxes} to int8, symmetric, per
     * channel along the given axis (per tensor where the axis is -1).
     */
    public static TrainableModel quantized(Model model, Map<String, double[]> activationRanges,
            Map<String, Integer> weightAxes) {
        return new TrainableModel(model, Map.copyOf(activationRanges), Map.copyOf(weightAxes));
    }

    private void variable(Value weight) {
        if (variables.containsKey(weight.name())) {
            return;
        }
        float[] values = weight.constValue().toFloatArray();
        long[] dims = weight.constValue().dims();
        Variable<TFloat32> variable = tf.withInitScope().variable(tf.constant(Shape.of(dims), DataBuffers.of(values)));
        variables.put(weight.name(), variable);
        variableDims.put(weight.name(), dims);
        boolean pruned = false;
        float[] mask = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            mask[i] = values[i] == 0 ? 0 : 1;
            pruned |= values[i] == 0;
        }
        if (pruned && dims.length > 1) {
            masks.put(weight.name(), mask);
        }
        Integer axis = weightAxes.get(weight.name());
        translated.put(weight, axis == null ? variable : fakeQuantizedWeight(variable, dims.length, axis));
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
        int[] others = java.util.Arrays.copyOf(allAxes(rank), rank - 1);
        Operand<TFloat32> bound = weightBound(tf.reduceMax(tf.math.abs(channelsLast), tf.constant(others)));
        Operand<TFloat32> quantized = tf.quantization.fakeQuantWithMinMaxVarsPerChannel(channelsLast,
                tf.math.neg(bound), bound, FakeQuantWithMinMaxVarsPerChannel.narrowRange(true));
        return axis == rank - 1 ? quantized : tf.linalg.transpose(quantized, tf.constant(back));
    }

    /** The largest magnitude as a constant of the step (no gradient), never 0 (a fully pruned channel). */
    private Operand<TFloat32> weightBound(Operand<TFloat32> largest) {
        return tf.stopGradient(tf.math.maximum(largest, tf.constant(1e-12f)));
    }

    private static int[] allAxes(int rank) {
        int[] axes = new int[rank];
        for (int a = 0; a < rank; a++) {
            axes[a] = a;
        }
        return axes;
    }

    /** {@code operand} through uint8 fake quantization where {@code name} is an activation to quantize. */
    private Operand<TFloat32> fakeQuantized(String name, Operand<TFloat32> operand) {
        double[] range = initialRanges.get(name);
        if (range == null) {
            return operand;
        }
        Range trained = new Range(tf.withInitScope().variable(tf.constant((float) range[0])),
                tf.withInitScope().variable(tf.constant((float) range[1])));
        ranges.put(name, trained);
        return tf.quantization.fakeQuantWithMinMaxVars(operand, trained.min(), trained.max());
    }

    private Operand<TFloat32> value(Value value) {
        Operand<TFloat32> operand = translated.get(value);
        if (operand == null && value.constValue() != null) {
            Tensor constant = value.constValue();
            if (constant.type() != DataType.FLOAT) {
                throw new TranslationException("constant " + value.name() + " is " + constant.type()
                        + "; only float constants are supported for training");
            }
            operand = tf.constant(Shape.of(constant.dims()), DataBuffers.of(constant.toFloatArray()));
            translated.put(value, operand);
        }
        if (operand == null) {
            throw new TranslationException("value " + value.name() + " is not available to the training graph");
        }
        return operand;
    }

    private boolean isNhwc(Value value) {
        return nhwc.getOrDefault(value, false);
    }

    /** The value in ONNX's layout (NCHW for images). */
    private Operand<TFloat32> nchw(Value value) {
        Operand<TFloat32> operand = value(value);
        return isNhwc(value) ? tf.linalg.transpose(operand, tf.constant(new int[] {0, 3, 1, 2})) : operand;
    }

    /** An image value in NHWC. */
    private Operand<TFloat32> channelsLast(Value value) {
        Operand<TFloat32> operand = value(value);
        return isNhwc(value) ? operand : tf.linalg.transpose(operand, tf.constant(new int[] {0, 2, 3, 1}));
    }

    private void define(Node node, Operand<TFloat32> operand, boolean channelsLast) {
        translated.put(node.output(0), fakeQuantized(node.output(0).name(), operand));
        nhwc.put(node.output(0), channelsLast);
    }

    private void translate(Node node) {
        String op = node.opType();
        Value x = node.input(0);
        switch (op) {
            case "Relu" -> define(node, tf.nn.relu(value(x)), isNhwc(x));
            case "Sigmoid" -> define(node, tf.math.sigmoid(value(x)), isNhwc(x));
            case "Tanh" -> define(node, tf.math.tanh(value(x)), isNhwc(x));
            case "Identity", "Dropout" -> define(node, value(x), isNhwc(x));
            case "Flatten" -> {
                if (node.intAttribute("axis", 1) != 1) {
                    throw new TranslationException(node.describe() + ": Flatten with axis other than 1");
                }
                Operand<TFloat32> in = nchw(x);
                long features = 1;
                Shape shape = in.shape();
                for (int a = 1; a < shape.numDimensions(); a++) {
                    features *= shape.get(a);
                }
                define(node, tf.reshape(in, tf.constant(new long[] {-1, features})), false);
            }
            case "Gemm" -> {
                if (node.intAttribute("transA", 0) != 0) {
                    throw new TranslationException(node.describe() + ": Gemm with transA");
                }
                Operand<TFloat32> y = tf.linalg.matMul(value(x), value(node.input(1)),
                        org.tensorflow.op.linalg.MatMul.transposeB(node.intAttribute("transB", 0) == 1));
                float alpha = node.attribute("alpha") == null ? 1f : node.attribute("alpha").asFloat();
                if (alpha != 1f) {
                    y = tf.math.mul(y, tf.constant(alpha));
                }
                if (node.input(2) != null) {
                    float beta = node.attribute("beta") == null ? 1f : node.attribute("beta").asFloat();
                    Operand<TFloat32> c = value(node.input(2));
                    y = tf.math.add(y, beta == 1f ? c : tf.math.mul(c, tf.constant(beta)));
                }
                define(node, y, false);
            }
            case "MatMul" -> define(node, tf.linalg.matMul(value(x), value(node.input(1))), false);
            case "Add", "Sub", "Mul", "Div" -> {
                Value other = node.input(1);
                if (isNhwc(x) != isNhwc(other) && other.constValue() == null) {
                    throw new TranslationException(node.describe() + ": operands in different layouts");
                }
                Operand<TFloat32> a = value(x);
                Operand<TFloat32> b = isNhwc(x) && other.constValue() != null && other.constValue().rank() >= 3
                        ? channelsLastConstant(other) : value(other);
                define(node, switch (op) {
                    case "Add" -> tf.math.add(a, b);
                    case "Sub" -> tf.math.sub(a, b);
                    case "Mul" -> tf.math.mul(a, b);
                    default -> tf.math.div(a, b);
                }, isNhwc(x));
            }
            case "Conv" -> define(node, conv(node), true);
            case "MaxPool" -> define(node, maxPool(node), true);
            case "GlobalAveragePool" -> define(node, tf.math.mean(channelsLast(x), tf.constant(new int[] {1, 2}),
                    org.tensorflow.op.math.Mean.keepDims(true)), true);
            case "BatchNormalization" -> define(node, batchNorm(node), isNhwc(x) || x.tensorType() == null);
            case "Softmax" -> define(node, tf.nn.softmax(value(x)), false);
            default -> throw new TranslationException(node.describe() + ": " + op + " is not supported for training yet");
        }
    }

    /** A per-channel constant [C, 1, 1] or [1, C, 1, 1] (NCHW broadcasting) as [C] for NHWC. */
    private Operand<TFloat32> channelsLastConstant(Value constant) {
        Tensor t = constant.constValue();
        return tf.constant(Shape.of(t.elementCount()), DataBuffers.of(t.toFloatArray()));
    }

    private Operand<TFloat32> conv(Node node) {
        if (node.intAttribute("group", 1) != 1) {
            throw new TranslationException(node.describe() + ": grouped convolutions are not supported for training yet");
        }
        long[] dilations = node.attribute("dilations") == null ? new long[] {1, 1} : node.attribute("dilations").asInts();
        if (dilations[0] != 1 || dilations[1] != 1) {
            throw new TranslationException(node.describe() + ": dilated convolutions are not supported for training yet");
        }
        long[] strides = node.attribute("strides") == null ? new long[] {1, 1} : node.attribute("strides").asInts();
        long[] pads = node.attribute("pads") == null ? new long[4] : node.attribute("pads").asInts();
        if (node.attribute("auto_pad") != null && !node.attribute("auto_pad").asString().equals("NOTSET")) {
            throw new TranslationException(node.describe() + ": auto_pad is not supported for training yet");
        }
        Operand<TFloat32> x = channelsLast(node.input(0));
        if (pads[0] + pads[1] + pads[2] + pads[3] > 0) {
            // Explicit Pad then VALID: TensorFlow's EXPLICIT padding has a broken gradient (TF_NOTES).
            x = tf.pad(x, tf.constant(new int[][] {{0, 0}, {(int) pads[0], (int) pads[2]}, {(int) pads[1],
                (int) pads[3]}, {0, 0}}), tf.constant(0f));
        }
        Operand<TFloat32> hwio = tf.linalg.transpose(value(node.input(1)), tf.constant(new int[] {2, 3, 1, 0}));
        Operand<TFloat32> y = tf.nn.conv2d(x, hwio, List.of(1L, strides[0], strides[1], 1L), "VALID",
                Conv2d.dataFormat("NHWC"));
        return node.input(2) == null ? y : tf.nn.biasAdd(y, value(node.input(2)));
    }

    private Operand<TFloat32> maxPool(Node node) {
        long[] kernel = node.attribute("kernel_shape").asInts();
        long[] strides = node.attribute("strides") == null ? kernel : node.attribute("strides").asInts();
        long[] pads = node.attribute("pads") == null ? new long[4] : node.attribute("pads").asInts();
        if (pads[0] + pads[1] + pads[2] + pads[3] > 0 || node.intAttribute("ceil_mode", 0) != 0) {
            throw new TranslationException(node.describe() + ": padded or ceil-mode MaxPool is not supported for"
                    + " training yet");
        }
        return tf.nn.maxPool(channelsLast(node.input(0)), tf.constant(new int[] {1, (int) kernel[0], (int) kernel[1], 1}),
                tf.constant(new int[] {1, (int) strides[0], (int) strides[1], 1}), "VALID", MaxPool.dataFormat("NHWC"));
    }

    /** Inference-mode BatchNormalization over the channel axis (last in NHWC, 1 for [N, C]). */
    private Operand<TFloat32> batchNorm(Node node) {
        Value x = node.input(0);
        float epsilon = node.attribute("epsilon") == null ? 1e-5f : node.attribute("epsilon").asFloat();
        Operand<TFloat32> in = isNhwc(x) ? value(x) : channelsLast(x);
        Operand<TFloat32> scale = tf.math.div(value(node.input(1)), tf.math.sqrt(tf.math.add(value(node.input(4)),
                tf.constant(epsilon))));
        return tf.math.add(tf.math.mul(tf.math.sub(in, value(node.input(3))), scale), value(node.input(2)));
    }

    /** Runs the translated model (for checking it against ONNX Runtime). */
    public Map<String, float[]> forward(Map<String, Tensor> feeds) {
        Session.Runner runner = session.runner();
        List<TFloat32> tensors = new ArrayList<>();
        try {
            initialize();
            for (Map.Entry<String, Placeholder<TFloat32>> input : inputs.entrySet()) {
                TFloat32 t = toTf(feeds.get(input.getKey()));
                tensors.add(t);
                runner.feed(input.getValue(), t);
            }
            outputs.values().forEach(runner::fetch);
            Map<String, float[]> result = new LinkedHashMap<>();
            try (Result r = runner.run()) {
                int i = 0;
                for (String name : outputs.keySet()) {
                    result.put(name, floats((TFloat32) r.get(i++)));
                }
            }
            return result;
        } finally {
            tensors.forEach(TFloat32::close);
        }
    }

    private boolean initialized;

    private void initialize() {
        if (!initialized) {
            session.initialize();
            initialized = true;
        }
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
     * Fine-tunes every variable with the configured optimizer on {@code data}'s first input and labels (softmax
     * cross-entropy on the first output), keeping pruned weights at zero. Labels may be missing
     * only under a distillation of weight 1.
     */
    public List<Epoch> train(Dataset data, TrainingConfig config, Progress progress) {
        return train(data, config, MaskSchedule.NONE, progress);
    }

    /**
     * Fine-tunes as {@link #train(Dataset, TrainingConfig, Progress)}, and prunes while training:
     * before each step {@code schedule} names, its weights are masked anew from their values.
     */
    public List<Epoch> train(Dataset data, TrainingConfig config, MaskSchedule schedule, Progress progress) {
        return train(data, config, schedule, null, null, progress);
    }

    /**
     * Fine-tunes as {@link #train(Dataset, TrainingConfig, MaskSchedule, Progress)}, learning also
     * from a teacher's outputs where {@code distillation} is not null, and measuring top-1 accuracy
     * on {@code heldOut} (labelled) after every epoch where it is not null.
     */
    public List<Epoch> train(Dataset data, TrainingConfig config, MaskSchedule schedule, Distillation distillation,
            Dataset heldOut, Progress progress) {
        if (heldOut != null && !heldOut.hasLabels()) {
            throw new IllegalArgumentException("held-out data needs labels: " + heldOut.source());
        }
        for (String name : schedule.weights()) {
            if (!variables.containsKey(name)) {
                throw new IllegalArgumentException("the mask schedule names " + name + ", which is not a trained weight");
            }
        }
        boolean useLabels = distillation == null || distillation.weight() < 1;
        if (useLabels && !data.hasLabels()) {
            throw new IllegalArgumentException("training needs labels, unless it learns from a teacher alone");
        }
        Operand<TFloat32> logits = outputs.values().iterator().next();
        int classes = (int) logits.shape().get(logits.shape().numDimensions() - 1);
        Placeholder<TInt64> labels = null;
        Operand<TFloat32> loss = tf.constant(0f);
        if (useLabels) {
            labels = tf.placeholder(TInt64.class, Placeholder.shape(Shape.of(-1)));
            Operand<TFloat32> oneHot = tf.oneHot(labels, tf.constant(classes), tf.constant(1f), tf.constant(0f));
            loss = tf.math.neg(tf.math.mean(tf.reduceSum(tf.math.mul(oneHot, tf.nn.logSoftmax(logits)),
                    tf.constant(1)), tf.constant(0)));
        }
        Placeholder<TFloat32> teacher = null;
        if (distillation != null) {
            Tensor teacherLogits = distillation.teacherLogits();
            if (teacherLogits.dim(0) != data.size() || teacherLogits.dim(1) != classes) {
                throw new IllegalArgumentException("teacher logits are " + java.util.Arrays.toString(teacherLogits.dims())
                        + "; the data has " + data.size() + " samples and the model " + classes + " classes");
            }
            teacher = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.of(-1, classes)));
            Operand<TFloat32> temperature = tf.constant((float) distillation.temperature());
            Operand<TFloat32> logTeacher = tf.nn.logSoftmax(tf.math.div(teacher, temperature));
            Operand<TFloat32> logStudent = tf.nn.logSoftmax(tf.math.div(logits, temperature));
            Operand<TFloat32> kl = tf.math.mean(tf.reduceSum(tf.math.mul(tf.math.exp(logTeacher),
                    tf.math.sub(logTeacher, logStudent)), tf.constant(1)), tf.constant(0));
            float weight = (float) distillation.weight();
            float t2 = (float) (distillation.temperature() * distillation.temperature());
            loss = tf.math.add(tf.math.mul(tf.constant(1 - weight), loss), tf.math.mul(tf.constant(weight * t2), kl));
        }
        List<String> names = new ArrayList<>(variables.keySet());
        List<Variable<TFloat32>> trained = new ArrayList<>(variables.values());
        ranges.values().forEach(range -> trained.addAll(List.of(range.min(), range.max())));
        Output<?>[] gradients = graph.addGradients(loss.asOutput(), trained.stream().map(Variable::asOutput)
                .toArray(Output<?>[]::new));
        // No update before every gradient is computed: a weight updated early would be read, new,
        // by the gradients of the layers below it (a race that made runs differ).
        Ops afterGradients = tf.withControlDependencies(tf.identityN(List.of(gradients)));
        List<Op> steps = new ArrayList<>();
        Map<String, Placeholder<TFloat32>> maskFeeds = new LinkedHashMap<>();
        List<Op> maskUpdates = new ArrayList<>();
        Placeholder<TFloat32> learningRate = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
        Placeholder<TFloat32> beta1Power = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
        Placeholder<TFloat32> beta2Power = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
        for (int i = 0; i < trained.size(); i++) {
            Variable<TFloat32> v = trained.get(i);
            @SuppressWarnings("unchecked")
            Operand<TFloat32> gradient = (Operand<TFloat32>) gradients[i];
            String name = i < names.size() ? names.get(i) : null;
            if (config.weightDecay() > 0 && name != null) {
                gradient = tf.math.add(gradient, tf.math.mul(tf.constant((float) config.weightDecay()), v));
            }
            Op apply = config.optimizer().update(afterGradients, v, gradient, learningRate, beta1Power, beta2Power);
            float[] mask = masks.get(name);
            if (mask != null || name != null && schedule.weights().contains(name)) {
                Shape shape = Shape.of(variableDims.get(name));
                Variable<TFloat32> maskVariable = tf.withInitScope().variable(mask == null ? tf.ones(tf.constant(shape),
                        TFloat32.class) : tf.constant(shape, DataBuffers.of(mask)));
                // Pruned weights stay exactly zero: re-masked after every update, in the same run
                // (the product too reads the weight after the update, or it would undo it).
                Ops afterUpdate = tf.withControlDependencies(List.of(apply));
                apply = afterUpdate.assign(v, afterUpdate.math.mul(v, maskVariable));
                if (schedule.weights().contains(name)) {
                    Placeholder<TFloat32> newMask = tf.placeholder(TFloat32.class, Placeholder.shape(shape));
                    maskFeeds.put(name, newMask);
                    maskUpdates.add(tf.assign(maskVariable, newMask));
                    maskUpdates.add(tf.assign(v, tf.math.mul(v, newMask)));
                }
            }
            steps.add(apply);
        }
        initialize();
        TrainingBatches view = new TrainingBatches(data);
        Random random = new Random(config.seed());
        List<Epoch> epochs = new ArrayList<>();
        long step = 0;
        long totalSteps = config.steps(data.size());
        double sparsity = Double.NaN;
        String input = inputs.keySet().iterator().next();
        for (int epoch = 1; epoch <= config.epochs(); epoch++) {
            long start = System.nanoTime();
            int[] order = view.shuffled(random);
            double lossSum = 0;
            int batches = 0;
            for (int offset = 0; offset < order.length; offset += config.batch()) {
                int count = Math.min(config.batch(), order.length - offset);
                step++;
                if (schedule.changesAt(step)) {
                    sparsity = remask(schedule, step, maskFeeds, maskUpdates);
                }
                try (TFloat32 x = view.inputs(order, offset, count);
                        TInt64 y = labels == null ? null : view.labels(order, offset, count);
                        TFloat32 p1 = TFloat32.scalarOf((float) Math.pow(Optimizer.BETA1, step));
                        TFloat32 p2 = TFloat32.scalarOf((float) Math.pow(Optimizer.BETA2, step));
                        TFloat32 rate = TFloat32.scalarOf((float) config.learningRateAt(step, totalSteps))) {
                    Session.Runner runner = session.runner().feed(inputs.get(input), x)
                            .feed(beta1Power, p1).feed(beta2Power, p2).feed(learningRate, rate).fetch(loss);
                    if (labels != null) {
                        runner.feed(labels, y);
                    }
                    steps.forEach(runner::addTarget);
                    try (TFloat32 soft = teacher == null ? null
                            : TrainingBatches.rows(distillation.teacherLogits(), order, offset, count)) {
                        if (teacher != null) {
                            runner.feed(teacher, soft);
                        }
                        try (Result r = runner.run()) {
                            lossSum += ((TFloat32) r.get(0)).getFloat();
                        }
                    }
                }
                batches++;
                progress.update("epoch " + epoch, offset + count, order.length);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            epochs.add(new Epoch(epoch, lossSum / batches, seconds, order.length / seconds, sparsity,
                    heldOut == null ? Double.NaN : accuracy(heldOut)));
        }
        return epochs;
    }

    /** Sets the scheduled masks for {@code step} and applies them; returns the fraction masked. */
    private double remask(MaskSchedule schedule, long step, Map<String, Placeholder<TFloat32>> maskFeeds,
            List<Op> maskUpdates) {
        Map<String, float[]> masks = schedule.masks(step, values(maskFeeds.keySet()));
        List<TFloat32> tensors = new ArrayList<>();
        long masked = 0;
        long total = 0;
        try {
            Session.Runner runner = session.runner();
            for (Map.Entry<String, Placeholder<TFloat32>> feed : maskFeeds.entrySet()) {
                float[] mask = masks.get(feed.getKey());
                if (mask == null) {
                    throw new IllegalStateException("the mask schedule gave no mask for " + feed.getKey());
                }
                for (float m : mask) {
                    masked += m == 0 ? 1 : 0;
                }
                total += mask.length;
                TFloat32 tensor = TFloat32.tensorOf(Shape.of(variableDims.get(feed.getKey())), DataBuffers.of(mask));
                tensors.add(tensor);
                runner.feed(feed.getValue(), tensor);
            }
            maskUpdates.forEach(runner::addTarget);
            try (Result ignored = runner.run()) {
                // assignments only
            }
        } finally {
            tensors.forEach(TFloat32::close);
        }
        return (double) masked / total;
    }

    /** Samples per run while measuring accuracy. */
    private static final int EVALUATION_BATCH = 256;

    /** Top-1 accuracy of the graph as it is now (fake quantization included) on labelled {@code data}. */
    public double accuracy(Dataset data) {
        initialize();
        TrainingBatches view = new TrainingBatches(data);
        long[] labels = data.labels();
        int[] order = view.inOrder();
        Operand<TFloat32> logits = outputs.values().iterator().next();
        long correct = 0;
        for (int offset = 0; offset < order.length; offset += EVALUATION_BATCH) {
            int count = Math.min(EVALUATION_BATCH, order.length - offset);
            try (TFloat32 x = view.inputs(order, offset, count);
                    Result r = session.runner().feed(inputs.values().iterator().next(), x).fetch(logits).run()) {
                float[] scores = floats((TFloat32) r.get(0));
                int classes = scores.length / count;
                for (int i = 0; i < count; i++) {
                    int best = 0;
                    for (int c = 1; c < classes; c++) {
                        best = scores[i * classes + c] > scores[i * classes + best] ? c : best;
                    }
                    correct += best == labels[offset + i] ? 1 : 0;
                }
            }
        }
        return (double) correct / order.length;
    }

    /**
     * The trained {min, max} of every fake-quantized activation, by value name (empty when the
     * model is not {@linkplain #quantized quantized}).
     */
    public Map<String, double[]> activationRanges() {
        initialize();
        Map<String, double[]> result = new LinkedHashMap<>();
        Session.Runner runner = session.runner();
        ranges.values().forEach(range -> runner.fetch(range.min()).fetch(range.max()));
        if (ranges.isEmpty()) {
            return result;
        }
        try (Result r = runner.run()) {
            int i = 0;
            for (String name : ranges.keySet()) {
                result.put(name, new double[] {((TFloat32) r.get(i++)).getFloat(), ((TFloat32) r.get(i++)).getFloat()});
            }
        }
        return result;
    }

    /** The current values of the trained weights, by initializer name, in their ONNX layouts. */
    public Map<String, Tensor> weights() {
        Map<String, Tensor> result = new LinkedHashMap<>();
        values(variables.keySet()).forEach((name, data) -> result.put(name,
                Tensor.ofFloats(variableDims.get(name), data)));
        return result;
    }

    /** The current values of the named variables, by name. */
    private Map<String, float[]> values(Collection<String> names) {
        initialize();
        Map<String, float[]> result = new LinkedHashMap<>();
        Session.Runner runner = session.runner();
        names.forEach(name -> runner.fetch(variables.get(name)));
        try (Result r = runner.run()) {
            int i = 0;
            for (String name : names) {
                result.put(name, floats((TFloat32) r.get(i++)));
            }
        }
        return result;
    }

    /** Writes the trained weights back into {@code model}'s initializers (the model this was made from). */
    public void writeBack(Model model) {
        Map<String, Tensor> trained = weights();
        for (Value initializer : model.graph().initializers()) {
            Tensor value = trained.get(initializer.name());
            if (value != null) {
                Tensor old = initializer.constValue();
                initializer.setConstValue(value.withSource(old.storage(), old.preserved()));
            }
        }
    }

    static TFloat32 toTf(Tensor tensor) {
        return TFloat32.tensorOf(Shape.of(tensor.dims()), DataBuffers.of(tensor.toFloatArray()));
    }

    private static float[] floats(TFloat32 tensor) {
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
