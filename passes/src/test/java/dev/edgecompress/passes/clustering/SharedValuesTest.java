package dev.edgecompress.passes.clustering;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.training.TrainingSettings;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassResult;
import dev.edgecompress.passes.finetune.FineTuneConfig;
import dev.edgecompress.passes.finetune.FineTuningPass;
import dev.edgecompress.passes.finetune.Trainer;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** A training pass asked to keep clusters reports them, checks them, and says when there are none. */
class SharedValuesTest {

    private static final FineTuneConfig KEEPING = new FineTuneConfig(TrainingSettings.of(1, 1e-3, 8)).keepingClusters();

    private static float[] distinctValues() {
        Random random = new Random(3);
        float[] values = new float[128];
        for (int i = 0; i < values.length; i++) {
            values[i] = i % 4 == 0 ? 0 : (float) random.nextGaussian();
        }
        return values;
    }

    private static float[] fourShared() {
        float[] values = distinctValues();
        for (int i = 0; i < values.length; i++) {
            values[i] = values[i] == 0 ? 0 : (i % 3 + 1) * 0.25f;
        }
        return values;
    }

    /** A trainer that changes the weight as {@code change} does. */
    private static PassContext training(Consumer<float[]> change) {
        Trainer trainer = (model, config, quantization, progress) -> {
            Value w = model.graph().initializers().get(0);
            float[] values = w.constValue().toFloatArray();
            change.accept(values);
            w.replaceConstValue(Tensor.ofFloats(w.constValue().dims(), values));
            return new Trainer.Result(List.of(), Map.of(), "cpu");
        };
        return PassContext.quiet().withTrainer(trainer);
    }

    @Test
    void valuesSharedByChanceAreTiedButOnlyDesignIsClustered() {
        assertEquals(Map.of(), SharedValues.of(WeightClusteringPassTest.gemm(distinctValues())), "zeros repeat, but are not values");
        assertEquals(Map.of("w", new SharedValues.Counts(3, 96)), SharedValues.of(WeightClusteringPassTest.gemm(fourShared())));
        assertEquals(Map.of("w", 3), SharedValues.clustered(WeightClusteringPassTest.gemm(fourShared())));
        float[] onePair = distinctValues();
        onePair[2] = onePair[1];
        assertEquals(Map.of("w", new SharedValues.Counts(95, 96)), SharedValues.of(WeightClusteringPassTest.gemm(onePair)),
                "training keeps even a chance repeat tied");
        assertEquals(Map.of(), SharedValues.clustered(WeightClusteringPassTest.gemm(onePair)), "but it is no cluster");
    }

    @Test
    void aTrainingThatKeptTheClustersReportsTheirValues() {
        PassResult result = new FineTuningPass(KEEPING).run(WeightClusteringPassTest.gemm(fourShared()), training(values -> {
            for (int i = 0; i < values.length; i++) {
                values[i] *= 1.5f; // every shared value moved, members together
            }
        }));
        assertEquals(Map.of("clustered_weights", 1, "distinct_values", Map.of("w", 3)),
                result.details().get("kept_clusters"));
        assertEquals(List.of(), result.warnings());
    }

    @Test
    void aTrainingThatSplitTheClustersIsADefectNotAResult() {
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> new FineTuningPass(KEEPING)
                .run(WeightClusteringPassTest.gemm(fourShared()), training(values -> values[1] += 0.01f)));
        assertTrue(e.getMessage().contains("split the shared values of w: 3 before, 4 after"), e.getMessage());
    }

    @Test
    void keepingClustersWhereThereAreNoneSaysSo() {
        PassResult result = new FineTuningPass(KEEPING).run(WeightClusteringPassTest.gemm(distinctValues()), training(values -> { }));
        assertEquals(List.of(SharedValues.noneToKeep("finetune")), result.warnings());
        assertTrue(!result.details().containsKey("kept_clusters"));
    }
}
