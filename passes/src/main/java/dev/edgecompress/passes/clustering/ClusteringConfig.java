package dev.edgecompress.passes.clustering;

import dev.edgecompress.ir.SettingException;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * Configuration of weight clustering (weight sharing).
 *
 * @param clusters shared values per group of weights (zeros stay zero besides): 2 to 256
 * @param perChannel one set of shared values per output channel instead of one per layer
 * @param init how the k-means centroids start
 * @param skip node names, op types or weight names left alone
 */
public record ClusteringConfig(int clusters, boolean perChannel, Init init, Set<String> skip) {

    /** How k-means starts. */
    public enum Init {
        /** k-means++ (Arthur and Vassilvitskii, 2007): each next centroid drawn by squared distance; seeded. */
        KMEANS_PLUS_PLUS("kmeans++"),
        /** Evenly spaced between the smallest and largest weight (Deep Compression's choice). */
        LINEAR("linear");

        private final String id;

        Init(String id) {
            this.id = id;
        }

        public String id() {
            return id;
        }

        public static Init parse(String text) {
            for (Init init : values()) {
                if (init.id.equals(text.toLowerCase(Locale.ROOT))) {
                    return init;
                }
            }
            throw new SettingException("init", "must be kmeans++ or linear, got '" + text + "'");
        }
    }

    public ClusteringConfig {
        if (clusters < 2 || clusters > 256) {
            throw new SettingException("clusters", "must be 2 to 256, got " + clusters);
        }
        skip = new TreeSet<>(skip);
    }
}
