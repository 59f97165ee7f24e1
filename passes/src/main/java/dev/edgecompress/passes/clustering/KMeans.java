package dev.edgecompress.passes.clustering;

import java.util.Arrays;
import java.util.Random;

/** k-means on scalars (Lloyd's iterations on sorted centroids), deterministic for a given seed. */
final class KMeans {

    static final int MAX_ITERATIONS = 100;

    private KMeans() {
    }

    /** Sorted centroids of {@code values} (at most as many as distinct values). */
    static float[] centroids(float[] values, int k, ClusteringConfig.Init init, long seed) {
        float[] sorted = values.clone();
        Arrays.sort(sorted);
        int distinct = 1;
        for (int i = 1; i < sorted.length; i++) {
            distinct += sorted[i] != sorted[i - 1] ? 1 : 0;
        }
        k = Math.min(k, distinct);
        double[] centroids = init == ClusteringConfig.Init.LINEAR ? linear(sorted, k)
                : plusPlus(sorted, k, new Random(seed));
        int[] assignment = new int[sorted.length];
        Arrays.fill(assignment, -1);
        for (int iteration = 0; iteration < MAX_ITERATIONS; iteration++) {
            Arrays.sort(centroids);
            boolean moved = false;
            double[] sums = new double[k];
            int[] counts = new int[k];
            for (int i = 0; i < sorted.length; i++) {
                int c = nearest(centroids, sorted[i]);
                moved |= c != assignment[i];
                assignment[i] = c;
                sums[c] += sorted[i];
                counts[c]++;
            }
            if (!moved) {
                break;
            }
            for (int c = 0; c < k; c++) {
                if (counts[c] > 0) {
                    centroids[c] = sums[c] / counts[c];
                }
            }
        }
        float[] out = new float[k];
        for (int c = 0; c < k; c++) {
            out[c] = (float) centroids[c];
        }
        Arrays.sort(out);
        return out;
    }

    /** The index of the centroid nearest {@code value} among sorted {@code centroids}. */
    static int nearest(double[] centroids, double value) {
        int index = Arrays.binarySearch(centroids, value);
        if (index >= 0) {
            return index;
        }
        int above = -index - 1;
        if (above == 0) {
            return 0;
        }
        if (above == centroids.length) {
            return centroids.length - 1;
        }
        return value - centroids[above - 1] <= centroids[above] - value ? above - 1 : above;
    }

    private static double[] linear(float[] sorted, int k) {
        double min = sorted[0];
        double max = sorted[sorted.length - 1];
        double[] centroids = new double[k];
        for (int c = 0; c < k; c++) {
            centroids[c] = min + (max - min) * c / (k - 1);
        }
        return centroids;
    }

    private static double[] plusPlus(float[] sorted, int k, Random random) {
        double[] centroids = new double[k];
        centroids[0] = sorted[random.nextInt(sorted.length)];
        double[] distance = new double[sorted.length];
        Arrays.fill(distance, Double.POSITIVE_INFINITY);
        for (int c = 1; c < k; c++) {
            double total = 0;
            for (int i = 0; i < sorted.length; i++) {
                double d = sorted[i] - centroids[c - 1];
                distance[i] = Math.min(distance[i], d * d);
                total += distance[i];
            }
            double draw = random.nextDouble() * total;
            int chosen = 0;
            double accumulated = distance[0];
            while (accumulated < draw && chosen < sorted.length - 1) {
                accumulated += distance[++chosen];
            }
            centroids[c] = sorted[chosen];
        }
        return centroids;
    }
}
