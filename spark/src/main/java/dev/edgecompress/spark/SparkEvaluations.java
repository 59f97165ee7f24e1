package dev.edgecompress.spark;

import dev.edgecompress.ir.data.DataFormatException;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.runtime.Evaluation;
import dev.edgecompress.runtime.EvaluationRunner;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.Progress;
import dev.edgecompress.runtime.SessionConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * An evaluation split over Spark's executors: the data in parts of whole batches, one task each,
 * both models broadcast; each task tallies its part ({@link Evaluation#tally}) and the tallies merge
 * here, exactly, into what {@link Evaluation#run} gives in one process.
 */
final class SparkEvaluations implements EvaluationRunner {

    private final JavaSparkContext spark;

    SparkEvaluations(JavaSparkContext spark) {
        this.spark = spark;
    }

    @Override
    public Evaluation.Result evaluate(Path reference, Path candidate, SessionConfig config, Dataset data,
            int batchSize, Progress progress) throws DataFormatException, IOException {
        long start = System.nanoTime();
        byte[] referenceBytes = SparkCluster.modelBytes(reference);
        byte[] candidateBytes = candidate == null ? null : SparkCluster.modelBytes(candidate);
        // Data that does not fit the models fails here, as a data error, before any task starts.
        try (InferenceSession ref = InferenceSession.open(referenceBytes, config);
                InferenceSession cand = candidate == null ? null : InferenceSession.open(candidateBytes, config)) {
            data.bind(ref.inputs());
            if (cand != null) {
                data.bind(cand.inputs());
            }
        }
        Broadcast<byte[]> referenceModel = spark.broadcast(referenceBytes);
        Broadcast<byte[]> candidateModel = candidate == null ? null : spark.broadcast(candidateBytes);
        try {
            List<DataPart> parts = DataPart.split(data, batchSize, spark.defaultParallelism());
            List<Evaluation.Tally> tallies = spark.parallelize(parts, parts.size())
                    .map(part -> tally(part, referenceModel, candidateModel, config, batchSize)).collect();
            Evaluation.Tally total = tallies.get(0);
            tallies.subList(1, tallies.size()).forEach(total::merge);
            progress.update("evaluating", data.size(), data.size());
            return total.result(System.nanoTime() - start);
        } finally {
            referenceModel.destroy();
            if (candidateModel != null) {
                candidateModel.destroy();
            }
        }
    }

    /** On an executor: one part's tally. */
    private static Evaluation.Tally tally(DataPart part, Broadcast<byte[]> reference, Broadcast<byte[]> candidate,
            SessionConfig config, int batchSize) throws DataFormatException {
        try (InferenceSession ref = InferenceSession.open(reference.value(), config);
                InferenceSession cand = candidate == null ? null : InferenceSession.open(candidate.value(), config)) {
            return Evaluation.tally(ref, cand, part.dataset(), batchSize, Progress.NONE);
        }
    }
}
