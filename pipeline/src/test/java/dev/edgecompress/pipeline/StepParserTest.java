package dev.edgecompress.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.training.BatchNormMode;
import dev.edgecompress.ir.training.LearningRateDecay;
import dev.edgecompress.ir.training.Optimizer;
import dev.edgecompress.passes.Pass;
import dev.edgecompress.passes.clustering.ClusteringConfig;
import dev.edgecompress.passes.finetune.FineTuneConfig;
import dev.edgecompress.passes.float16.Float16Config;
import dev.edgecompress.passes.pruning.PolynomialDecay;
import dev.edgecompress.passes.quantization.CalibrationMethod;
import dev.edgecompress.passes.quantization.int4.Int4Config;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class StepParserTest {

    @TempDir
    Path dir;

    @Test
    void optionsAndRecipeFilesReadIntoTheSameRecords() throws Exception {
        Files.writeString(dir.resolve("r.json"), """
                {"steps": [
                  {"type": "prune", "method": "l1", "sparsity": 0.8},
                  {"type": "finetune", "epochs": 3, "lr": 0.002, "decay": "cosine", "optimizer": "momentum",
                   "schedule": {"final_sparsity": 0.9, "end_step": 600}},
                  {"type": "quantize", "mode": "qat", "epochs": 1, "calibration": "entropy"},
                  {"type": "low-rank", "energy": 0.9},
                  {"type": "cleanup"}]}""");
        Recipe recipe = Recipe.read(dir.resolve("r.json"));

        assertEquals(StepParser.parse("prune", StepParser.pruneOption("l1:0.8")), recipe.steps().get(0));
        assertEquals(StepParser.parse("finetune", StepParser.finetuneOption(
                "epochs=3,lr=0.002,decay=cosine,optimizer=momentum,final_sparsity=0.9,end_step=600")),
                recipe.steps().get(1));
        Map<String, Object> qat = StepParser.quantizeOption("qat,epochs=1");
        qat.put("calibration", "entropy");
        assertEquals(StepParser.parse("quantize", qat), recipe.steps().get(2));
        assertEquals(StepParser.parse("low-rank", StepParser.lowRankOption("energy:0.9")), recipe.steps().get(3));
        assertEquals(new Step.Cleanup(Step.CleanupKind.ALL), recipe.steps().get(4));
    }

    @Test
    void float16StepsReadFromOptionsAndRecipesAlike() throws Exception {
        Files.writeString(dir.resolve("fp16.json"), """
                {"steps": [{"type": "quantize", "mode": "fp16", "keep_io": false, "compute": "fp32",
                            "exclude": ["Softmax"]}]}""");
        Map<String, Object> option = StepParser.quantizeOption("fp16,keep_io=0,compute=fp32");
        option.put("exclude", List.of("Softmax"));

        Step step = StepParser.parse("quantize", option);
        assertEquals(step, Recipe.read(dir.resolve("fp16.json")).steps().get(0));
        assertEquals(new Step.Float16(new Float16Config(false, false, Set.of("Softmax"))), step);
        assertEquals(new Step.Float16(Float16Config.defaults()), StepParser.parse("quantize",
                StepParser.quantizeOption("fp16")));
        SettingException e = assertThrows(SettingException.class, () -> StepParser.parse("quantize",
                StepParser.quantizeOption("fp16,compute=int8")));
        assertEquals("compute", e.field());
        e = assertThrows(SettingException.class, () -> StepParser.parse("quantize",
                StepParser.quantizeOption("fp16,calibration=1")));
        assertEquals("calibration", e.field());
    }

    @Test
    void int4StepsReadFromOptionsAndRecipesAlike() throws Exception {
        Files.writeString(dir.resolve("int4.json"), """
                {"steps": [{"type": "quantize", "mode": "int4", "block": 64, "method": "gptq", "format": "qdq",
                            "accuracy_level": 4}]}""");
        Step step = StepParser.parse("quantize", StepParser.quantizeOption(
                "int4,block=64,method=gptq,format=qdq,accuracy_level=4"));
        assertEquals(step, Recipe.read(dir.resolve("int4.json")).steps().get(0));
        assertEquals(new Step.Int4(new Int4Config(64, Int4Config.Method.GPTQ, Int4Config.Format.QDQ, 4, Set.of())),
                step);
        assertEquals(Set.of(Pass.Need.CALIBRATION_DATA, Pass.Need.CLEANUP_BEFORE), step.passes().get(0).needs());
        assertEquals(new Step.Int4(Int4Config.defaults()), StepParser.parse("quantize",
                StepParser.quantizeOption("int4")));
        assertEquals("block", assertThrows(SettingException.class, () -> StepParser.parse("quantize",
                StepParser.quantizeOption("int4,block=100"))).field());
        assertEquals("method", assertThrows(SettingException.class, () -> StepParser.parse("quantize",
                StepParser.quantizeOption("int4,method=awq"))).field());
    }

    @Test
    void clusterStepsReadAlikeAndTrainingAfterThemKeepsTheClusters() throws Exception {
        Files.writeString(dir.resolve("cluster.json"), """
                {"steps": [{"type": "cluster", "clusters": 16, "per": "channel", "init": "linear"}]}""");
        Step step = StepParser.parse("cluster", StepParser.clusterOption("16,per=channel,init=linear"));
        assertEquals(step, Recipe.read(dir.resolve("cluster.json")).steps().get(0));
        assertEquals(new Step.Cluster(new ClusteringConfig(16, true, ClusteringConfig.Init.LINEAR, Set.of())), step);
        assertEquals("clusters", assertThrows(SettingException.class, () -> StepParser.parse("cluster",
                StepParser.clusterOption("300"))).field());
        Step fineTune = StepParser.parse("finetune", StepParser.finetuneOption("epochs=1"));
        assertTrue(fineTune.afterClustering().training().keepClusters());
        assertFalse(fineTune.training().keepClusters());
        Step qat = StepParser.parse("quantize", StepParser.quantizeOption("qat"));
        assertTrue(qat.afterClustering().training().keepClusters());
        Step staticInt8 = StepParser.parse("quantize", StepParser.quantizeOption("static"));
        assertEquals(staticInt8, staticInt8.afterClustering());
    }

    @Test
    void perChannelReadsAsAFlagFromOptionsAndRecipes() {
        for (String option : List.of("static,per_channel=false", "static,per_channel=0", "qat,per_channel=false")) {
            Step.Quantize step = assertInstanceOf(Step.Quantize.class, StepParser.parse("quantize",
                    StepParser.quantizeOption(option)));
            assertFalse(step.config().perChannel(), option);
        }
        Step.Quantize json = assertInstanceOf(Step.Quantize.class, StepParser.parse("quantize",
                Map.of("mode", "static", "per_channel", true)));
        assertTrue(json.config().perChannel());
        assertEquals("per_channel", assertThrows(SettingException.class, () -> StepParser.parse("quantize",
                StepParser.quantizeOption("static,per_channel=2"))).field());
    }

    @Test
    void perChannelAutoChoosesPerTensorWeightsForStaticInt8Only() {
        Step.Quantize option = assertInstanceOf(Step.Quantize.class, StepParser.parse("quantize",
                StepParser.quantizeOption("static,per_channel=auto,keep_faster=1")));
        assertTrue(option.choosePerTensor());
        assertTrue(option.config().perChannel(), "per channel wherever the measurement does not choose otherwise");
        assertTrue(option.keepFaster());
        Step.Quantize json = assertInstanceOf(Step.Quantize.class, StepParser.parse("quantize",
                Map.of("mode", "static", "per_channel", "auto")));
        assertTrue(json.choosePerTensor());
        assertFalse(assertInstanceOf(Step.Quantize.class, StepParser.parse("quantize", Map.of("mode", "static")))
                .choosePerTensor(), "per channel everywhere by default");
        for (String mode : List.of("dynamic", "qat")) {
            SettingException e = assertThrows(SettingException.class, () -> StepParser.parse("quantize",
                    StepParser.quantizeOption(mode + ",per_channel=auto")));
            assertEquals("per_channel", e.field());
            assertTrue(e.getMessage().contains("auto measures static int8"), e.getMessage());
        }
        SettingException word = assertThrows(SettingException.class, () -> StepParser.parse("quantize",
                Map.of("mode", "static", "per_channel", "sometimes")));
        assertTrue(word.getMessage().contains("must be true, false or auto, got 'sometimes'"), word.getMessage());
        SettingException typed = assertThrows(SettingException.class,
                () -> StepParser.quantizeOption("static,per_channel=sometimes"));
        assertTrue(typed.getMessage().contains("must be true, false or auto, got 'sometimes'"), typed.getMessage());
    }

    @Test
    void stepsAreTypedWithEnumsReadOnce() {
        Step.FineTune fineTune = assertInstanceOf(Step.FineTune.class, StepParser.parse("finetune",
                StepParser.finetuneOption("epochs=10,lr=0.002,decay=step,optimizer=rmsprop,batch_norm=frozen")));
        FineTuneConfig config = fineTune.training();
        assertEquals(10, config.settings().epochs());
        assertEquals(LearningRateDecay.STEP, config.settings().decay());
        assertEquals(Optimizer.RMSPROP, config.settings().optimizer());
        assertEquals(BatchNormMode.FROZEN, config.settings().batchNorm());
        assertEquals(64, config.settings().batch());

        Step.Quantize quantize = assertInstanceOf(Step.Quantize.class, StepParser.parse("quantize",
                Map.of("mode", "static", "calibration", "percentile", "exclude", List.of("fc1"))));
        assertEquals(Step.QuantizeMode.STATIC, quantize.mode());
        assertEquals(CalibrationMethod.PERCENTILE, quantize.config().calibration());
        assertNull(quantize.training(), "static quantization does not train");
        assertEquals(Set.of("fc1", "fc2"), quantize.withExclude(List.of("fc2")).config().exclude());

        Step.Quantize qat = assertInstanceOf(Step.Quantize.class, StepParser.parse("quantize", Map.of("mode", "qat")));
        assertEquals(2, qat.training().settings().epochs(), "QAT's default: a short fine-tuning");
        assertEquals(1e-5, qat.training().settings().learningRate());
    }

    @Test
    void passesDeclareWhatTheyNeed() {
        List<Pass> staticPasses = StepParser.parse("quantize", Map.of("mode", "static")).passes();
        assertEquals(List.of("fuse-transformer", "quantize-static"), staticPasses.stream().map(Pass::name).toList(),
                "ONNX Runtime's fused transformer kernels first, unless fuse is off");
        assertEquals(List.of("quantize-static"), StepParser.parse("quantize", Map.of("mode", "static", "fuse", false))
                .passes().stream().map(Pass::name).toList());
        assertEquals("fuse", assertThrows(SettingException.class, () -> StepParser.parse("quantize",
                Map.of("mode", "qat", "fuse", true))).field());
        Pass staticInt8 = staticPasses.get(1);
        assertEquals(Set.of(Pass.Need.CALIBRATION_DATA, Pass.Need.CLEANUP_BEFORE, Pass.Need.QUANTIZATION_OPSET),
                staticInt8.needs());
        Pass dynamicInt8 = StepParser.parse("quantize", Map.of("mode", "dynamic")).passes().get(1);
        assertEquals(Set.of(Pass.Need.CLEANUP_BEFORE, Pass.Need.QUANTIZATION_OPSET), dynamicInt8.needs());
        Pass fineTuning = StepParser.parse("finetune", Map.of("epochs", 1)).passes().get(0);
        assertEquals(Set.of(Pass.Need.TRAINER), fineTuning.needs());
        assertEquals(Set.of(), StepParser.parse("prune", StepParser.pruneOption("l1:0.5")).passes().get(0).needs());

        Recipe recipe = new Recipe(List.of(StepParser.parse("quantize", Map.of("mode", "qat"))), List.of());
        assertTrue(recipe.trains());
        assertTrue(recipe.needs(Pass.Need.CALIBRATION_DATA));
    }

    @Test
    void stepsAreCheckedBeforeAnyWork() {
        SettingException type = assertThrows(SettingException.class, () -> StepParser.parse("shrink", Map.of()));
        assertTrue(type.getMessage().contains("unknown step type 'shrink'"));
        SettingException field = assertThrows(SettingException.class,
                () -> StepParser.parse("prune", Map.of("method", "l1", "sparsity", 0.5, "sparsty", 0.9)));
        assertEquals("sparsty", field.field());
        SettingException missing = assertThrows(SettingException.class,
                () -> StepParser.parse("prune", Map.of("method", "l1")));
        assertEquals("sparsity: is required", missing.getMessage());
        assertEquals(Map.of("method", "l1", "sparsity", 0.8), StepParser.pruneOption("l1:0.8"));
        assertThrows(SettingException.class, () -> StepParser.pruneOption("l1"));
        assertEquals("remove-dead-nodes", StepParser.parse("remove-dead-nodes", Map.of()).type());
        assertEquals("remove-dead-nodes", StepParser.parse("remove-dead-nodes", Map.of()).passes().get(0).name());
    }

    @Test
    void theFineTuneOptionReadsNumbersTheDecayAndScheduleKeys() {
        Map<String, Object> step = StepParser.finetuneOption(
                "epochs=10,lr=0.002,decay=cosine,final_sparsity=0.9,end_step=600");
        assertEquals("{epochs=10.0, lr=0.002, decay=cosine, schedule={final_sparsity=0.9, end_step=600.0}}",
                step.toString());
        Map<String, Object> params = StepParser.parse("finetune", step).passes().get(0).params();
        assertEquals("cosine", params.get("decay"));
        assertEquals(64, params.get("batch"));
        assertEquals("constant", StepParser.parse("finetune", Map.of("epochs", 1)).passes().get(0).params()
                .get("decay"));
    }

    @Test
    void badTrainingValuesNameTheirField() {
        assertEquals("decay", field("epochs=1,decay=linear"));
        assertEquals("lr", assertThrows(SettingException.class, () -> StepParser.finetuneOption("epochs=1,lr=fast"))
                .field());
        assertEquals("epochs", field("epochs=0"));
        assertEquals("distill", field("epochs=1,distill=1.5"));
        assertEquals("temperature", field("epochs=1,distill=0.5,temperature=0.5"));
        assertEquals("optimizer", field("epochs=1,optimizer=lbfgs"));
        assertEquals("weight_decay", field("epochs=1,weight_decay=-0.1"));
        assertEquals("batch_norm", field("epochs=1,batch_norm=moving"));
    }

    private static String field(String option) {
        return assertThrows(SettingException.class, () -> StepParser.parse("finetune",
                StepParser.finetuneOption(option))).field();
    }

    @Test
    void optimizerWeightDecayAndDistillationShowInTheParameters() {
        Map<String, Object> params = StepParser.parse("finetune", StepParser.finetuneOption(
                "epochs=1,optimizer=momentum,weight_decay=0.0005,decay=step")).passes().get(0).params();
        assertEquals("momentum", params.get("optimizer"));
        assertEquals(0.0005, params.get("weight_decay"));
        assertEquals("step", params.get("decay"));
        Map<String, Object> on = StepParser.parse("finetune", StepParser.finetuneOption("epochs=1,distill=0.5"))
                .passes().get(0).params();
        assertEquals(0.5, on.get("distill"));
        assertEquals(1.0, on.get("temperature"));
        Map<String, Object> off = StepParser.parse("finetune", StepParser.finetuneOption("epochs=1")).passes().get(0)
                .params();
        assertEquals(false, off.containsKey("distill"));
    }

    @Test
    void fineTuningStepsCarryAScheduleInTheirParameters() {
        Map<String, Object> params = StepParser.parse("finetune", Map.of("epochs", 4, "schedule",
                Map.of("final_sparsity", 0.9, "end_step", 500, "frequency", 50))).passes().get(0).params();
        assertEquals("{method=l1, initial_sparsity=0.0, final_sparsity=0.9, begin_step=0, end_step=500, frequency=50,"
                + " power=3.0}", params.get("schedule").toString());
        assertEquals("schedule", assertThrows(SettingException.class, () -> StepParser.parse("finetune",
                Map.of("epochs", 4, "schedule", 0.9))).field());
        assertEquals("end_step", assertThrows(SettingException.class, () -> StepParser.parse("finetune",
                Map.of("epochs", 4, "schedule", Map.of("final_sparsity", 0.9)))).field());
    }

    @Test
    void schedulesReadWithTfMotDefaults() {
        PolynomialDecay fromParams = StepParser.schedule(Map.of("final_sparsity", 0.8, "end_step", 1000));
        assertEquals(new PolynomialDecay(0, 0.8, 0, 1000, 100, 3), fromParams);
        assertEquals("end_stp", assertThrows(SettingException.class, () -> StepParser.schedule(
                Map.of("final_sparsity", 0.8, "end_stp", 10))).field());
    }
}
