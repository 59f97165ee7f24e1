package dev.edgecompress.spark;

import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.passes.ActivationSource;
import dev.edgecompress.pipeline.Cluster;
import dev.edgecompress.pipeline.tune.TrialRunner;
import dev.edgecompress.runtime.EvaluationRunner;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Apache Spark as edgecompress's {@link Cluster}, through Spark's Java API: {@code tune}'s trials as
 * tasks, and calibration and evaluation with the data split over the executors, each task given a
 * part of whole batches and the models broadcast. The command line's {@code --spark MASTER} finds
 * it through {@link Provider}.
 */
public final class SparkCluster implements Cluster {

    private final JavaSparkContext spark;

    /** Connects to {@code master} ({@code local[2]}, {@code spark://host:7077}). */
    public SparkCluster(String master) {
        this.spark = new JavaSparkContext(new SparkConf().setMaster(master).setAppName("edgecompress")
                .set("spark.ui.enabled", "false").set("spark.task.maxFailures", "1"));
        spark.setLogLevel("WARN");
    }

    @Override
    public TrialRunner trials() {
        return new SparkTrialRunner(spark);
    }

    @Override
    public EvaluationRunner evaluations() {
        return new SparkEvaluations(spark);
    }

    @Override
    public ActivationSource activations(Dataset data, int batchSize) {
        return new SparkActivations(spark, data, batchSize);
    }

    @Override
    public void close() {
        spark.close();
    }

    /** A model's file, whole, to broadcast to the executors. */
    static byte[] modelBytes(Path model) throws IOException {
        if (Files.size(model) > Integer.MAX_VALUE - 8) {
            throw new IOException(model + ": a model over 2 GiB cannot be sent to Spark's executors; evaluate it"
                    + " without --spark");
        }
        return Files.readAllBytes(model);
    }

    /** What the command line's {@code --spark MASTER} finds through {@link java.util.ServiceLoader}. */
    public static final class Provider implements Cluster.Provider {
        @Override
        public Cluster open(String master) {
            return new SparkCluster(master);
        }
    }
}
