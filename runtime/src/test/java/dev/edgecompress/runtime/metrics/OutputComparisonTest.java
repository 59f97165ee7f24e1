package dev.edgecompress.runtime.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgecompress.ir.Tensor;
import org.junit.jupiter.api.Test;

class OutputComparisonTest {

    @Test
    void measuresAgreementErrorsAndSqnr() {
        Tensor reference = Tensor.ofFloats(new long[] {2, 3}, 1, 2, 3, 4, 0, 0);
        Tensor candidate = Tensor.ofFloats(new long[] {2, 3}, 1, 2, 2, 4, 0, 0.5f);
        OutputComparison comparison = new OutputComparison();

        comparison.add(Rows.of(reference, 2), Rows.of(candidate, 2), true);

        assertEquals(0.5, comparison.agreement()); // row 0: class 2 -> class 1; row 1: class 0 both
        assertEquals(1.0, comparison.maxAbsError(), 1e-12);
        assertEquals(1.5 / 6, comparison.meanAbsError(), 1e-12);
        // signal 1 + 4 + 9 + 16 = 30, noise 1 + 0.25 = 1.25
        assertEquals(10 * Math.log10(30 / 1.25), comparison.sqnrDb(), 1e-9);
    }

    @Test
    void identicalOutputsHaveInfiniteSqnr() {
        Tensor t = Tensor.ofFloats(new long[] {1, 2}, 3, 4);
        OutputComparison comparison = new OutputComparison();
        comparison.add(Rows.of(t, 1), Rows.of(t, 1), true);
        assertEquals(Double.POSITIVE_INFINITY, comparison.sqnrDb());
        assertEquals(1.0, comparison.agreement());
    }

    @Test
    void countsOnlyTheRealRowsOfAPaddedBatch() {
        Tensor scores = Tensor.ofFloats(new long[] {3, 2}, 0, 1, 1, 0, 1, 0);
        Accuracy accuracy = new Accuracy();
        accuracy.add(Rows.of(scores, 2), new long[] {1, 1}, 0);
        assertEquals(2, accuracy.total());
        assertEquals(0.5, accuracy.value());
    }

    @Test
    void comparisonsOfPartsMergeExactlyInAnyOrder() {
        java.util.Random random = new java.util.Random(5);
        Tensor[][] batches = new Tensor[6][2];
        for (Tensor[] batch : batches) {
            float[] reference = new float[64 * 10];
            float[] candidate = new float[reference.length];
            for (int i = 0; i < reference.length; i++) {
                reference[i] = (float) (random.nextGaussian() * 1e3);
                candidate[i] = reference[i] + (float) (random.nextGaussian() * 1e-3);
            }
            batch[0] = Tensor.ofFloats(new long[] {64, 10}, reference);
            batch[1] = Tensor.ofFloats(new long[] {64, 10}, candidate);
        }
        OutputComparison whole = new OutputComparison();
        for (Tensor[] batch : batches) {
            whole.add("y", Rows.of(batch[0], 64), Rows.of(batch[1], 64), true);
        }
        OutputComparison first = new OutputComparison();
        OutputComparison second = new OutputComparison();
        for (int b = 0; b < batches.length; b++) {
            (b < 4 ? first : second).add("y", Rows.of(batches[b][0], 64), Rows.of(batches[b][1], 64), true);
        }
        second.merge(first); // the later part first: the sums are exact, so the order does not matter

        assertEquals(whole.sqnrDb(), second.sqnrDb(), 0.0);
        assertEquals(whole.meanAbsError(), second.meanAbsError(), 0.0);
        assertEquals(whole.maxAbsError(), second.maxAbsError(), 0.0);
        assertEquals(whole.agreement(), second.agreement(), 0.0);
        assertEquals(whole.cosineByOutput(), second.cosineByOutput());
        assertEquals(whole.sqnrDbByOutput(), second.sqnrDbByOutput());
        assertEquals(384, second.samples());
    }
}
