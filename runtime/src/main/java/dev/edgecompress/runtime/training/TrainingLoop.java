package dev.edgecompress.runtime.training;

import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.ir.training.BatchNormMode;
import dev.edgecompress.runtime.Progress;
import dev.edgecompress.runtime.training.translation.BatchNormStatistics;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.TreeSet;
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
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * One training run over a {@link TrainingGraph}: the loss (softmax cross-entropy on the first
 * output, and a teacher's softened outputs under distillation), one optimizer step per batch with
 * pruned weights kept at zero and scheduled masks applied, epochs measured on held-out data,
 * checkpoints after every epoch and resumption from them.
 */
final class TrainingLoop {

    private final TrainingGraph graph;
    private final Evaluator evaluator;

    TrainingLoop(TrainingGraph graph, Evaluator evaluator) {
        this.graph = graph;
        this.evaluator = evaluator;
    }

    /** The step ops of one training run, and the placeholders they are fed through. */
    private record Steps(Operand<TFloat32> loss, Placeholder<TInt64> labels, Placeholder<TFloat32> teacher,
            List<Op> updates, Placeholder<TFloat32> learningRate, Placeholder<TFloat32> beta1Power,
            Placeholder<TFloat32> beta2Power, Map<Value, Placeholder<TFloat32>> maskFeeds, List<Op> maskUpdates) {
    }

    List<TrainableModel.Epoch> train(Dataset data, TrainingConfig config, MaskSchedule schedule,
            Distillation distillation, Dataset heldOut, Progress progress) {
        if (heldOut != null && !heldOut.hasLabels()) {
            throw new IllegalArgumentException("held-out data needs labels: " + heldOut.source());
        }
        if (!Double.isNaN(config.stopAtAccuracy()) && heldOut == null) {
            throw new IllegalArgumentException("an early stop needs held-out data to measure accuracy on");
        }
        List<Value> scheduled = new ArrayList<>();
        for (String name : schedule.weights()) {
            Value weight = graph.weightNamed(name);
            if (weight == null) {
                throw new IllegalArgumentException("the mask schedule names " + name + ", which is not a trained weight");
            }
            scheduled.add(weight);
        }
        boolean useLabels = distillation == null || distillation.weight() < 1;
        if (useLabels && !data.hasLabels()) {
            throw new IllegalArgumentException("training needs labels, unless it learns from a teacher alone");
        }
        Steps steps = steps(data, config, scheduled, distillation, useLabels);
        graph.initialize();
        TrainingBatches view = new TrainingBatches(data);
        Random random = new Random(config.seed());
        List<TrainableModel.Epoch> epochs = new ArrayList<>();
        long step = 0;
        long totalSteps = config.settings().steps(data.size());
        // Before the schedule's first cut, the zeros already there (a one-shot pruning before it).
        double sparsity = scheduled.isEmpty() ? Double.NaN : zeroFraction(graph.weightValues(scheduled));
        String fingerprint = config.identity() + "," + data.source().getFileName() + "," + data.size() + ","
                + scheduled.size() + "," + (distillation == null ? "-" : distillation.weight() + ","
                + distillation.temperature()) + "," + graph.initialWeightsDigest + ","
                + new TreeSet<>(graph.ranges.keySet().stream().map(Value::name).toList()) + ","
                + new TreeMap<>(namesOf(graph.weightAxes)) + ","
                + new TreeSet<>(graph.shared.keySet().stream().map(Value::name).toList());
        int resumeAfter = 0;
        TrainingCheckpoint.Saved saved = config.checkpoint() == null ? null
                : TrainingCheckpoint.load(config.checkpoint(), fingerprint);
        if (saved != null) {
            saved.restore(graph.session);
            epochs.addAll(saved.epochs());
            step = saved.step();
            resumeAfter = saved.epochs().size();
            sparsity = epochs.isEmpty() ? sparsity : epochs.get(epochs.size() - 1).sparsity();
            if (resumeAfter > 0 && epochs.get(resumeAfter - 1).heldOutAccuracy() >= config.stopAtAccuracy()) {
                return epochs; // it had stopped early
            }
        }
        BatchNormStatistics statistics = graph.translation.statistics();
        boolean batchStatistics = config.settings().batchNorm() == BatchNormMode.TRAIN
                && !statistics.updates().isEmpty();
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
                    sparsity = remask(schedule, step, steps);
                }
                try (TFloat32 x = view.inputs(order, offset, count);
                        TInt64 y = steps.labels() == null ? null : view.labels(order, offset, count);
                        TFloat32 p1 = TFloat32.scalarOf((float) Math.pow(OptimizerUpdates.BETA1, step));
                        TFloat32 p2 = TFloat32.scalarOf((float) Math.pow(OptimizerUpdates.BETA2, step));
                        TFloat32 rate = TFloat32.scalarOf((float) config.settings().learningRateAt(step, totalSteps));
                        TFloat32 training = TFloat32.scalarOf(1f);
                        TFloat32 soft = steps.teacher() == null ? null
                                : TrainingBatches.rows(distillation.teacherLogits(), order, offset, count)) {
                    Session.Runner runner = graph.session.runner().feed(graph.firstInput(), x)
                            .feed(steps.beta1Power(), p1).feed(steps.beta2Power(), p2)
                            .feed(steps.learningRate(), rate).fetch(steps.loss());
                    if (steps.labels() != null) {
                        runner.feed(steps.labels(), y);
                    }
                    if (steps.teacher() != null) {
                        runner.feed(steps.teacher(), soft);
                    }
                    steps.updates().forEach(runner::addTarget);
                    if (batchStatistics) {
                        runner.feed(statistics.batchStatistics(), training);
                        statistics.updates().forEach(runner::addTarget);
                    }
                    try (Result r = runner.run()) {
                        lossSum += ((TFloat32) r.get(0)).getFloat();
                    }
                }
                batches++;
                progress.update("epoch " + epoch, offset + count, order.length);
            }
            double seconds = (System.nanoTime() - start) / 1e9;
            double heldOutAccuracy = heldOut == null ? Double.NaN : evaluator.accuracy(heldOut);
            epochs.add(new TrainableModel.Epoch(epoch, lossSum / batches, seconds, order.length / seconds, sparsity,
                    heldOutAccuracy));
            progress.line(String.format(java.util.Locale.ROOT, "epoch %d/%d: loss %.4f%s%s, %.1f s", epoch,
                    config.settings().epochs(), lossSum / batches, Double.isNaN(heldOutAccuracy) ? ""
                            : String.format(java.util.Locale.ROOT, ", held-out top-1 %.2f%%", heldOutAccuracy * 100),
                    Double.isNaN(sparsity) ? "" : String.format(java.util.Locale.ROOT, ", sparsity %.3f", sparsity),
                    seconds));
            if (config.checkpoint() != null) {
                TrainingCheckpoint.save(config.checkpoint(), fingerprint, graph.session, epochs, step);
            }
            if (heldOutAccuracy >= config.stopAtAccuracy()) {
                break;
            }
        }
        return epochs;
    }

    /** The loss and the update ops of every trained variable. */
    private Steps steps(Dataset data, TrainingConfig config, List<Value> scheduled, Distillation distillation,
            boolean useLabels) {
        Ops tf = graph.tf;
        Operand<TFloat32> logits = graph.logits();
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
                throw new IllegalArgumentException("teacher logits are " + Arrays.toString(teacherLogits.dims())
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
        List<Value> weights = new ArrayList<>(graph.weights.keySet());
        List<Variable<TFloat32>> trained = new ArrayList<>(graph.weights.values());
        graph.ranges.values().forEach(range -> trained.addAll(List.of(range.min(), range.max())));
        Output<?>[] gradients = graph.graph.addGradients(loss.asOutput(), trained.stream().map(Variable::asOutput)
                .toArray(Output<?>[]::new));
        // No update before every gradient is computed: a weight updated early would be read, new,
        // by the gradients of the layers below it (a race that made runs differ).
        Ops afterGradients = tf.withControlDependencies(tf.identityN(List.of(gradients)));
        List<Op> updates = new ArrayList<>();
        Map<Value, Placeholder<TFloat32>> maskFeeds = new LinkedHashMap<>();
        List<Op> maskUpdates = new ArrayList<>();
        Placeholder<TFloat32> learningRate = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
        Placeholder<TFloat32> beta1Power = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
        Placeholder<TFloat32> beta2Power = tf.placeholder(TFloat32.class, Placeholder.shape(Shape.scalar()));
        double weightDecay = config.settings().weightDecay();
        for (int i = 0; i < trained.size(); i++) {
            Variable<TFloat32> v = trained.get(i);
            @SuppressWarnings("unchecked")
            Operand<TFloat32> gradient = (Operand<TFloat32>) gradients[i];
            Value weight = i < weights.size() ? weights.get(i) : null; // the rest are activation ranges
            if (weightDecay > 0 && weight != null) {
                gradient = tf.math.add(gradient, tf.math.mul(tf.constant((float) weightDecay), v));
            }
            TrainingGraph.Shared sharedValues = weight == null ? null : graph.shared.get(weight);
            if (sharedValues != null && scheduled.contains(weight)) {
                throw new IllegalArgumentException("the mask schedule names " + weight.name() + ", whose values are"
                        + " kept shared; pruning while training would split them");
            }
            Op apply = sharedValues != null
                    ? sharedUpdate(config, afterGradients, v, gradient, sharedValues, learningRate, beta1Power,
                            beta2Power)
                    : OptimizerUpdates.update(config.settings().optimizer(), afterGradients, v, gradient,
                            learningRate, beta1Power, beta2Power);
            float[] mask = weight == null ? null : graph.masks.get(weight);
            if (mask != null || weight != null && scheduled.contains(weight)) {
                Shape shape = v.shape();
                Variable<TFloat32> maskVariable = tf.withInitScope().variable(mask == null ? tf.ones(tf.constant(shape),
                        TFloat32.class) : tf.constant(shape, DataBuffers.of(mask)));
                // Pruned weights stay exactly zero: re-masked after every update, in the same run
                // (the product too reads the weight after the update, or it would undo it).
                Ops afterUpdate = tf.withControlDependencies(List.of(apply));
                apply = afterUpdate.assign(v, afterUpdate.math.mul(v, maskVariable));
                if (scheduled.contains(weight)) {
                    Placeholder<TFloat32> newMask = tf.placeholder(TFloat32.class, Placeholder.shape(shape));
                    maskFeeds.put(weight, newMask);
                    maskUpdates.add(tf.assign(maskVariable, newMask));
                    maskUpdates.add(tf.assign(v, tf.math.mul(v, newMask)));
                }
            }
            updates.add(apply);
        }
        return new Steps(loss, labels, teacher, updates, learningRate, beta1Power, beta2Power, maskFeeds, maskUpdates);
    }

    /**
     * The update of a weight trained by its shared values: each value moves by the sum of its
     * members' gradients (as the gradient of a gather would give it), then the weight is rebuilt
     * from the values, zeros staying zero.
     */
    private static Op sharedUpdate(TrainingConfig config, Ops tf, Variable<TFloat32> weight, Operand<TFloat32> gradient,
            TrainingGraph.Shared shared, Operand<TFloat32> learningRate, Operand<TFloat32> beta1Power,
            Operand<TFloat32> beta2Power) {
        Operand<TFloat32> sums = tf.math.unsortedSegmentSum(tf.reshape(gradient, tf.constant(new long[] {-1})),
                shared.index(), tf.constant(shared.count() + 1));
        Operand<TFloat32> valueGradient = tf.slice(sums, tf.constant(new int[] {0}),
                tf.constant(new int[] {shared.count()}));
        Op apply = OptimizerUpdates.update(config.settings().optimizer(), tf, shared.values(), valueGradient,
                learningRate, beta1Power, beta2Power);
        Ops afterUpdate = tf.withControlDependencies(List.of(apply));
        Operand<TFloat32> withZero = afterUpdate.concat(List.of(shared.values(), afterUpdate.constant(new float[] {0})),
                afterUpdate.constant(0));
        Operand<TFloat32> members = afterUpdate.gather(withZero, shared.index(), afterUpdate.constant(0));
        return afterUpdate.assign(weight, afterUpdate.reshape(members, afterUpdate.constant(weight.shape().asArray())));
    }

    private static Map<String, Integer> namesOf(Map<Value, Integer> byValue) {
        Map<String, Integer> names = new LinkedHashMap<>();
        byValue.forEach((value, axis) -> names.put(value.name(), axis));
        return names;
    }

    private static double zeroFraction(Map<Value, float[]> weights) {
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
    private double remask(MaskSchedule schedule, long step, Steps steps) {
        Map<String, float[]> current = new LinkedHashMap<>();
        graph.weightValues(steps.maskFeeds().keySet()).forEach((value, data) -> current.put(value.name(), data));
        Map<String, float[]> masks = schedule.masks(step, current);
        List<TFloat32> tensors = new ArrayList<>();
        long masked = 0;
        long total = 0;
        try {
            Session.Runner runner = graph.session.runner();
            for (Map.Entry<Value, Placeholder<TFloat32>> feed : steps.maskFeeds().entrySet()) {
                float[] mask = masks.get(feed.getKey().name());
                if (mask == null) {
                    throw new IllegalStateException("the mask schedule gave no mask for " + feed.getKey().name());
                }
                for (float m : mask) {
                    masked += m == 0 ? 1 : 0;
                }
                total += mask.length;
                TFloat32 tensor = TFloat32.tensorOf(graph.weights.get(feed.getKey()).shape(), DataBuffers.of(mask));
                tensors.add(tensor);
                runner.feed(feed.getValue(), tensor);
            }
            steps.maskUpdates().forEach(runner::addTarget);
            try (Result ignored = runner.run()) {
                // assignments only
            }
        } finally {
            tensors.forEach(TFloat32::close);
        }
        return (double) masked / total;
    }
}
