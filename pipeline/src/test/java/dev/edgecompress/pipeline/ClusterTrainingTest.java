package dev.edgecompress.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.exporter.validation.ValidationReport;
import dev.edgecompress.importer.data.DataFiles;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.ir.testing.TestModels;
import dev.edgecompress.ir.training.BatchNormMode;
import dev.edgecompress.ir.training.LearningRateDecay;
import dev.edgecompress.ir.training.Optimizer;
import dev.edgecompress.ir.training.TrainingSettings;
import dev.edgecompress.passes.PassPipeline;
import dev.edgecompress.passes.clustering.SharedValues;
import dev.edgecompress.runtime.Progress;
import dev.edgecompress.runtime.training.TrainableModel;
import dev.edgecompress.runtime.training.TrainingConfig;
import dev.edgecompress.runtime.training.TrainingDevice;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training after clustering keeps the shared values: each trains by the sum of its members'
 * gradients, and int8 after it stores at most as many codes per channel as there were clusters.
 */
class ClusterTrainingTest {

    @TempDir
    Path dir;

    @Test
    void eachSharedValueMovesByTheSumOfItsMembersGradients() throws Exception {
        Dataset batch = DataFiles.load(TestModels.model("fashion_mnist_test_2k.npz")).head(64);
        // One plain gradient step over one batch: a free member moves by -lr * g, a shared value by
        // -lr * (the sum of its members' g), so its move is the sum of its members' free moves.
        TrainingConfig oneStep = new TrainingConfig(new TrainingSettings(1, 0.01, 64, Optimizer.SGD, 0,
                LearningRateDecay.CONSTANT, BatchNormMode.TRAIN), 1);
        Model free = prunedAndClustered(8);
        Model shared = prunedAndClustered(8);
        Map<String, float[]> before = weights(free);
        train(free, batch, oneStep, false);
        train(shared, batch, oneStep, true);
        Map<String, float[]> freeAfter = weights(free, before.keySet());
        Map<String, float[]> sharedAfter = weights(shared, before.keySet());

        assertEquals(3, before.size());
        for (String name : before.keySet()) {
            float[] start = before.get(name);
            Map<Float, Double> moves = new HashMap<>();
            for (int i = 0; i < start.length; i++) {
                moves.merge(start[i], (double) freeAfter.get(name)[i] - start[i], Double::sum);
            }
            float[] trained = sharedAfter.get(name);
            Set<Float> values = new HashSet<>();
            double largestMove = 0;
            for (int i = 0; i < start.length; i++) {
                values.add(trained[i]);
                if (start[i] == 0) {
                    assertEquals(0f, trained[i], name + "[" + i + "]: zeros stay zero");
                    continue;
                }
                double expected = start[i] + moves.get(start[i]);
                largestMove = Math.max(largestMove, Math.abs(moves.get(start[i])));
                assertEquals(expected, trained[i], 1e-6 + 1e-3 * Math.abs(moves.get(start[i])),
                        name + "[" + i + "]");
            }
            assertTrue(largestMove > 1e-4, name + " trained: its values moved by up to " + largestMove);
            assertEquals(9, values.size(), name + ": 8 shared values and zero, as before");
        }
    }

    @Test
    void fineTuningAfterClusteringRecoversAccuracyAndKeepsTheClusters() throws Exception {
        Dataset train = DataFiles.load(TestModels.model("fashion_mnist_test_2k.npz"));
        Path heldOut = TestModels.model("fashion_mnist_calib_512.npz");
        Compressor untrained = Compressor.load(TestModels.model("mlp.onnx")).prune("l1", 0.9)
                .step("cluster", Map.of("clusters", 4));
        untrained.run();
        Compressor trained = Compressor.load(TestModels.model("mlp.onnx")).training(train).prune("l1", 0.9)
                .step("cluster", Map.of("clusters", 4)).step("finetune", Map.of("epochs", 3, "lr", 1e-3));
        List<PassPipeline.Step> steps = trained.run();

        Map<String, Object> report = steps.stream().filter(s -> s.pass().equals("finetune")).findFirst().orElseThrow()
                .changed();
        assertEquals(Map.of("clustered_weights", 3, "distinct_values", Map.of("fc1.weight", 4, "fc2.weight", 4,
                "fc3.weight", 4)), report.get("kept_clusters"), report.toString());
        assertEquals(SharedValues.clustered(untrained.model()), SharedValues.clustered(trained.model()));
        assertEquals(zeros(untrained.model()), zeros(trained.model()), "the pruned weights stay pruned");
        double before = accuracy(untrained, heldOut);
        double after = accuracy(trained, heldOut);
        System.out.printf("l1 90%% + 4 clusters a layer: top-1 %.4f untrained, %.4f after 3 epochs keeping them%n",
                before, after);
        assertTrue(after > before + 0.02, before + " -> " + after);
    }

