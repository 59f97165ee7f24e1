package dev.edgecompress.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.exporter.ModelExporter;
import dev.edgecompress.importer.ModelImporter;
import dev.edgecompress.importer.data.DataFiles;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.ir.testing.TestModels;
import dev.edgecompress.passes.ModelStatistics;
import dev.edgecompress.passes.PassPipeline;
import dev.edgecompress.runtime.Evaluation;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.Progress;
import dev.edgecompress.runtime.SessionConfig;
import dev.edgecompress.runtime.training.TrainableModel;
import dev.edgecompress.runtime.training.TrainingConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class FineTuningTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"mlp.onnx", "mlp_unfolded_op13.onnx", "lenet5_bn.onnx", "lenet5_bn_unfolded_op13.onnx",
        "resnet_tiny.onnx", "vit_tiny.onnx"})
    void theTensorFlowGraphComputesWhatOnnxRuntimeComputes(String name) throws Exception {
        Path file = TestModels.model(name);
        Dataset images = DataFiles.load(TestModels.model("fashion_mnist_calib_512.npz")).head(16);
        Map<String, Tensor> feeds = Map.of("input", images.arrays().get("input"));
        float[] expected;
        try (InferenceSession session = InferenceSession.open(file, SessionConfig.defaults())) {
            expected = session.run(feeds).get("logits").toFloatArray();
        }
        float[] actual;
        try (TrainableModel model = TrainableModel.of(ModelImporter.load(file))) {
            actual = model.forward(feeds).get("logits");
        }
        float scale = 0;
        for (float v : expected) {
            scale = Math.max(scale, Math.abs(v));
        }
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], 1e-4 * scale, "logit " + i);
        }
    }

    @Test
    void fineTuningRecoversAPrunedModelAndKeepsItsZeros() throws Exception {
        Compressor pruned = Compressor.load(TestModels.model("mlp.onnx")).prune("l1", 0.9);
        Model model = pruned.model();
        long nonzero = ModelStatistics.of(model).nonzeroParameters();
        Path before = dir.resolve("pruned.onnx");
        ModelExporter.write(model, before);

        Dataset train = DataFiles.load(TestModels.model("fashion_mnist_test_2k.npz"));
        Dataset heldOut = DataFiles.load(TestModels.model("fashion_mnist_calib_512.npz"));
        List<TrainableModel.Epoch> epochs;
        try (TrainableModel trainable = TrainableModel.of(model)) {
            epochs = trainable.train(train, new TrainingConfig(6, 2e-3, 64, 1), Progress.NONE);
            trainable.writeBack(model);
        }
        Path after = dir.resolve("fine-tuned.onnx");
        ModelExporter.write(model, after);

        assertTrue(epochs.get(5).loss() < epochs.get(0).loss(), epochs.toString());
        assertEquals(nonzero, ModelStatistics.of(model).nonzeroParameters(), "pruned weights stay exactly zero");
        double accuracyBefore = accuracy(before, heldOut);
        double accuracyAfter = accuracy(after, heldOut);
        System.out.printf("Fine-tuning: l1 90%% MLP, held-out top-1 %.4f -> %.4f; %s%n", accuracyBefore, accuracyAfter,
                epochs);
        assertTrue(accuracyAfter > accuracyBefore + 0.2, accuracyBefore + " -> " + accuracyAfter);
        Value fc1 = model.graph().initializers().stream().filter(v -> v.name().equals("fc1.weight")).findFirst()
                .orElseThrow();
        assertEquals(List.of(300L, 784L), java.util.Arrays.stream(fc1.constValue().dims()).boxed().toList());
        for (float v : fc1.constValue().toFloatArray()) {
            assertTrue(v != 0 || Float.floatToRawIntBits(v) == 0, "zeros are +0, one byte pattern for gzip");
        }
    }

    @ParameterizedTest
    @org.junit.jupiter.params.provider.CsvSource({"adam, 0.001", "sgd, 0.05", "momentum, 0.005", "rmsprop, 0.0005",
        "adagrad, 0.01"})
    void everyOptimizerTrainsAndKeepsTheZeros(String optimizer, double rate) throws Exception {
        Dataset train = DataFiles.load(TestModels.model("fashion_mnist_calib_512.npz"));
        Compressor compressor = Compressor.load(TestModels.model("mlp.onnx")).training(train).prune("l1", 0.9)
                .step("finetune", Map.of("epochs", 3, "lr", rate, "optimizer", optimizer, "weight_decay", 1e-4,
                        "decay", "step"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> epochs = (List<Map<String, Object>>) compressor.run().get(2).changed().get("epochs");
        double first = (double) epochs.get(0).get("loss");
        double last = (double) epochs.get(2).get("loss");
        assertTrue(last < first, optimizer + ": loss " + first + " -> " + last);
        assertEquals(26_620 + 410, ModelStatistics.of(compressor.model()).nonzeroParameters(), 2, optimizer);
    }

    @Test
    void anInterruptedRunResumesFromItsCheckpointToTheSameWeights() throws Exception {
        // The same run, interrupted and started again, ends where an uninterrupted one does.
        Dataset train = DataFiles.load(TestModels.model("fashion_mnist_calib_512.npz"));
        TrainingConfig config = new TrainingConfig(3, 1e-3, 64, 7);
        Map<String, Tensor> uninterrupted;
        try (TrainableModel trainable = TrainableModel.of(prunedMlp())) {
            trainable.train(train, config, Progress.NONE);
            uninterrupted = trainable.weights();
        }
        TrainingConfig checkpointed = config.withCheckpoint(dir.resolve("checkpoints"));
        class Interrupted extends RuntimeException {
        }
        try (TrainableModel trainable = TrainableModel.of(prunedMlp())) {
            assertThrows(Interrupted.class, () -> trainable.train(train, checkpointed, (task, done, total) -> {
                if (task.equals("epoch 2") && done > total / 2) {
                    throw new Interrupted(); // the process dies halfway through epoch 2
                }
            }));
        }
        try (TrainableModel trainable = TrainableModel.of(prunedMlp())) {
            List<TrainableModel.Epoch> epochs = trainable.train(train, checkpointed, Progress.NONE);
            assertEquals(3, epochs.size(), "epoch 1 from the checkpoint, 2 and 3 trained");
            for (Map.Entry<String, Tensor> weight : trainable.weights().entrySet()) {
                assertTrue(java.util.Arrays.equals(uninterrupted.get(weight.getKey()).toFloatArray(),
                        weight.getValue().toFloatArray()), weight.getKey() + " differs from the uninterrupted run's");
            }
        }
        try (TrainableModel trainable = TrainableModel.of(prunedMlp())) {
            // Other settings: a run of its own, trained from the start, beside the first one's.
            trainable.train(train, new TrainingConfig(3, 2e-3, 64, 7).withCheckpoint(dir.resolve("checkpoints")),
                    Progress.NONE);
            assertTrue(!java.util.Arrays.equals(uninterrupted.get("fc1.weight").toFloatArray(),
                    trainable.weights().get("fc1.weight").toFloatArray()));
        }
        try (var runs = java.nio.file.Files.list(dir.resolve("checkpoints"))) {
            assertEquals(2, runs.count(), "one subdirectory per run");
        }
    }

    private static Model prunedMlp() throws Exception {
        return Compressor.load(TestModels.model("mlp.onnx")).prune("l1", 0.9).model();
    }

    /** PyTorch exports beyond the shared models: a residual CNN and a one-block vision transformer. */
    @ParameterizedTest
    @ValueSource(strings = {"resnet_tiny.onnx", "vit_tiny.onnx"})
    void exportedNetworksPruneAndTrain(String name) throws Exception {
        Dataset train = DataFiles.load(TestModels.model("fashion_mnist_calib_512.npz"));
        Compressor compressor = Compressor.load(TestModels.model(name)).training(train).prune("l1", 0.5)
                .step("finetune", Map.of("epochs", 3, "lr", 1e-3));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> epochs = (List<Map<String, Object>>) compressor.run().get(2).changed().get("epochs");
        assertTrue((double) epochs.get(2).get("loss") < (double) epochs.get(0).get("loss"), name + ": " + epochs);
    }

    @Test
    void trainingIsDeterministic() throws Exception {
        // Two runs with the same seed give the same weights: no update is lost to, or read early
        // by, another op of the same step.
        Dataset train = DataFiles.load(TestModels.model("fashion_mnist_calib_512.npz"));
        List<Map<String, Tensor>> runs = new java.util.ArrayList<>();
        for (int run = 0; run < 2; run++) {
            Model model = Compressor.load(TestModels.model("mlp.onnx")).prune("l1", 0.9).model();
            try (TrainableModel trainable = TrainableModel.of(model)) {
                trainable.train(train, new TrainingConfig(2, 1e-3, 64, 7), Progress.NONE);
                runs.add(trainable.weights());
            }
        }
        for (String name : runs.get(0).keySet()) {
            assertTrue(java.util.Arrays.equals(runs.get(0).get(name).toFloatArray(), runs.get(1).get(name).toFloatArray()),
                    name + " differs between two runs");
        }
    }

    @Test
    void prunesGraduallyWhileTrainingToExactlyTheFinalSparsity() throws Exception {
        Dataset train = DataFiles.load(TestModels.model("fashion_mnist_test_2k.npz"));
        Dataset heldOut = DataFiles.load(TestModels.model("fashion_mnist_calib_512.npz"));
        // 2,000 samples / 64 = 32 steps an epoch; 6 epochs = 192 steps; prune 0 -> 90% by step 128.
        Compressor gradual = Compressor.load(TestModels.model("mlp.onnx")).training(train).step("finetune", Map.of(
                "epochs", 6, "lr", 2e-3, "schedule", Map.of("final_sparsity", 0.9, "end_step", 128, "frequency", 16)));
        List<PassPipeline.Step> steps = gradual.run();
        Model model = gradual.model();
        ModelStatistics statistics = ModelStatistics.of(model);
        long prunable = 784 * 300 + 300 * 100 + 100 * 10;
        long biases = 300 + 100 + 10;
        assertEquals(Math.rint(0.1 * prunable) + biases, statistics.nonzeroParameters(), 2,
                "exactly round(0.9 n) weights pruned (a trained bias may be exactly zero)");
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> epochs = (List<Map<String, Object>>) steps.get(1).changed().get("epochs");
        assertEquals(0.9, (double) epochs.get(5).get("sparsity"), 1e-6);
        assertTrue((double) epochs.get(1).get("sparsity") < 0.9, epochs.toString());

        // An epoch that ends before the first cut reports the zeros really there, not a target.
        Compressor late = Compressor.load(TestModels.model("mlp.onnx")).training(heldOut).prune("l1", 0.5)
                .step("finetune", Map.of("epochs", 2, "schedule", Map.of("initial_sparsity", 0.6,
                        "final_sparsity", 0.8, "begin_step", 9, "end_step", 16, "frequency", 4)));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> lateEpochs = (List<Map<String, Object>>) late.run().get(2).changed().get("epochs");
        assertEquals(0.5, (double) lateEpochs.get(0).get("sparsity"), 1e-5, "the one-shot 50% before any cut");
        assertEquals(0.8, (double) lateEpochs.get(1).get("sparsity"), 1e-6);

        Path out = dir.resolve("gradual.onnx");
        ModelExporter.write(model, out);
        Compressor oneShot = Compressor.load(TestModels.model("mlp.onnx")).prune("l1", 0.9);
        oneShot.run();
        Path pruned = dir.resolve("one-shot.onnx");
        ModelExporter.write(oneShot.model(), pruned);
        double accuracyGradual = accuracy(out, heldOut);
        double accuracyOneShot = accuracy(pruned, heldOut);
        System.out.printf("Gradual pruning to 90%% while fine-tuning: held-out top-1 %.4f (one-shot l1 90%%: %.4f); %s%n",
                accuracyGradual, accuracyOneShot, epochs);
        assertTrue(accuracyGradual > accuracyOneShot + 0.2, accuracyOneShot + " vs " + accuracyGradual);
    }

    @Test
    void distillingTheModelIntoItselfCostsNothing() throws Exception {
        // With the whole loss on the teacher and the teacher the model itself, KL is zero up to the
        // difference between ONNX Runtime's logits (the teacher) and TensorFlow's (the student).
        Compressor self = Compressor.load(TestModels.model("mlp.onnx"))
                .training(DataFiles.load(TestModels.model("fashion_mnist_calib_512.npz")))
                .step("finetune", Map.of("epochs", 1, "lr", 1e-12, "distill", 1.0, "temperature", 2.0));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> epochs = (List<Map<String, Object>>) self.run().get(1).changed().get("epochs");
        assertEquals(0, (double) epochs.get(0).get("loss"), 1e-6);
    }

    @Test
    void distillationRecoversAPrunedModel() throws Exception {
        Dataset train = DataFiles.load(TestModels.model("fashion_mnist_test_2k.npz"));
        Dataset heldOut = DataFiles.load(TestModels.model("fashion_mnist_calib_512.npz"));
        Compressor distilled = Compressor.load(TestModels.model("mlp.onnx")).training(train).prune("l1", 0.9)
                .step("finetune", Map.of("epochs", 6, "lr", 2e-3, "distill", 0.5, "temperature", 2.0));
        List<PassPipeline.Step> steps = distilled.run();
        assertEquals(0.5, steps.get(2).params().get("distill"));
        Path out = dir.resolve("distilled.onnx");
        ModelExporter.write(distilled.model(), out);
        double accuracy = accuracy(out, heldOut);
        System.out.printf("Distillation (0.5, T 2): l1 90%% MLP, 6 epochs, held-out top-1 %.4f%n", accuracy);
        assertTrue(accuracy > 0.65, "one-shot l1 90% without fine-tuning: 0.3594; got " + accuracy);
        assertEquals(26_620 + 410, ModelStatistics.of(distilled.model()).nonzeroParameters(), 2);
    }

    @Test
    void distillationAloneNeedsNoLabels() throws Exception {
        Dataset labelled = DataFiles.load(TestModels.model("fashion_mnist_test_2k.npz"));
        Dataset unlabelled = Dataset.of(labelled.source(), labelled.arrays(), null);
        Compressor distilled = Compressor.load(TestModels.model("mlp.onnx")).training(unlabelled).prune("l1", 0.9)
                .step("finetune", Map.of("epochs", 6, "lr", 2e-3, "distill", 1.0));
        distilled.run();
        Path out = dir.resolve("label-free.onnx");
        ModelExporter.write(distilled.model(), out);
        double accuracy = accuracy(out, DataFiles.load(TestModels.model("fashion_mnist_calib_512.npz")));
        System.out.printf("Distillation without labels: l1 90%% MLP, 6 epochs, held-out top-1 %.4f%n", accuracy);
        assertTrue(accuracy > 0.65, "one-shot l1 90% without fine-tuning: 0.3594; got " + accuracy);

        Compressor mixed = Compressor.load(TestModels.model("mlp.onnx")).training(unlabelled)
                .step("finetune", Map.of("epochs", 1, "distill", 0.5));
        SettingException e = assertThrows(SettingException.class, mixed::run);
        assertEquals("distill", e.field());
        assertTrue(e.getMessage().contains("fashion_mnist_test_2k.npz has no 'labels' array"), e.getMessage());
    }

    @Test
    void aScheduleEndingAfterTrainingIsAConfigurationError() throws Exception {
        Dataset train = DataFiles.load(TestModels.model("fashion_mnist_calib_512.npz"));
        Compressor compressor = Compressor.load(TestModels.model("mlp.onnx")).training(train).step("finetune", Map.of(
                "epochs", 1, "schedule", Map.of("final_sparsity", 0.5, "end_step", 100)));
        SettingException e = assertThrows(SettingException.class, compressor::run);
        assertEquals("end_step", e.field());
        assertTrue(e.getMessage().contains("8 = epochs x batches per epoch"), e.getMessage());
    }

    private static double accuracy(Path model, Dataset data) throws Exception {
        try (InferenceSession session = InferenceSession.open(model, SessionConfig.defaults())) {
            return Evaluation.run(session, null, data, 256, Progress.NONE).referenceAccuracy();
        }
    }
}
