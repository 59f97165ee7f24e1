package dev.edgecompress.passes.clustering;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.ModelBuilder;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassResult;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

class WeightClusteringPassTest {

    /** A Gemm of 8 outputs reading 16 inputs, its weight {@code w} [8, 16]. */
    static Model gemm(float[] weights) {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 1, 16);
        b.output(b.op("Gemm", List.of(Attribute.of("transB", 1L)), x,
                b.initializer("w", Tensor.ofFloats(new long[] {8, 16}, weights))));
        return b.build();
    }

    private static float[] gaussian(int n, long seed, double zeroShare) {
        Random random = new Random(seed);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = random.nextDouble() < zeroShare ? 0 : (float) random.nextGaussian();
        }
        return values;
    }

    private static float[] weights(Model model) {
        return model.graph().initializers().get(0).constValue().toFloatArray();
    }

    @Test
    void eachLayerKeepsKSharedValuesAndItsZeros() {
        float[] original = gaussian(128, 1, 0.5);
        for (ClusteringConfig.Init init : ClusteringConfig.Init.values()) {
            Model model = gemm(original);
            PassResult result = new WeightClusteringPass(new ClusteringConfig(4, false, init, Set.of()))
                    .run(model, PassContext.quiet());
            float[] clustered = weights(model);
            for (int i = 0; i < original.length; i++) {
                assertEquals(original[i] == 0, clustered[i] == 0, "zeros stay zero, others stay non-zero: " + i);
                assertTrue(Math.abs(original[i] - clustered[i]) < 1.0, "near its centroid: " + i);
            }
            long distinct = Arrays.stream(box(clustered)).distinct().count();
            assertEquals(5, distinct, init + ": 4 centroids and zero");
            @SuppressWarnings("unchecked")
            Map<String, Map<String, Integer>> layers = (Map<String, Map<String, Integer>>) result.details().get("layers");
            assertEquals(Map.of("distinct_values", 5, "bits", 3), layers.get("w"));
        }
    }

    @Test
    void centroidsAreTheMeansOfTheirMembers() {
        float[] values = {1f, 1.2f, 0.8f, 5f, 5.5f, 4.5f, -3f, -3.2f};
        float[] centroids = KMeans.centroids(values, 3, ClusteringConfig.Init.LINEAR, 1);
        assertArrayEquals(new float[] {-3.1f, 1f, 5f}, centroids, 1e-5f);
        assertEquals(2, KMeans.centroids(new float[] {2f, 2f, 7f}, 8, ClusteringConfig.Init.KMEANS_PLUS_PLUS, 1)
                .length, "no more centroids than distinct values");
    }

    @Test
    void perChannelClustersEachOutputRowApartAndTheSameRunGivesTheSameModel() {
        float[] original = gaussian(128, 2, 0);
        Model first = gemm(original);
        new WeightClusteringPass(new ClusteringConfig(2, true, ClusteringConfig.Init.KMEANS_PLUS_PLUS, Set.of()))
                .run(first, PassContext.quiet());
        float[] clustered = weights(first);
        for (int row = 0; row < 8; row++) {
            float[] slice = Arrays.copyOfRange(clustered, row * 16, row * 16 + 16);
            assertEquals(2, Arrays.stream(box(slice)).distinct().count(), "row " + row);
        }
        Model second = gemm(original);
        new WeightClusteringPass(new ClusteringConfig(2, true, ClusteringConfig.Init.KMEANS_PLUS_PLUS, Set.of()))
                .run(second, PassContext.quiet());
        assertArrayEquals(clustered, weights(second));
    }

    @Test
    void skippedWeightsAreLeftAndNothingToClusterSaysSo() {
        Model model = gemm(gaussian(128, 3, 0));
        PassResult result = new WeightClusteringPass(new ClusteringConfig(4, false, ClusteringConfig.Init.LINEAR,
                Set.of("w"))).run(model, PassContext.quiet());
        assertFalse(result.changed());
        assertTrue(result.warnings().get(0).contains("changed nothing"), result.warnings().toString());
    }

    private static Float[] box(float[] values) {
        Float[] boxed = new Float[values.length];
        for (int i = 0; i < values.length; i++) {
            boxed[i] = values[i];
        }
        return boxed;
    }
}
