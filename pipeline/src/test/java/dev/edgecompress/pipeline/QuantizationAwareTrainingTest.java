package dev.edgecompress.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.exporter.ModelExporter;
import dev.edgecompress.importer.ModelImporter;
import dev.edgecompress.importer.data.DataFiles;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.ir.testing.TestModels;
import dev.edgecompress.passes.Cleanup;
import dev.edgecompress.passes.Pass;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassPipeline;
import dev.edgecompress.passes.finetune.FakeQuantization;
import dev.edgecompress.passes.finetune.Trainer;
import dev.edgecompress.runtime.Evaluation;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.Progress;
import dev.edgecompress.runtime.SessionConfig;
import dev.edgecompress.runtime.training.TrainableModel;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class QuantizationAwareTrainingTest {

    @TempDir
    Path dir;

    /** What the trainer saw and gave back: the float model after training, and where it simulated int8. */
    private static final class RecordingTrainer implements Trainer {
        private final Trainer trainer;
        byte[] trainedFloatModel;
        FakeQuantization quantization;
        Result result;

        RecordingTrainer(Trainer trainer) {
            this.trainer = trainer;
        }

        @Override
        public Result train(Model model, dev.edgecompress.passes.finetune.FineTuneConfig config,
                FakeQuantization fakeQuantization, java.util.function.BiConsumer<String, Double> progress) {
            result = trainer.train(model, config, fakeQuantization, progress);
            quantization = fakeQuantization;
            try {
                trainedFloatModel = ModelExporter.toBytes(model);
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            return result;
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"mlp.onnx", "lenet5_bn.onnx", "resnet_tiny.onnx", "vit_tiny.onnx"})
    void theExportedModelComputesOnOnnxRuntimeWhatTrainingSaw(String name) throws Exception {
        Dataset train = DataFiles.load(TestModels.model("fashion_mnist_calib_512.npz"));
        Dataset images = DataFiles.load(TestModels.model("fashion_mnist_test_2k.npz")).head(256);
        Model model = ModelImporter.load(TestModels.model(name));
        RecordingTrainer trainer = new RecordingTrainer(new RuntimeTrainer(train, TestModels.model(name),
                RuntimeTrainer.Options.on(dev.edgecompress.runtime.training.TrainingDevice.CPU)));
        List<Pass> passes = new ArrayList<>(Cleanup.passes());
        passes.addAll(StepParser.passes("quantize", Map.of("mode", "qat", "epochs", 1, "lr", 1e-4)));
        PassContext context = PassContext.quiet().withTrainer(trainer)
                .withActivations(RuntimeActivationSource.checked(model, train, Compressor.CALIBRATION_BATCH));
        new PassPipeline(passes).run(model, context);

        int quantizedWithTrainedRange = 0;
        for (Node node : model.graph().nodes()) {
            double[] range = trainer.result.activationRanges().get(node.input(0).name());
            if (node.opType().equals("QuantizeLinear") && range != null) {
                float scale = node.input(1).constValue().toFloatArray()[0];
                assertEquals((range[1] - range[0]) / 255, scale, 1e-6 * scale, node.input(0).name());
                quantizedWithTrainedRange++;
            }
        }
        assertEquals(trainer.result.activationRanges().size(), quantizedWithTrainedRange,
                "every trained range quantizes its activation");
        Map<String, Tensor> feeds = Map.of("input", images.arrays().get("input"));
        float[] onnxRuntime;
        try (InferenceSession session = InferenceSession.open(ModelExporter.toBytes(model), SessionConfig.defaults())) {
            onnxRuntime = session.run(feeds).get("logits").toFloatArray();
        }
        float[] tensorFlow;
        Path trained = java.nio.file.Files.write(dir.resolve("trained.onnx"), trainer.trainedFloatModel);
        try (TrainableModel simulated = TrainableModel.quantized(ModelImporter.load(trained),
                dev.edgecompress.runtime.training.TrainingDevice.CPU,
                trainer.result.activationRanges(), trainer.quantization.weightAxes())) {
            tensorFlow = simulated.forward(feeds).get("logits");
        }
        // The two differ where a value falls within rounding error of a step boundary (int32 bias,
        // ONNX Runtime's requantization): one step of one activation now and then.
        float scale = 0;
        double error = 0;
        for (int i = 0; i < onnxRuntime.length; i++) {
            scale = Math.max(scale, Math.abs(onnxRuntime[i]));
            error += Math.abs(onnxRuntime[i] - tensorFlow[i]);
        }
        double meanError = error / onnxRuntime.length;
        int agree = 0;
        for (int s = 0; s < 256; s++) {
            agree += argMax(onnxRuntime, s) == argMax(tensorFlow, s) ? 1 : 0;
        }
        System.out.printf("QAT %s: fake-quant graph vs exported QDQ on ONNX Runtime: mean |logit error| %.5f"
                + " (largest logit %.2f), top-1 agreement %d/256%n", name, meanError, scale, agree);
        assertTrue(meanError < 0.01 * scale, "mean |error| " + meanError + " against logits up to " + scale);
        assertTrue(agree >= 254, agree + "/256 agree");
    }

    @Test
    void trainingLowersTheLossAndScoresNoWorseThanStaticInt8() throws Exception {
        Dataset train = DataFiles.load(TestModels.model("fashion_mnist_calib_512.npz"));
        Path test = TestModels.model("fashion_mnist_test_2k.npz");
        Compressor post = Compressor.load(TestModels.model("mlp.onnx")).quantize("static").calibration(train);
        post.export(dir.resolve("static.onnx"));
        double staticAccuracy = post.validation().data(test).withoutLatency().run().candidate().accuracy();
        Compressor qat = Compressor.load(TestModels.model("mlp.onnx")).training(train).calibration(train)
                .step("quantize", Map.of("mode", "qat", "epochs", 3, "lr", 1e-4));
        qat.export(dir.resolve("qat.onnx"));
        double qatAccuracy = qat.validation().data(test).withoutLatency().run().candidate().accuracy();

        @SuppressWarnings("unchecked")
        List<Map<String, Object>> epochs = (List<Map<String, Object>>) qat.run().stream()
                .filter(s -> s.pass().equals("quantize-qat")).findFirst().orElseThrow().changed().get("epochs");
        double first = ((Number) epochs.get(0).get("loss")).doubleValue();
        double last = ((Number) epochs.get(epochs.size() - 1).get("loss")).doubleValue();
        assertTrue(last < first, "the loss falls: " + first + " -> " + last);
        assertTrue(qatAccuracy >= staticAccuracy - 0.001, "QAT " + qatAccuracy + " against static " + staticAccuracy);
    }

    private static int argMax(float[] logits, int sample) {
        int best = 0;
        for (int c = 1; c < 10; c++) {
            best = logits[sample * 10 + c] > logits[sample * 10 + best] ? c : best;
        }
        return best;
    }

    @Test
    void afterPruningTheZerosStayAndOnnxRuntimeScoresWhatTensorFlowScored() throws Exception {
        Dataset train = DataFiles.load(TestModels.model("fashion_mnist_test_2k.npz"));
        Dataset heldOut = DataFiles.load(TestModels.model("fashion_mnist_calib_512.npz"));
        Compressor compressor = Compressor.load(TestModels.model("mlp.onnx")).training(train, heldOut)
                .calibration(heldOut).prune("l1", 0.9).step("finetune", Map.of("epochs", 6, "lr", 2e-3))
                .step("quantize", Map.of("mode", "qat", "epochs", 2));
        List<PassPipeline.Step> steps = compressor.run();
        Path out = dir.resolve("qat.onnx");
        compressor.export(out);

        PassPipeline.Step qat = steps.stream().filter(s -> s.pass().equals("quantize-qat")).findFirst().orElseThrow();
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> epochs = (List<Map<String, Object>>) qat.changed().get("epochs");
        double tensorFlow = (double) epochs.get(epochs.size() - 1).get("held_out_accuracy");
        double onnxRuntime;
        try (InferenceSession session = InferenceSession.open(out, SessionConfig.defaults())) {
            onnxRuntime = Evaluation.run(session, null, heldOut, 256, Progress.NONE).referenceAccuracy();
        }
        System.out.printf("QAT after l1 90%%: held-out top-1 %.4f in TensorFlow, %.4f on ONNX Runtime%n", tensorFlow,
                onnxRuntime);
        assertEquals(tensorFlow, onnxRuntime, 0.002, "within 0.2 point (one image in 512)");
        assertTrue(onnxRuntime > 0.7, "one-shot l1 90% without fine-tuning: 0.3594; got " + onnxRuntime);

        long zeros = 0;
        for (var initializer : compressor.model().graph().initializers()) {
            Tensor t = initializer.constValue();
            if (t.type() == DataType.INT8 && t.rank() == 2) {
                java.nio.ByteBuffer bytes = t.buffer();
                while (bytes.hasRemaining()) {
                    zeros += bytes.get() == 0 ? 1 : 0;
                }
            }
        }
        long pruned = Math.round(0.9 * (784 * 300 + 300 * 100 + 100 * 10));
        assertTrue(zeros >= pruned, zeros + " int8 zeros; " + pruned + " weights were pruned");
        assertTrue(compressor.model().graph().nodes().stream().map(Node::opType).anyMatch("DequantizeLinear"::equals));
    }

    @Test
    void withoutLabelsItLearnsFromTheOriginalModelOnly() throws Exception {
        Dataset labelled = DataFiles.load(TestModels.model("fashion_mnist_calib_512.npz"));
        Dataset unlabelled = Dataset.of(labelled.source(), labelled.arrays(), null);
        Compressor onLabels = Compressor.load(TestModels.model("mlp.onnx")).training(unlabelled)
                .calibration(labelled).quantize("qat");
        SettingException e = assertThrows(SettingException.class, onLabels::run);
        assertEquals("distill", e.field());

        Compressor distilled = Compressor.load(TestModels.model("mlp.onnx")).training(unlabelled)
                .calibration(labelled).step("quantize", Map.of("mode", "qat", "epochs", 1, "distill", 1.0));
        assertEquals("quantize-qat", distilled.run().get(6).pass());
    }

    @Test
    void qatTakesTheTrainingFieldsButNoPruningScheduleNorInt8Activations() {
        Pass qat = StepParser.passes("quantize", StepParser.quantizeOption("qat,epochs=3,lr=0.0003,distill=0.5")).get(0);
        @SuppressWarnings("unchecked")
        Map<String, Object> training = (Map<String, Object>) qat.params().get("training");
        assertEquals(3, training.get("epochs"));
        assertEquals(0.0003, training.get("lr"));
        assertEquals(0.5, training.get("distill"));
        @SuppressWarnings("unchecked")
        Map<String, Object> defaults = (Map<String, Object>) StepParser.passes("quantize", Map.of("mode", "qat")).get(0)
                .params().get("training");
        assertEquals(2, defaults.get("epochs"));
        assertEquals(1e-5, defaults.get("lr"));
        assertEquals("schedule", assertThrows(SettingException.class, () -> StepParser.passes("quantize",
                StepParser.quantizeOption("qat,final_sparsity=0.9,end_step=100"))).field());
        assertEquals("activations", assertThrows(SettingException.class, () -> StepParser.passes("quantize",
                Map.of("mode", "qat", "activations", "int8"))).field());
        assertEquals("epochs", assertThrows(SettingException.class, () -> StepParser.passes("quantize",
                Map.of("mode", "static", "epochs", 2))).field());
    }
}
