package dev.edgecompress.exporter;

import dev.edgecompress.ir.Model;
import dev.edgecompress.passes.PassConfigException;
import dev.edgecompress.passes.finetune.FineTuneConfig;
import dev.edgecompress.passes.finetune.Trainer;
import dev.edgecompress.passes.pruning.GradualPruning;
import dev.edgecompress.runtime.data.Dataset;
import dev.edgecompress.runtime.training.MaskSchedule;
import dev.edgecompress.runtime.training.TrainableModel;
import dev.edgecompress.runtime.training.TrainingConfig;
import dev.edgecompress.runtime.training.TranslationException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Fine-tuning with TensorFlow Java on labelled training data: translate, train (pruning gradually
 * where the config has a schedule), write the weights back.
 */
public final class RuntimeTrainer implements Trainer {

    private final Dataset data;

    public RuntimeTrainer(Dataset data) {
        this.data = data;
    }

    @Override
    public List<Map<String, Object>> train(Model model, FineTuneConfig config, BiConsumer<String, Double> progress) {
        TrainingConfig training = new TrainingConfig(config.epochs(), config.learningRate(), config.batch(), 1,
                config.cosineDecay());
        MaskSchedule schedule = config.schedule() == null ? MaskSchedule.NONE
                : maskSchedule(new GradualPruning(model, config.schedule()), training.steps(data.size()));
        try (TrainableModel trainable = TrainableModel.of(model)) {
            List<TrainableModel.Epoch> epochs = trainable.train(data, training, schedule,
                    (task, done, total) -> progress.accept(task, (double) done / total));
            trainable.writeBack(model);
            List<Map<String, Object>> report = new ArrayList<>();
            for (TrainableModel.Epoch epoch : epochs) {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("epoch", epoch.epoch());
                entry.put("loss", epoch.loss());
                entry.put("seconds", epoch.seconds());
                entry.put("samples_per_second", epoch.samplesPerSecond());
                if (config.schedule() != null) {
                    entry.put("sparsity", Double.isNaN(epoch.sparsity()) ? config.schedule().initialSparsity()
                            : epoch.sparsity());
                }
                report.add(entry);
            }
            return report;
        } catch (TranslationException e) {
            throw new PassConfigException("finetune", e.getMessage());
        }
    }

    private static MaskSchedule maskSchedule(GradualPruning pruning, long steps) {
        if (pruning.schedule().endStep() > steps) {
            throw new PassConfigException("end_step", pruning.schedule().endStep() + " is after the last training step ("
                    + steps + " = epochs x batches per epoch), so the final sparsity would never be reached");
        }
        if (pruning.weights().isEmpty()) {
            throw new PassConfigException("schedule", "the model has no prunable weights");
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
