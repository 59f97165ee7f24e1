package dev.edgecompress.pipeline;

import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.passes.ActivationSource;
import dev.edgecompress.pipeline.tune.TrialRunner;
import dev.edgecompress.runtime.EvaluationRunner;
import java.util.ServiceLoader;

/**
 * Machines beyond this process, for the work that splits: {@code tune}'s trials, and calibration and
 * evaluation over a dataset cut into parts of whole batches. The parts' statistics merge exactly
 * (minima and maxima, integer counts, sums kept exact), so a cluster gives the numbers this process
 * gives alone. The {@code edgecompress-spark} module provides one; it is found with
 * {@link ServiceLoader} only when asked for, so that nothing else needs a cluster library.
 *
 * <p>Owns its connection: close it.
 */
public interface Cluster extends AutoCloseable {

    /** Runs a search's trials as tasks of the cluster. */
    TrialRunner trials();

    /** Evaluates over the cluster, the data split into parts of whole batches. */
    EvaluationRunner evaluations();

    /**
     * Calibration data whose statistics ({@link ActivationSource#reduce}) are gathered over the
     * cluster in parts of whole batches of {@code batchSize}; other uses of the values run here.
     */
    ActivationSource activations(Dataset data, int batchSize);

    @Override
    void close();

    /**
     * Connects to the cluster named by {@code master} ({@code local[2]}, {@code spark://host:7077})
     * through the provider on the class path.
     *
     * @throws IllegalStateException no provider is on the class path
     */
    static Cluster open(String master) {
        Provider provider = ServiceLoader.load(Provider.class).findFirst().orElseThrow(
                () -> new IllegalStateException("no cluster module (edgecompress-spark and Apache Spark) is on"
                        + " the class path"));
        return provider.open(master);
    }

    /** Makes clusters from master URLs; listed in {@code META-INF/services} by the module that has one. */
    interface Provider {
        Cluster open(String master);
    }
}