    @Test
    void int8AfterClusteringStoresAtMostOneCodePerClusterInEachChannel() throws Exception {
        Dataset train = DataFiles.load(TestModels.model("fashion_mnist_test_2k.npz"));
        for (String mode : List.of("static", "qat")) {
            Map<String, Object> quantize = mode.equals("qat") ? Map.of("mode", "qat", "epochs", 1) : Map.of();
            Compressor compressor = Compressor.load(TestModels.model("mlp.onnx")).training(train)
                    .calibration(DataFiles.load(TestModels.model("fashion_mnist_calib_512.npz")))
                    .step("cluster", Map.of("clusters", 16)).step("quantize", quantize);
            compressor.export(dir.resolve(mode + ".onnx"));
            int weights = 0;
            for (Node node : compressor.model().graph().nodes()) {
                Value codes = node.input(0);
                if (!node.opType().equals("DequantizeLinear") || codes.constValue() == null
                        || codes.constValue().type() != DataType.INT8 || codes.constValue().rank() != 2) {
                    continue;
                }
                weights++;
                Tensor tensor = codes.constValue();
                int axis = (int) node.intAttribute("axis", 1);
                byte[] values = new byte[(int) tensor.elementCount()];
                tensor.buffer().get(values);
                long rows = tensor.dim(0);
                long cols = tensor.dim(1);
                for (long channel = 0; channel < tensor.dim(axis); channel++) {
                    Set<Byte> distinct = new HashSet<>();
                    for (long other = 0; other < (axis == 0 ? cols : rows); other++) {
                        distinct.add(values[(int) (axis == 0 ? channel * cols + other : other * cols + channel)]);
                    }
                    distinct.remove((byte) 0);
                    assertTrue(distinct.size() <= 16, mode + " " + codes.name() + " channel " + channel + ": "
                            + distinct.size() + " codes");
                }
            }
            assertEquals(3, weights, mode);
        }
    }

    @Test
    void pruningWhileTrainingAfterClusteringIsRefused() throws Exception {
        Compressor compressor = Compressor.load(TestModels.model("mlp.onnx")).step("cluster", Map.of("clusters", 16));
        SettingException e = assertThrows(SettingException.class, () -> compressor.step("finetune", Map.of(
                "epochs", 1, "schedule", Map.of("final_sparsity", 0.5, "end_step", 10))));
        assertEquals("schedule", e.field());
        assertTrue(e.getMessage().contains("prune before clustering"), e.getMessage());
    }

    @Test
    void theCommittedDeepCompressionRecipeReads() throws Exception {
        Recipe recipe = Recipe.read(TestModels.dir().resolveSibling("recipes").resolve("deep_compression_mlp.json"));
        assertEquals(List.of("finetune", "cluster", "finetune", "quantize"), recipe.steps().stream().map(Step::type)
                .toList());
        assertEquals(0.97, ((Step.FineTune) recipe.steps().get(0)).training().schedule().finalSparsity());
        assertEquals(8, ((Step.Cluster) recipe.steps().get(1)).config().clusters());
        assertTrue(recipe.steps().get(2).afterClustering().training().keepClusters());
        assertFalse(((Step.Quantize) recipe.steps().get(3)).config().perChannel(),
                "one scale a layer: its 8 shared values become 8 int8 codes");
        assertEquals(1, recipe.gates().size());
    }

    private static Model prunedAndClustered(int clusters) throws Exception {
        Compressor compressor = Compressor.load(TestModels.model("mlp.onnx")).prune("l1", 0.5)
                .step("cluster", Map.of("clusters", clusters));
        compressor.run();
        return compressor.model();
    }

    private static void train(Model model, Dataset data, TrainingConfig config, boolean keepShared) {
        Set<String> shared = keepShared ? SharedValues.of(model).keySet() : Set.of();
        try (TrainableModel trainable = TrainableModel.of(model, TrainingDevice.CPU, Map.of(), Map.of(), shared)) {
            trainable.train(data, config, Progress.NONE);
            trainable.writeBack(model);
        }
    }

    private static Map<String, float[]> weights(Model model) {
        return weights(model, SharedValues.clustered(model).keySet());
    }

    private static Map<String, float[]> weights(Model model, Set<String> names) {
        Map<String, float[]> weights = new java.util.LinkedHashMap<>();
        for (String name : names) {
            weights.put(name, model.graph().initializers().stream().filter(v -> v.name().equals(name)).findFirst()
                    .orElseThrow().constValue().toFloatArray());
        }
        return weights;
    }

    private static long zeros(Model model) {
        long zeros = 0;
        for (float[] values : weights(model).values()) {
            for (float v : values) {
                zeros += v == 0 ? 1 : 0;
            }
        }
        return zeros;
    }

    private double accuracy(Compressor compressor, Path data) throws Exception {
        compressor.export(dir.resolve(compressor.hashCode() + ".onnx"));
        ValidationReport report = compressor.validation().data(data).withoutLatency().run();
        return report.candidate().accuracy();
    }
}
