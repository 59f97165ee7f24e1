package dev.edgecompress.exporter;

import dev.edgecompress.ir.Model;
import dev.edgecompress.passes.PassConfigException;
import dev.edgecompress.passes.finetune.FineTuneConfig;
import dev.edgecompress.passes.finetune.Trainer;
import dev.edgecompress.runtime.data.Dataset;
import dev.edgecompress.runtime.training.TrainableModel;
import dev.edgecompress.runtime.training.TrainingConfig;
import dev.edgecompress.runtime.training.TranslationException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/** Fine-tuning with TensorFlow Java on labelled training data: translate, train, write the weights back. */
public final class RuntimeTrainer implements Trainer {

    private final Dataset data;

    public RuntimeTrainer(Dataset data) {
        this.data = data;
    }

    @Override
    public List<Map<String, Object>> train(Model model, FineTuneConfig config, BiConsumer<String, Double> progress) {
        try (TrainableModel trainable = TrainableModel.of(model)) {
            List<TrainableModel.Epoch> epochs = trainable.train(data, new TrainingConfig(config.epochs(),
                    config.learningRate(), config.batch(), 1), (task, done, total) -> progress.accept(task,
                    (double) done / total));
            trainable.writeBack(model);
            List<Map<String, Object>> report = new ArrayList<>();
            for (TrainableModel.Epoch epoch : epochs) {
                Map<String, Object> entry = new LinkedHashMap<>();
                entry.put("epoch", epoch.epoch());
                entry.put("loss", epoch.loss());
                entry.put("seconds", epoch.seconds());
                entry.put("samples_per_second", epoch.samplesPerSecond());
                report.add(entry);
            }
            return report;
        } catch (TranslationException e) {
            throw new PassConfigException("finetune", e.getMessage());
        }
    }
}
