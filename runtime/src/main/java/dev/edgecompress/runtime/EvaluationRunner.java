package dev.edgecompress.runtime;

import dev.edgecompress.ir.data.DataFormatException;
import dev.edgecompress.ir.data.Dataset;
import java.io.IOException;
import java.nio.file.Path;

/**
 * Where an evaluation's batches run when not in this process ({@link Evaluation#run}): split over
 * a cluster's executors (the {@code edgecompress-spark} module), whose
 * {@link Evaluation.Tally tallies} merge exactly into the numbers a run here gives.
 */
public interface EvaluationRunner {

    /**
     * Evaluates the model at {@code reference} and, when not null, the one at {@code candidate} on
     * {@code data}, as {@link Evaluation#run} does.
     */
    Evaluation.Result evaluate(Path reference, Path candidate, SessionConfig config, Dataset data, int batchSize,
            Progress progress) throws DataFormatException, IOException;
}
