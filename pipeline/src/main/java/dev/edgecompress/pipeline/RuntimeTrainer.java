package dev.edgecompress.pipeline;

import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.data.Batches;
import dev.edgecompress.ir.data.DataFormatException;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.passes.clustering.SharedValues;
import dev.edgecompress.passes.finetune.FakeQuantization;
import dev.edgecompress.passes.finetune.FineTuneConfig;
import dev.edgecompress.passes.finetune.Trainer;
import dev.edgecompress.passes.pruning.GradualPruning;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.Progress;
import dev.edgecompress.runtime.SessionConfig;
import dev.edgecompress.runtime.training.CheckpointException;
import dev.edgecompress.runtime.training.Distillation;
import dev.edgecompress.runtime.training.MaskSchedule;
import dev.edgecompress.runtime.training.TrainableModel;
import dev.edgecompress.runtime.training.TrainingConfig;
import dev.edgecompress.runtime.training.TrainingDevice;
import dev.edgecompress.runtime.training.TranslationException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;
import java.util.function.Consumer;

/**
 * Fine-tuning with TensorFlow Java: translate (with int8 simulated for quantization-aware
 * training), train (pruning gradually where the config has a schedule, learning from the original
 * model where it distills), write the weights back.
 */
public final class RuntimeTrainer implements Trainer {

    /** Samples per ONNX Runtime call while computing the teacher's outputs. */
    private static final int TEACHER_BATCH = 256;

    private final Dataset data;
    private final Path teacher;
    private final Options options;
    private int trainings;
    private Tensor teacherLogits;

    /**
     * How training runs.
     *
     * @param heldOut labelled data to measure top-1 accuracy on after every epoch (null: none)
     * @param device where TensorFlow runs
     * @param stopAtAccuracy the held-out accuracy at which steps with an early stop end (NaN: none)
     * @param checkpoints a directory for resume-safe checkpoints, one subdirectory per training
     *     step in pipeline order (null: none)
     * @param log where each epoch's result goes as a line (loss, held-out top-1, time)
     */
    public record Options(Dataset heldOut, TrainingDevice device, double stopAtAccuracy, Path checkpoints,
            Consumer<String> log) {

        /** No held-out data, no early stop, no checkpoints, no log, on {@code device}. */
        public static Options on(TrainingDevice device) {
            return new Options(null, device, Double.NaN, null, line -> { });
        }
    }

    /** Trains on {@code data}; distillation learns from {@code teacher}'s outputs (the original model). */
    public RuntimeTrainer(Dataset data, Path teacher, Options options) {
        this.data = data;
        this.teacher = teacher;
        this.options = options;
    }

    @Override
    public Result train(Model model, FineTuneConfig config, FakeQuantization quantization,
            BiConsumer<String, Double> progress) {
        TrainingConfig training = new TrainingConfig(config.settings(), 1);
        if (config.earlyStop()) {
            training = training.stoppingAt(options.stopAtAccuracy());
        }
        trainings++;
        if (options.checkpoints() != null) {
            training = training.withCheckpoint(options.checkpoints().resolve("step-" + trainings));
        }
        Dataset heldOut = options.heldOut();
        TrainingDevice device = options.device();
        MaskSchedule schedule = config.schedule() == null ? MaskSchedule.NONE
                : maskSchedule(new GradualPruning(model, config.schedule()), config.settings().steps(data.size()));
        try (TrainableModel trainable = TrainableModel.of(model, device, quantization.activationRanges(),
                quantization.weightAxes(), config.keepClusters() ? SharedValues.of(model).keySet() : Set.of())) {
            Distillation distillation = config.distill() > 0
                    ? new Distillation(teacherLogits(), config.distill(), config.temperature()) : null;
            List<TrainableModel.Epoch> epochs = trainable.train(data, training, schedule, distillation,
                    heldOut != null && heldOut.hasLabels() ? heldOut : null,
                    new Progress() {
                        @Override
                        public void update(String task, long done, long total) {
                            progress.accept(task, (double) done / total);
                        }

                        @Override
                        public void line(String text) {
                            options.log().accept(text);
                        }
                    });
            trainable.writeBack(model);
            List<Map<String, Object>> report = new ArrayList<>();
            for (TrainableModel.Epoch epoch : epochs) {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("epoch", epoch.epoch());
                entry.put("loss", epoch.loss());
                entry.put("seconds", epoch.seconds());
                entry.put("samples_per_second", epoch.samplesPerSecond());
                if (!Double.isNaN(epoch.sparsity())) {
                    entry.put("sparsity", epoch.sparsity());
                }
                if (!Double.isNaN(epoch.heldOutAccuracy())) {
                    entry.put("held_out_accuracy", epoch.heldOutAccuracy());
                }
                report.add(entry);
            }
            return new Result(report, trainable.activationRanges(), trainable.device().id());
        } catch (TranslationException e) {
            throw new SettingException("finetune", e.getMessage());
        } catch (CheckpointException e) {
            throw new SettingException("checkpoint", e.getMessage());
        }
    }

    /** The teacher's first output for every training sample, [samples, classes]. */
    private Tensor teacherLogits() {
        if (teacherLogits == null) {
            teacherLogits = computeTeacherLogits(); // once: every distilling step learns from the same teacher
        }
        return teacherLogits;
    }

    private Tensor computeTeacherLogits() {
        try (InferenceSession session = InferenceSession.open(teacher, SessionConfig.defaults())) {
            String output = session.outputs().get(0).name();
            float[] logits = null;
            long classes = 0;
            for (Batches.Batch batch : data.bind(session.inputs()).of(TEACHER_BATCH)) {
                Tensor out = session.run(batch.feeds()).get(output);
                classes = out.elementCount() / out.dim(0);
                if (logits == null) {
                    logits = new float[Math.toIntExact(data.size() * classes)];
                }
                out.floats().get(logits, (int) (batch.start() * classes), (int) (batch.samples() * classes));
            }
            return Tensor.ofFloats(new long[] {data.size(), classes}, logits);
        } catch (DataFormatException e) {
            throw new SettingException("distill", e.getMessage());
        }
    }

    private static MaskSchedule maskSchedule(GradualPruning pruning, long steps) {
        if (pruning.schedule().endStep() > steps) {
            throw new SettingException("end_step", pruning.schedule().endStep() + " is after the last training step ("
                    + steps + " = epochs x batches per epoch), so the final sparsity would never be reached");
        }
        if (pruning.weights().isEmpty()) {
            throw new SettingException("schedule", "the model has no prunable weights");
        }
        return new MaskSchedule() {
            @Override
            public Set<String> weights() {
                return pruning.weights();
            }

            @Override
            public boolean changesAt(long step) {
                return pruning.prunesAt(step);
            }

            @Override
            public Map<String, float[]> masks(long step, Map<String, float[]> current) {
                return pruning.masks(step, current);
            }
        };
    }
}
