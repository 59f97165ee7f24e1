package dev.edgecompress.runtime;

import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.data.Batches;
import dev.edgecompress.ir.data.DataFormatException;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.ir.data.TensorSpec;
import dev.edgecompress.runtime.metrics.Accuracy;
import dev.edgecompress.runtime.metrics.OutputComparison;
import dev.edgecompress.runtime.metrics.Rows;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs a reference model, and optionally a candidate, over a dataset batch by batch, and measures
 * top-1 accuracy against the labels (when the dataset has them) and how the candidate's outputs
 * differ from the reference's. Memory stays bounded: nothing is kept per sample.
 */
public final class Evaluation {

    /**
     * What an evaluation measured.
     *
     * @param referenceAccuracy top-1 accuracy of the reference, NaN without labels
     * @param candidateAccuracy top-1 accuracy of the candidate, NaN without labels or candidate
     * @param comparison candidate against reference, null without a candidate
     * @param totalNanos wall time of the evaluation (batching, feeding, running, metrics)
     * @param runtimeNanos time spent inside ONNX Runtime's run, both models together
     */
    public record Result(long samples, double referenceAccuracy, double candidateAccuracy,
            OutputComparison comparison, long totalNanos, long runtimeNanos) {

        /** Share of the time spent inside ONNX Runtime. */
        public double runtimeShare() {
            return totalNanos == 0 ? Double.NaN : (double) runtimeNanos / totalNanos;
        }
    }

    /**
     * What an evaluation counted over some of a dataset's batches. Tallies of disjoint batches
     * {@linkplain #merge merge} exactly, in any order, into the tally of all of them: this is how an
     * evaluation split over a cluster gives the numbers of one run here.
     */
    public static final class Tally implements Serializable {

        private static final long serialVersionUID = 1L;

        private long samples;
        private final Accuracy reference = new Accuracy();
        private final Accuracy candidate = new Accuracy();
        private OutputComparison comparison;
        private long runtimeNanos;

        /** Adds {@code other}'s batches to this tally's. */
        public void merge(Tally other) {
            samples += other.samples;
            reference.merge(other.reference);
            candidate.merge(other.candidate);
            if (other.comparison != null) {
                if (comparison == null) {
                    comparison = new OutputComparison();
                }
                comparison.merge(other.comparison);
            }
            runtimeNanos += other.runtimeNanos;
        }

        /** The result, with the wall time the whole evaluation took. */
        public Result result(long totalNanos) {
            return new Result(samples, reference.value(), comparison == null ? Double.NaN : candidate.value(),
                    comparison, totalNanos, runtimeNanos);
        }
    }

    private Evaluation() {
    }

    /** Evaluates {@code reference} and, when not null, {@code candidate} on {@code data}. */
    public static Result run(InferenceSession reference, InferenceSession candidate, Dataset data, int batchSize,
            Progress progress) throws DataFormatException {
        long start = System.nanoTime();
        Tally tally = tally(reference, candidate, data, batchSize, progress);
        return tally.result(System.nanoTime() - start);
    }

    /**
     * Counts what {@link #run} measures, for merging with the tallies of other parts of a dataset
     * split at multiples of {@code batchSize}.
     */
    public static Tally tally(InferenceSession reference, InferenceSession candidate, Dataset data, int batchSize,
            Progress progress) throws DataFormatException {
        Batches batches = data.bind(reference.inputs());
        if (candidate != null) {
            data.bind(candidate.inputs());
            requireSameOutputs(reference, candidate);
        }
        long[] labels = data.hasLabels() ? data.labels() : null;
        List<String> outputNames = reference.outputs().stream().map(TensorSpec::name).toList();
        Tally tally = new Tally();
        tally.samples = data.size();
        tally.comparison = candidate == null ? null : new OutputComparison();
        long runtimeBefore = reference.runNanos() + (candidate == null ? 0 : candidate.runNanos());
        boolean labelsChecked = false;
        for (Batches.Batch batch : batches.of(batchSize)) {
            List<Rows> expected = rows(reference.run(batch.feeds()), batch);
            Rows primary = expected.get(0);
            if (labels != null && !labelsChecked) {
                data.checkLabels(primary.width());
                labelsChecked = true;
            }
            if (labels != null) {
                tally.reference.add(primary, labels, batch.start());
            }
            if (candidate != null) {
                List<Rows> actual = rows(candidate.run(batch.feeds()), batch);
                if (labels != null) {
                    tally.candidate.add(actual.get(0), labels, batch.start());
                }
                for (int i = 0; i < expected.size(); i++) {
                    if (expected.get(i) != null && actual.get(i) != null) {
                        tally.comparison.add(outputNames.get(i), expected.get(i), actual.get(i), i == 0);
                    }
                }
            }
            progress.update("evaluating", batch.start() + batch.samples(), data.size());
        }
        tally.runtimeNanos = reference.runNanos() + (candidate == null ? 0 : candidate.runNanos()) - runtimeBefore;
        return tally;
    }

    /** The real rows of each output (one row per output for whole-input samples), null where not numeric. */
    private static List<Rows> rows(Map<String, Tensor> outputs, Batches.Batch batch) {
        List<Rows> rows = new ArrayList<>();
        for (Tensor output : outputs.values()) {
            rows.add(!Rows.comparable(output.type()) ? null
                    : batch.wholeInputs() ? Rows.whole(output) : Rows.of(output, batch.samples()));
        }
        return rows;
    }

    private static void requireSameOutputs(InferenceSession reference, InferenceSession candidate) {
        List<TensorSpec> a = reference.outputs();
        List<TensorSpec> b = candidate.outputs();
        if (a.size() != b.size()) {
            throw new InferenceException("the candidate has " + b.size() + " outputs, the reference " + a.size());
        }
        for (int i = 0; i < a.size(); i++) {
            if (a.get(i).type() != b.get(i).type()) {
                throw new InferenceException("output " + i + " is " + b.get(i) + " in the candidate but "
                        + a.get(i) + " in the reference");
            }
        }
    }
}
