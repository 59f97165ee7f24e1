package dev.edgecompress.runtime.training;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.ir.training.BatchNormMode;
import dev.edgecompress.runtime.Progress;
import dev.edgecompress.runtime.metrics.Accuracy;
import dev.edgecompress.runtime.metrics.Rows;
import java.util.ArrayList;
import java.util.Collection;
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
import org.tensorflow.op.quantization.FakeQuantWithMinMaxVars;
import org.tensorflow.op.quantization.FakeQuantWithMinMaxVarsPerChannel;
import org.tensorflow.proto.ConfigProto;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * An ONNX model translated into a TensorFlow graph that can be trained. Weights of Conv, Gemm and
 * MatMul (and their biases, and the scales and shifts of normalizations) become variables in their
 * ONNX layouts, so trained values go back to the ONNX initializers as they are; the operators are
 * translated by {@link GraphTranslation}. Weights that are exactly zero (pruned) stay zero through
 * training, and a {@link MaskSchedule} can prune more as training goes.
 *
 * <p>Made {@linkplain #quantized quantized}, the graph simulates int8 as ONNX Runtime computes it
 * (quantization-aware training): weights pass through symmetric int8 fake quantization (one scale
 * per output channel, from the weight's current largest magnitude), and chosen activations through
 * uint8 fake quantization over a range that is trained with the weights.
 *
 * <p>Owns a TensorFlow graph and session: close it. Not thread-safe.
 */
public final class TrainableModel implements AutoCloseable {

    private final org.tensorflow.Graph graph = new org.tensorflow.Graph();
    private final Ops tf = Ops.create(graph);
    private final Session session;
    private final Map<String, Placeholder<?>> inputs = new LinkedHashMap<>();
    private final Map<String, Operand<?>> outputs = new LinkedHashMap<>();
    private final Map<String, Variable<TFloat32>> variables = new LinkedHashMap<>();
    private final Map<String, long[]> variableDims = new LinkedHashMap<>();
    private final Map<String, float[]> masks = new LinkedHashMap<>();
    private final TrainingDevice device;
    private final Map<String, double[]> initialRanges;
    private final Map<String, Integer> weightAxes;
    private final Map<String, Range> ranges = new LinkedHashMap<>();
    /** A digest of the starting weights: part of a checkpoint's fingerprint. */
    private int initialWeightsDigest;
    private final GraphTranslation translation;

    /**
     * Operators whose constant inputs 1 and 2 train: weights and biases, and normalization scales
     * and shifts (BatchNormalization's running statistics, inputs 3 and 4, stay fixed).
     */
    private static final Set<String> TRAINED = Set.of("Conv", "ConvTranspose", "Gemm", "MatMul",
            "BatchNormalization", "LayerNormalization");

    /** The nodes of {@code model} whose operators training cannot translate, described. */
    public static List<String> unsupported(Model model) {
        List<String> nodes = new ArrayList<>();
        for (Node node : model.graph().nodes()) {
            if (!node.normalizedDomain().isEmpty() || !GraphTranslation.SUPPORTED.contains(node.opType())) {
                nodes.add(node.describe());
            }
        }
        return nodes;
    }

    /** The trained range of a fake-quantized activation. */
    private record Range(Variable<TFloat32> min, Variable<TFloat32> max) {
    }

    private TrainableModel(Model model, TrainingDevice device, Map<String, double[]> activationRanges,
            Map<String, Integer> weightAxes) {
        this.device = device;
        ConfigProto sessionConfig = device.sessionConfig();
        this.initialRanges = activationRanges;
        this.weightAxes = weightAxes;
        MissingGradients.register();
        this.translation = new GraphTranslation(tf, model.opsetVersion(""), this::fakeQuantized);
        try {
            session = translate(model.graph(), sessionConfig, activationRanges, weightAxes);
        } catch (RuntimeException | Error e) {
            graph.close(); // a translation that fails returns no object to close: close the graph here
            throw e;
        }
    }

    /** Builds the training graph of {@code onnx} in {@link #graph}; returns its session. */
    private Session translate(Graph onnx, ConfigProto sessionConfig, Map<String, double[]> activationRanges,
            Map<String, Integer> weightAxes) {
        for (Node node : onnx.nodes()) {
            if (!node.normalizedDomain().isEmpty()) {
                throw new TranslationException(node.describe() + ": the domain " + node.normalizedDomain()
                        + " is not supported for training");
            }
            for (int i = 1; i < Math.min(node.inputs().size(), 3); i++) {
                Value weight = node.input(i);
                if (weight != null && weight.constValue() != null && TRAINED.contains(node.opType())
                        && weight.constValue().type() == DataType.FLOAT) {
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
            DataType type = input.tensorType() == null ? DataType.FLOAT : input.tensorType().elementType();
            Class<? extends org.tensorflow.types.family.TType> tfType = switch (type) {
                case FLOAT -> TFloat32.class;
                case INT64, INT32 -> TInt64.class;
                default -> throw new TranslationException("input " + input.name() + " is " + type
                        + "; only float and integer inputs are supported for training");
            };
            Placeholder<?> placeholder = dims == null ? tf.placeholder(tfType)
                    : tf.placeholder(tfType, Placeholder.shape(Shape.of(dims)));
            inputs.put(input.name(), placeholder);
            translation.bind(input, tfType == TFloat32.class
                    ? fakeQuantized(input.name(), GraphTranslation.floats(placeholder)) : placeholder);
        }
        for (Node node : onnx.nodes()) {
            translation.translate(node);
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
            // Through Identity: an input fetched as an output would be fed and fetched at once.
            outputs.put(output.name(), tf.identity(translation.anyNchw(output)));
        }
        return new Session(graph, sessionConfig);
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
        return new TrainableModel(model, device, Map.of(), Map.of());
    }

    /**
     * Translates {@code model} with int8 simulated: each activation named in
     * {@code activationRanges} is fake-quantized to uint8 over its range ({min, max}, the starting
     * point of training), and each weight named in {@code weightAxes} to int8, symmetric, per
     * channel along the given axis (per tensor where the axis is -1).
     */
    public static TrainableModel quantized(Model model, TrainingDevice device, Map<String, double[]> activationRanges,
            Map<String, Integer> weightAxes) {
        return new TrainableModel(model, device, Map.copyOf(activationRanges), Map.copyOf(weightAxes));
    }

    /** The device this model trains on. */
    public TrainingDevice device() {
        return device;
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
        initialWeightsDigest = 31 * initialWeightsDigest + java.util.Arrays.hashCode(values);
        Integer axis = weightAxes.get(weight.name());
        translation.bind(weight, axis == null ? variable : fakeQuantizedWeight(variable, dims.length, axis));
    }

    /**
     * The weight as int8 symmetric quantization leaves it: scale max|w| / 127 per channel along
     * {@code axis} (or for the tensor, axis -1), values rounded to [-127, 127] steps (TensorFlow's
     * narrow range, which is this symmetric grid exactly).
     */
    private Operand<TFloat32> fakeQuantizedWeight(Variable<TFloat32> weight, int rank, int axis) {
        if (axis < 0) {
            Operand<TFloat32> bound = weightBound(tf.reduceMax(tf.math.abs(weight),
                    tf.constant(GraphTranslation.allAxes(rank))));
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
        int[] others = java.util.Arrays.copyOf(GraphTranslation.allAxes(rank), rank - 1);
        Operand<TFloat32> bound = weightBound(tf.reduceMax(tf.math.abs(channelsLast), tf.constant(others)));
        Operand<TFloat32> quantized = tf.quantization.fakeQuantWithMinMaxVarsPerChannel(channelsLast,
                tf.math.neg(bound), bound, FakeQuantWithMinMaxVarsPerChannel.narrowRange(true));
        return axis == rank - 1 ? quantized : tf.linalg.transpose(quantized, tf.constant(back));
    }

    /** The largest magnitude as a constant of the step (no gradient), never 0 (a fully pruned channel). */
    private Operand<TFloat32> weightBound(Operand<TFloat32> largest) {
        return tf.stopGradient(tf.math.maximum(largest, tf.constant(1e-12f)));
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

    /**
     * Runs the translated model (for checking it against ONNX Runtime): every input fed from
     * {@code feeds}; the float outputs, by name.
     */
    public Map<String, float[]> forward(Map<String, Tensor> feeds) {
        Session.Runner runner = session.runner();
        List<org.tensorflow.Tensor> tensors = new ArrayList<>();
        try {
            initialize();
            for (Map.Entry<String, Placeholder<?>> input : inputs.entrySet()) {
                Tensor feed = feeds.get(input.getKey());
                if (feed == null) {
                    throw new IllegalArgumentException("no value for the input " + input.getKey());
                }
                org.tensorflow.Tensor t = input.getValue().type() == TFloat32.class ? toTf(feed)
                        : TInt64.tensorOf(Shape.of(feed.dims()), DataBuffers.of(GraphTranslation.longs(feed)));
                tensors.add(t);
                runner.feed(input.getValue(), t);
            }
            List<String> names = outputs.entrySet().stream().filter(e -> e.getValue().type() == TFloat32.class)
                    .map(Map.Entry::getKey).toList();
            if (names.isEmpty()) {
                return Map.of();
            }
            names.forEach(name -> runner.fetch(outputs.get(name)));
            Map<String, float[]> result = new LinkedHashMap<>();
            try (Result r = runner.run()) {
                int i = 0;
                for (String name : names) {
                    result.put(name, floats((TFloat32) r.get(i++)));
                }
            }
            return result;
        } finally {
            tensors.forEach(org.tensorflow.Tensor::close);
        }
    }

    /** The first output, which training reads as the logits. */
    private Operand<TFloat32> logits() {
        Operand<?> first = outputs.values().iterator().next();
        if (first.type() != TFloat32.class) {
            throw new IllegalArgumentException("training reads the first output as logits; it is not float");
        }
        return GraphTranslation.floats(first);
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
        if (heldOut != null && !heldOut.hasLabels()) {
            throw new IllegalArgumentException("held-out data needs labels: " + heldOut.source());
        }
        if (!Double.isNaN(config.stopAtAccuracy()) && heldOut == null) {
            throw new IllegalArgumentException("an early stop needs held-out data to measure accuracy on");
        }
        for (String name : schedule.weights()) {
            if (!variables.containsKey(name)) {
                throw new IllegalArgumentException("the mask schedule names " + name
                        + ", which is not a trained weight");
            }
        }
        boolean useLabels = distillation == null || distillation.weight() < 1;
        if (useLabels && !data.hasLabels()) {
            throw new IllegalArgumentException("training needs labels, unless it learns from a teacher alone");
        }
        Operand<TFloat32> logits = logits();
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
                throw new IllegalArgumentException("teacher logits are "
                        + java.util.Arrays.toString(teacherLogits.dims())
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
            if (config.settings().weightDecay() > 0 && name != null) {
                gradient = tf.math.add(gradient, tf.math.mul(tf.constant((float) config.settings().weightDecay()), v));
            }
            Op apply = OptimizerUpdates.update(config.settings().optimizer(), afterGradients, v, gradient, learningRate, beta1Power, beta2Power);
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
        long totalSteps = config.settings().steps(data.size());
        // Before the schedule's first cut, the zeros already there (a one-shot pruning before it).
        double sparsity = schedule.weights().isEmpty() ? Double.NaN : zeroFraction(values(schedule.weights()));
        String input = inputs.keySet().iterator().next();
        String fingerprint = config.identity() + "," + data.source().getFileName() + "," + data.size() + ","
                + schedule.weights().size() + "," + (distillation == null ? "-" : distillation.weight() + ","
                + distillation.temperature()) + "," + initialWeightsDigest + ","
                + new java.util.TreeSet<>(ranges.keySet()) + "," + new java.util.TreeMap<>(weightAxes);
        int resumeAfter = 0;
        TrainingCheckpoint.Saved saved = config.checkpoint() == null ? null
                : TrainingCheckpoint.load(config.checkpoint(), fingerprint);
        if (saved != null) {
            saved.restore(session);
            epochs.addAll(saved.epochs());
            step = saved.step();
            resumeAfter = saved.epochs().size();
            sparsity = epochs.isEmpty() ? sparsity : epochs.get(epochs.size() - 1).sparsity();
            if (resumeAfter > 0 && epochs.get(resumeAfter - 1).heldOutAccuracy() >= config.stopAtAccuracy()) {
                return epochs; // it had stopped early
            }
        }
        for (int epoch = 1; epoch <= config.settings().epochs(); epoch++) {
            int[] order = view.shuffled(random);
            if (epoch <= resumeAfter) {
                continue; // done before the interruption; the shuffle is replayed to keep the order
            }
            long start = System.nanoTime();
            double lossSum = 0;
            int batches = 0;
            for (int offset = 0; offset < order.length; offset += config.settings().batch()) {
                int count = Math.min(config.settings().batch(), order.length - offset);
                step++;
                if (schedule.changesAt(step)) {
                    sparsity = remask(schedule, step, maskFeeds, maskUpdates);
                }
                try (TFloat32 x = view.inputs(order, offset, count);
                        TInt64 y = labels == null ? null : view.labels(order, offset, count);
                        TFloat32 p1 = TFloat32.scalarOf((float) Math.pow(OptimizerUpdates.BETA1, step));
                        TFloat32 p2 = TFloat32.scalarOf((float) Math.pow(OptimizerUpdates.BETA2, step));
                        TFloat32 rate = TFloat32.scalarOf((float) config.settings().learningRateAt(step, totalSteps));
                        TFloat32 training = TFloat32.scalarOf(1f)) {
                    Session.Runner runner = session.runner().feed(inputs.get(input), x)
                            .feed(beta1Power, p1).feed(beta2Power, p2).feed(learningRate, rate).fetch(loss);
                    if (labels != null) {
                        runner.feed(labels, y);
                    }
                    steps.forEach(runner::addTarget);
                    if (config.settings().batchNorm() == BatchNormMode.TRAIN && !translation.statisticUpdates().isEmpty()) {
                        runner.feed(translation.batchStatistics(), training);
                        translation.statisticUpdates().forEach(runner::addTarget);
                    }
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
            double heldOutAccuracy = heldOut == null ? Double.NaN : accuracy(heldOut);
            epochs.add(new Epoch(epoch, lossSum / batches, seconds, order.length / seconds, sparsity, heldOutAccuracy));
            if (config.checkpoint() != null) {
                TrainingCheckpoint.save(config.checkpoint(), fingerprint, session, epochs, step);
            }
            if (heldOutAccuracy >= config.stopAtAccuracy()) {
                break;
            }
        }
        return epochs;
    }

    private static double zeroFraction(Map<String, float[]> weights) {
        long zeros = 0;
        long total = 0;
        for (float[] values : weights.values()) {
            for (float v : values) {
                zeros += v == 0 ? 1 : 0;
            }
            total += values.length;
        }
        return (double) zeros / total;
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
        Operand<TFloat32> logits = logits();
        Accuracy accuracy = new Accuracy();
        for (int offset = 0; offset < order.length; offset += EVALUATION_BATCH) {
            int count = Math.min(EVALUATION_BATCH, order.length - offset);
            try (TFloat32 x = view.inputs(order, offset, count);
                    Result r = session.runner().feed(inputs.values().iterator().next(), x).fetch(logits).run()) {
                float[] scores = floats((TFloat32) r.get(0));
                accuracy.add(Rows.of(Tensor.ofFloats(new long[] {count, scores.length / count}, scores), count),
                        labels, offset);
            }
        }
        return accuracy.value();
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

    /**
     * The current values of the trained weights and of BatchNormalization's running statistics,
     * by initializer name, in their ONNX layouts.
     */
    public Map<String, Tensor> weights() {
        Map<String, Tensor> result = new LinkedHashMap<>();
        values(variables.keySet()).forEach((name, data) -> result.put(name,
                Tensor.ofFloats(variableDims.get(name), data)));
        Map<String, Variable<TFloat32>> statistics = translation.statistics();
        values(statistics.keySet()).forEach((name, data) -> result.put(name,
                Tensor.ofFloats(statistics.get(name).shape().asArray(), data)));
        return result;
    }

    /** The current values of the named variables, by name. */
    private Map<String, float[]> values(Collection<String> names) {
        initialize();
        Map<String, float[]> result = new LinkedHashMap<>();
        Session.Runner runner = session.runner();
        if (names.isEmpty()) {
            return result;
        }
        names.forEach(name -> runner.fetch(variables.containsKey(name) ? variables.get(name)
                : translation.statistics().get(name)));
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
                initializer.replaceConstValue(value.withSource(old.storage(), old.preserved()));
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
