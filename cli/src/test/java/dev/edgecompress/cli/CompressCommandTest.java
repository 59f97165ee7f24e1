package dev.edgecompress.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import dev.edgecompress.ir.testing.TestModels;
import dev.edgecompress.runtime.training.TrainingDevice;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompressCommandTest {

    private static final String MLP = TestModels.model("mlp.onnx").toString();
    private static final String DATA = TestModels.model("fashion_mnist_test_2k.npz").toString();

    @TempDir
    Path dir;

    private final CliRun cli = new CliRun();

    @Test
    void prunesValidatesAndPassesTheGate() throws Exception {
        Path out = dir.resolve("pruned.onnx");
        Path report = dir.resolve("report.json");
        ExitCode code = cli.run("compress", MLP, "-o", out.toString(), "--prune", "l1:0.5", "--data", DATA,
                "--max-accuracy-drop", "2", "--batch", "8", "--time", "0", "--runs", "5", "--report", report.toString());

        assertEquals(ExitCode.OK, code, cli.stderr());
        assertTrue(cli.stdout().contains("step       prune-l1"), cli.stdout());
        assertTrue(cli.stdout().contains("non-zero parameters 266,610 -> 133,510"), cli.stdout());
        JsonNode json = Json.mapper().readTree(Files.readString(report));
        assertEquals("prune-l1", json.get("steps").get(1).get("pass").asText());
        assertEquals(0.5, json.get("steps").get(1).get("params").get("sparsity").asDouble());
        assertEquals(133_510, json.get("candidate").get("nonzero_parameters").asLong());
        assertTrue(json.get("passed").asBoolean());
    }

    @Test
    void aFailedAccuracyGateExitsOneWithTheModelWritten() throws Exception {
        Path out = dir.resolve("pruned.onnx");
        ExitCode code = cli.run("compress", MLP, "-o", out.toString(), "--prune", "l1:0.9", "--data", DATA,
                "--max-accuracy-drop", "1.0", "--batch", "8", "--time", "0", "--runs", "5");
        assertEquals(ExitCode.GATE_FAILED, code, cli.stderr());
        assertTrue(Files.exists(out));
        assertTrue(cli.stdout().contains("gate       FAIL max_accuracy_drop"), cli.stdout());
    }

    @Test
    void withoutDataOrGatesItOnlyCompresses() {
        assertEquals(ExitCode.OK, cli.run("compress", MLP, "-o", dir.resolve("o.onnx").toString(), "--prune",
                "magnitude:0.6", "--prune", "l1:0.7"), cli.stderr());
        assertTrue(cli.stdout().contains("prune-magnitude"));
        assertTrue(cli.stdout().contains("prune-l1"));
        assertFalse(cli.stdout().contains("reference"));
    }

    @Test
    void aRecipeWithABadFieldIsOneLineNamingTheStep() throws Exception {
        Path recipe = Files.writeString(dir.resolve("r.json"),
                "{\"steps\": [{\"type\": \"prune\", \"method\": \"l1\", \"sparsity\": \"lots\"}]}");
        assertEquals(ExitCode.BAD_INPUT, cli.run("compress", MLP, "-o", dir.resolve("o.onnx").toString(),
                "--recipe", recipe.toString()));
        assertEquals(recipe + ": steps[0].sparsity: must be a number, got lots", cli.stderr().strip()
                .replace("edgecompress: ", ""));
        assertFalse(Files.exists(dir.resolve("o.onnx")), "an invalid recipe fails before any work");
    }

    @Test
    void recipeGatesApplyAndOptionsOverrideThem() throws Exception {
        Path recipe = Files.writeString(dir.resolve("r.json"),
                "{\"steps\": [{\"type\": \"prune\", \"method\": \"l1\", \"sparsity\": 0.5}],"
                        + " \"gates\": {\"max_size_ratio\": 0.5, \"max_accuracy_drop\": 0.0}}");
        ExitCode code = cli.run("compress", MLP, "-o", dir.resolve("o.onnx").toString(), "--recipe",
                recipe.toString(), "--data", DATA, "--max-accuracy-drop", "5", "--batch", "4", "--time", "0",
                "--runs", "5");
        assertEquals(ExitCode.GATE_FAILED, code, cli.stderr());
        assertTrue(cli.stdout().contains("gate       FAIL max_size_ratio"), cli.stdout());
        assertTrue(cli.stdout().contains("gate       pass max_accuracy_drop"), cli.stdout());
    }

    /**
     * x [N, 16] -> Gemm -> Relu -> Gemm -> Relu -> Gemm -> y, on data whose feature 0 is in the
     * thousands while the rest lie in [0, 1]: quantizing the input crushes every other feature (the
     * first layer ignores feature 0, so float is unaffected). Only the first layer needs float.
     */
    private Path outlierModelAndData(Path data) throws Exception {
        java.util.Random random = new java.util.Random(4);
        dev.edgecompress.ir.ModelBuilder b = dev.edgecompress.ir.ModelBuilder.onnx(13);
        dev.edgecompress.ir.Value x = b.input("x", dev.edgecompress.ir.DataType.FLOAT,
                dev.edgecompress.ir.Shape.of(dev.edgecompress.ir.Dim.symbolic("batch"), dev.edgecompress.ir.Dim.of(16)));
        dev.edgecompress.ir.Value h = x;
        int[] widths = {16, 32, 16, 4};
        for (int layer = 0; layer < 3; layer++) {
            float[] w = new float[widths[layer] * widths[layer + 1]];
            for (int i = 0; i < w.length; i++) {
                w[i] = layer == 0 && i / widths[1] == 0 ? 0 : (float) random.nextGaussian();
            }
            h = b.op("Gemm", h, b.initializer("w" + layer, dev.edgecompress.ir.Tensor.ofFloats(
                    new long[] {widths[layer], widths[layer + 1]}, w)));
            h.producer().setName("/fc" + (layer + 1) + "/Gemm");
            if (layer < 2) {
                h = b.op("Relu", h);
            }
        }
        b.output(h);
        Path model = dir.resolve("outlier.onnx");
        dev.edgecompress.exporter.ModelExporter.write(b.build(), model);
        float[] values = new float[256 * 16];
        for (int i = 0; i < values.length; i++) {
            values[i] = i % 16 == 0 ? 1000 * random.nextFloat() : random.nextFloat();
        }
        NpzFiles.write(data, java.util.Map.of("x", NpzFiles.Array.floats(new long[] {256, 16}, values)));
        return model;
    }

    @Test
    void quantizesStaticallyAndFallsBackToFloatUntilTheGatePasses() throws Exception {
        Path data = dir.resolve("outlier.npz");
        Path model = outlierModelAndData(data);
        Path report = dir.resolve("report.json");
        ExitCode code = cli.run("compress", model.toString(), "-o", dir.resolve("int8.onnx").toString(), "--quantize",
                "static", "--calib", data.toString(), "--data", data.toString(), "--min-agreement", "0.99", "--batch",
                "4", "--time", "0", "--runs", "5", "--report", report.toString());

        assertEquals(ExitCode.OK, code, cli.stdout() + cli.stderr());
        assertTrue(cli.stdout().contains("sensitivity (each node quantized alone"), cli.stdout());
        JsonNode quantization = Json.mapper().readTree(Files.readString(report)).get("quantization");
        assertEquals(3, quantization.get("sensitivity").size());
        assertEquals("/fc1/Gemm", quantization.get("sensitivity").get(0).get("node").asText(), "the input's outlier");
        assertEquals(List.of("/fc1/Gemm"), Json.mapper().convertValue(quantization.get("fallback_to_float"),
                List.class), "only the first layer goes back to float");
        long quantizeNodes = dev.edgecompress.importer.ModelImporter.load(dir.resolve("int8.onnx")).graph().nodes()
                .stream().filter(n -> n.opType().equals("QuantizeLinear")).count();
        assertTrue(quantizeNodes > 0, "the model that passed is still int8");
    }

    @Test
    void keepFasterTimesAtTheBatchSizesGiven() throws Exception {
        Path report = dir.resolve("report.json");
        ExitCode code = cli.run("compress", MLP, "-o", dir.resolve("int8.onnx").toString(), "--quantize",
                "static,keep_faster=1", "--calib", TestModels.model("fashion_mnist_calib_512.npz").toString(),
                "--batch", "2", "--time", "0", "--runs", "5", "--report", report.toString());

        assertEquals(ExitCode.OK, code, cli.stderr());
        String steps = Json.mapper().readTree(Files.readString(report)).get("steps").toString();
        assertTrue(steps.contains("keep_faster_trials"), steps);
        assertTrue(steps.contains(": batch 2 "), steps);
        assertFalse(steps.contains("batch 1 ") || steps.contains("batch 64"), "--batch 2 alone: " + steps);
    }

    @Test
    void aFallbackThatEndsAllFloatSaysSo() throws Exception {
        Path report = dir.resolve("report.json");
        ExitCode code = cli.run("compress", MLP, "-o", dir.resolve("int8.onnx").toString(), "--quantize", "static",
                "--calib", TestModels.model("fashion_mnist_calib_512.npz").toString(), "--data", DATA,
                "--min-agreement", "1.0", "--batch", "4", "--time", "0", "--runs", "5", "--report", report.toString(),
                "--fail-on-warning");

        assertEquals(ExitCode.GATE_FAILED, code, "--fail-on-warning: a float model is not what was asked");
        assertTrue(cli.stderr().contains("put all 3 quantized nodes back to float"), cli.stderr());
        JsonNode json = Json.mapper().readTree(Files.readString(report));
        assertTrue(json.get("warnings").toString().contains("put all 3 quantized nodes back to float"));
    }

    @Test
    void staticQuantizationWithoutDataIsABadUsage() {
        assertEquals(ExitCode.BAD_INPUT, cli.run("compress", MLP, "-o", dir.resolve("o.onnx").toString(),
                "--quantize", "static"));
        assertTrue(cli.stderr().contains("needs calibration data"), cli.stderr());
    }

    @Test
    void withoutCalibrationDataQuantizationSamplesTheTrainingData() throws Exception {
        Path report = dir.resolve("report.json");
        assertEquals(ExitCode.OK, cli.run("compress", MLP, "-o", dir.resolve("q.onnx").toString(), "--finetune",
                "epochs=1", "--quantize", "static", "--train", DATA, "--report", report.toString()), cli.stderr());
        JsonNode steps = Json.mapper().readTree(Files.readString(report)).get("steps");
        JsonNode quantize = steps.get(steps.size() - 5);
        assertEquals("quantize-static", quantize.get("pass").asText());
        assertEquals(512, quantize.get("changed").get("calibration_samples").asInt());
    }

    @Test
    void lowRankReportsEachLayer() throws Exception {
        Path report = dir.resolve("report.json");
        assertEquals(ExitCode.OK, cli.run("compress", MLP, "-o", dir.resolve("lr.onnx").toString(), "--low-rank",
                "energy:0.9", "--data", DATA, "--batch", "4", "--time", "0", "--runs", "5", "--report",
                report.toString()), cli.stderr());
        JsonNode step = Json.mapper().readTree(Files.readString(report)).get("steps").get(1);
        assertEquals("low-rank", step.get("pass").asText());
        JsonNode layers = step.get("changed").get("layers");
        assertEquals(3, layers.size());
        assertEquals("/fc1/Gemm", layers.get(0).get("node").asText());
        assertEquals(81, layers.get(0).get("rank").asInt());
        assertTrue(layers.get(0).get("relative_error").asDouble() < 0.33);
        CliRun bad = new CliRun();
        assertEquals(ExitCode.BAD_INPUT, bad.run("compress", MLP, "-o", "o.onnx", "--low-rank", "rank:4"));
        assertTrue(bad.stderr().contains("expects energy:E, ratio:R or budget:B"), bad.stderr());
    }

    @Test
    void fineTunesAfterPruningAndReportsTheEpochs() throws Exception {
        Path report = dir.resolve("report.json");
        assertEquals(ExitCode.OK, cli.run("compress", MLP, "-o", dir.resolve("ft.onnx").toString(), "--prune",
                "l1:0.9", "--finetune", "epochs=2,lr=0.002,batch=32", "--train", DATA, "--data",
                TestModels.model("fashion_mnist_calib_512.npz").toString(), "--batch", "4", "--time", "0", "--runs",
                "5", "--report", report.toString()), cli.stderr());
        JsonNode json = Json.mapper().readTree(Files.readString(report));
        JsonNode finetune = json.get("steps").get(2);
        assertEquals("finetune", finetune.get("pass").asText());
        assertEquals(2, finetune.get("changed").get("epochs").size());
        assertEquals(26_620, json.get("candidate").get("nonzero_parameters").asLong() - 410,
                "the 90% l1 zeros stay (266,200 prunable weights, 410 biases)");
        // Without a terminal: one line per epoch, nothing per batch.
        List<String> epochLines = cli.stderr().lines().filter(l -> l.startsWith("edgecompress: epoch ")).toList();
        assertEquals(2, epochLines.size(), cli.stderr());
        assertTrue(epochLines.get(1).matches("edgecompress: epoch 2/2: loss \\d+\\.\\d{4}, held-out top-1 \\d+\\.\\d{2}%,"
                + " \\d+\\.\\d s"), epochLines.get(1));
        CliRun missing = new CliRun();
        assertEquals(ExitCode.BAD_INPUT, missing.run("compress", MLP, "-o", dir.resolve("x.onnx").toString(),
                "--finetune", "epochs=1"));
        assertTrue(missing.stderr().contains("--train: fine-tuning and quantization-aware training need training data"),
                missing.stderr());
    }

    @Test
    void stopsTrainingOnceTheAccuracyGateIsMet() throws Exception {
        Path report = dir.resolve("report.json");
        String heldOut = TestModels.model("fashion_mnist_calib_512.npz").toString();
        assertEquals(ExitCode.OK, cli.run("compress", MLP, "-o", dir.resolve("es.onnx").toString(), "--prune",
                "l1:0.9", "--finetune", "epochs=20,lr=0.002,early_stop=1", "--train", DATA, "--data", heldOut,
                "--max-accuracy-drop", "15", "--time", "0", "--runs", "3", "--report", report.toString()),
                cli.stderr());
        JsonNode json = Json.mapper().readTree(Files.readString(report));
        JsonNode epochs = json.get("steps").get(2).get("changed").get("epochs");
        double target = json.get("reference").get("accuracy").asDouble() - 0.15;
        assertTrue(epochs.size() < 20, "stopped early: " + epochs);
        assertTrue(epochs.get(epochs.size() - 1).get("held_out_accuracy").asDouble() >= target, epochs.toString());
        assertTrue(epochs.size() == 1 || epochs.get(epochs.size() - 2).get("held_out_accuracy").asDouble() < target,
                "not one epoch later than needed: " + epochs);

        CliRun noGate = new CliRun();
        assertEquals(ExitCode.BAD_INPUT, noGate.run("compress", MLP, "-o", dir.resolve("x.onnx").toString(),
                "--finetune", "epochs=2,early_stop=1", "--train", DATA, "--data", heldOut));
        assertTrue(noGate.stderr().contains("early_stop: needs labelled held-out data (--data) and an accuracy gate"),
                noGate.stderr());
    }

    @Test
    void checkpointsLetTheSameRunResume() throws Exception {
        Path checkpoints = dir.resolve("checkpoints");
        Path first = dir.resolve("first.onnx");
        Path firstReport = dir.resolve("first.json");
        assertEquals(ExitCode.OK, cli.run("compress", MLP, "-o", first.toString(), "--prune", "l1:0.9", "--finetune",
                "epochs=2", "--quantize", "qat,epochs=1", "--train", DATA, "--calib", DATA, "--checkpoint",
                checkpoints.toString(), "--report", firstReport.toString(), "--batch", "1", "--runs", "3", "--time",
                "0"), cli.stderr());
        assertTrue(Files.isDirectory(checkpoints.resolve("step-1")), "finetune's checkpoints");
        assertTrue(Files.isDirectory(checkpoints.resolve("step-2")), "qat's checkpoints");
        // Run again: every epoch is in the checkpoints, so nothing trains and the model is the same.
        Path again = dir.resolve("again.onnx");
        CliRun second = new CliRun();
        Path againReport = dir.resolve("again.json");
        assertEquals(ExitCode.OK, second.run("compress", MLP, "-o", again.toString(), "--prune", "l1:0.9",
                "--finetune", "epochs=2", "--quantize", "qat,epochs=1", "--train", DATA, "--calib", DATA,
                "--checkpoint", checkpoints.toString(), "--report", againReport.toString(), "--batch", "1", "--runs",
                "3", "--time", "0"), second.stderr());
        assertTrue(java.util.Arrays.equals(Files.readAllBytes(first), Files.readAllBytes(again)));
        // Training is deterministic, so equal models alone would not show a resume: the epochs' timings
        // must be the ones the checkpoints saved, which a second training would not reproduce.
        JsonNode trained = Json.mapper().readTree(Files.readString(firstReport)).get("steps").get(2).get("changed");
        JsonNode resumed = Json.mapper().readTree(Files.readString(againReport)).get("steps").get(2).get("changed");
        assertEquals("finetune", Json.mapper().readTree(Files.readString(againReport)).get("steps").get(2).get("pass")
                .asText());
        assertEquals(trained.get("epochs"), resumed.get("epochs"), "restored from the checkpoints, not retrained");
    }

    @Test
    void trainsOnTheDeviceAskedForAndReportsIt() throws Exception {
        Path report = dir.resolve("report.json");
        assertEquals(ExitCode.OK, cli.run("compress", MLP, "-o", dir.resolve("cpu.onnx").toString(), "--finetune",
                "epochs=1", "--train", DATA, "--device", "cpu", "--report", report.toString()), cli.stderr());
        JsonNode json = Json.mapper().readTree(Files.readString(report));
        assertEquals("cpu", json.get("steps").get(1).get("changed").get("device").asText());

        CliRun gpu = new CliRun();
        ExitCode code = gpu.run("compress", MLP, "-o", dir.resolve("gpu.onnx").toString(), "--finetune", "epochs=1",
                "--train", DATA, "--device", "gpu");
        if (TrainingDevice.gpuProblem() == null) {
            assertEquals(ExitCode.OK, code, gpu.stderr());
        } else {
            assertEquals(ExitCode.BAD_INPUT, code);
            assertTrue(gpu.stderr().startsWith("edgecompress compress: --device gpu: "), gpu.stderr());
            assertTrue(gpu.stderr().contains(TrainingDevice.gpuProblem()), gpu.stderr());
            assertTrue(Files.notExists(dir.resolve("gpu.onnx")), "nothing written");
        }
        CliRun bad = new CliRun();
        assertEquals(ExitCode.BAD_INPUT, bad.run("compress", MLP, "-o", dir.resolve("x.onnx").toString(),
                "--finetune", "epochs=1", "--train", DATA, "--device", "tpu"));
        assertTrue(bad.stderr().contains("--device: unknown device 'tpu'"), bad.stderr());
    }

    @Test
    void trainsQuantizationAwareAndReportsTheFakeQuantAccuracy() throws Exception {
        Path report = dir.resolve("report.json");
        String heldOut = TestModels.model("fashion_mnist_calib_512.npz").toString();
        assertEquals(ExitCode.OK, cli.run("compress", MLP, "-o", dir.resolve("qat.onnx").toString(), "--quantize",
                "qat,epochs=1,lr=0.00001", "--train", DATA, "--calib", heldOut, "--data", heldOut, "--batch", "4",
                "--time", "0", "--runs", "5", "--report", report.toString()), cli.stderr());
        JsonNode json = Json.mapper().readTree(Files.readString(report));
        JsonNode qat = json.get("steps").get(6);
        assertEquals("quantize-qat", qat.get("pass").asText());
        assertEquals(1e-5, qat.get("params").get("training").get("lr").asDouble());
        double tensorFlow = qat.get("changed").get("epochs").get(0).get("held_out_accuracy").asDouble();
        assertEquals(tensorFlow, json.get("candidate").get("accuracy").asDouble(), 0.002,
                "ONNX Runtime scores what the fake-quant graph scored");

        CliRun bad = new CliRun();
        assertEquals(ExitCode.BAD_INPUT, bad.run("compress", MLP, "-o", dir.resolve("x.onnx").toString(),
                "--quantize", "qat,epochs", "--train", DATA, "--calib", heldOut));
        assertTrue(bad.stderr().contains("expects key=value pairs"), bad.stderr());
        CliRun unknown = new CliRun();
        assertEquals(ExitCode.BAD_INPUT, unknown.run("compress", MLP, "-o", dir.resolve("x.onnx").toString(),
                "--quantize", "ptq", "--calib", heldOut));
        assertTrue(unknown.stderr().contains("must be static, dynamic, qat, fp16 or int4"), unknown.stderr());
    }

    @Test
    void prunesGraduallyWhileFineTuning() throws Exception {
        Path report = dir.resolve("report.json");
        // 2,000 samples in batches of 64: 32 steps an epoch, 64 in all; 80% by step 48
        assertEquals(ExitCode.OK, cli.run("compress", MLP, "-o", dir.resolve("gradual.onnx").toString(), "--finetune",
                "epochs=2,lr=0.002,final_sparsity=0.8,end_step=48,frequency=8", "--train", DATA, "--report",
                report.toString(), "--data", TestModels.model("fashion_mnist_calib_512.npz").toString(), "--batch", "4",
                "--time", "0", "--runs", "5"), cli.stderr());
        JsonNode json = Json.mapper().readTree(Files.readString(report));
        JsonNode finetune = json.get("steps").get(1);
        assertEquals(0.8, finetune.get("params").get("schedule").get("final_sparsity").asDouble());
        assertEquals(0.8, finetune.get("changed").get("epochs").get(1).get("sparsity").asDouble(), 1e-9);
        assertEquals(53_240, json.get("candidate").get("nonzero_parameters").asLong() - 410, 2,
                "20% of 266,200 prunable weights left, and the 410 biases");

        CliRun late = new CliRun();
        assertEquals(ExitCode.BAD_INPUT, late.run("compress", MLP, "-o", dir.resolve("late.onnx").toString(),
                "--finetune", "epochs=1,final_sparsity=0.8,end_step=1000", "--train", DATA));
        assertTrue(late.stderr().contains("end_step: 1000 is after the last training step (32"), late.stderr());
        assertFalse(Files.exists(dir.resolve("late.onnx")));
    }

    @Test
    void badPassOptions() {
        assertEquals(ExitCode.BAD_INPUT, cli.run("compress", MLP, "-o", "o.onnx", "--prune", "l1"));
        assertTrue(cli.stderr().contains("expects METHOD:SPARSITY"), cli.stderr());
        CliRun other = new CliRun();
        assertEquals(ExitCode.BAD_INPUT, other.run("compress", MLP, "-o", "o.onnx", "--prune", "l1:1.2"));
        assertTrue(other.stderr().contains("sparsity: must be a fraction in [0, 1), got 1.2"), other.stderr());
        CliRun both = new CliRun();
        assertEquals(ExitCode.BAD_INPUT, both.run("compress", MLP, "-o", "o.onnx", "--prune", "l1:0.5",
                "--recipe", "r.json"));
        assertTrue(both.stderr().contains("either in --recipe or as options"), both.stderr());
    }
}
