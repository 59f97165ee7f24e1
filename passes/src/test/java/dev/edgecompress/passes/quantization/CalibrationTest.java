package dev.edgecompress.passes.quantization;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.ir.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;

class CalibrationTest {

    /** 100,000 ReLU-like values: a quarter exactly 0, the rest exponential with mean 1, and one outlier of 100. */
    private static RangeCollector reluLike() {
        Random random = new Random(4);
        float[] values = new float[100_001];
        for (int i = 0; i < 100_000; i++) {
            values[i] = i % 4 == 0 ? 0 : (float) -Math.log(1 - random.nextDouble());
        }
        values[100_000] = 100;
        Tensor tensor = Tensor.ofFloats(new long[] {values.length}, values);
        RangeCollector collector = new RangeCollector();
        collector.observe(tensor);
        collector.histogram(tensor);
        return collector;
    }

    @Test
    void minMaxKeepsTheOutlier() {
        assertArrayEquals(new double[] {0, 100}, reluLike().range(CalibrationMethod.MINMAX, 99.999), 1e-6);
    }

    @Test
    void percentileClipsTheOutlierButKeepsTheBulk() {
        double high = reluLike().range(CalibrationMethod.PERCENTILE, 99.99)[1];
        assertTrue(high > 8 && high < 15, "99.99% of exponential(1) lies below ~9.2: " + high);
    }

    @Test
    void entropyClipsTheLongTailWithoutCollapsing() {
        double[] range = reluLike().range(CalibrationMethod.ENTROPY, 99.999);
        assertEquals(0, range[0]);
        assertTrue(range[1] > 3 && range[1] < 60, "a threshold inside the tail: " + range[1]);
    }

    @Test
    void mseTradesClippingAgainstRounding() {
        // One value at 100 among 100,000: clipping it would cost (100 - t)^2, more than the rounding
        // error it saves, so the squared error keeps it.
        assertTrue(reluLike().range(CalibrationMethod.MSE, 99.999)[1] > 50);
        Random random = new Random(8);
        float[] tail = new float[100_000];
        for (int i = 0; i < tail.length; i++) {
            tail[i] = (float) -Math.log(1 - random.nextDouble());
        }
        Tensor exponential = Tensor.ofFloats(new long[] {tail.length}, tail);
        RangeCollector collector = new RangeCollector();
        collector.observe(exponential);
        collector.histogram(exponential);
        double[] minMax = collector.range(CalibrationMethod.MINMAX, 99.999);
        double high = collector.range(CalibrationMethod.MSE, 99.999)[1];
        assertTrue(high < minMax[1] && high > 0.5 * minMax[1], "the sparse tail is clipped, not the bulk: " + high
                + " of " + minMax[1]);
        RangeCollector uniform = new RangeCollector();
        float[] values = new float[10_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = i / 9999f;
        }
        Tensor tensor = Tensor.ofFloats(new long[] {values.length}, values);
        uniform.observe(tensor);
        uniform.histogram(tensor);
        assertTrue(uniform.range(CalibrationMethod.MSE, 99.999)[1] > 0.98, "nothing to gain by clipping a uniform range");
    }

    @Test
    void rangesAlwaysContainZero() {
        RangeCollector positive = new RangeCollector();
        positive.observe(Tensor.ofFloats(new long[] {2}, 2f, 5f));
        assertArrayEquals(new double[] {0, 5}, positive.range(CalibrationMethod.MINMAX, 99.999), 0);
    }

    @Test
    void quantizationParameters() {
        QuantParams asymmetric = QuantParams.asymmetricUint8(-1, 3);
        assertEquals(4 / 255f, asymmetric.scale(), 1e-7);
        assertEquals(64, asymmetric.zeroPoint()); // 0.0 maps exactly to 64
        QuantParams symmetric = QuantParams.symmetricInt8(-1, 3);
        assertEquals(3 / 127f, symmetric.scale(), 1e-7);
        assertEquals(0, symmetric.zeroPoint());
        assertEquals(1f, QuantParams.asymmetricUint8(0, 0).scale(), "a constant-zero activation stays valid");
    }

    @Test
    void weightsGetOneSymmetricScalePerChannel() {
        float[] w = {1f, -0.5f, 0.01f, -0.04f};
        WeightQuantizer.Quantized q = WeightQuantizer.quantize(w, new long[] {2, 2}, 0, true);
        assertArrayEquals(new float[] {1f / 127, 0.04f / 127}, q.scales(), 1e-9f);
        // -63.5 rounds half to even (as QuantizeLinear) to -64; 0.01 / (0.04 / 127) = 31.75 -> 32
        assertArrayEquals(new byte[] {127, -64, 32, -127}, q.values());
        WeightQuantizer.Quantized tensorWide = WeightQuantizer.quantize(w, new long[] {2, 2}, 0, false);
        assertArrayEquals(new byte[] {127, -64, 1, -5}, tensorWide.values());
    }

    @Test
    void partsOfTheDataMergeIntoExactlyTheRangesOfTheWhole() {
        Random random = new Random(11);
        float[] values = new float[30_000];
        for (int i = 0; i < values.length; i++) {
            values[i] = i % 5 == 0 ? 0 : (float) (random.nextGaussian() * 3 + (i > 20_000 ? 2 : 0));
        }
        Tensor[] parts = {
            Tensor.ofFloats(new long[] {7_000}, java.util.Arrays.copyOfRange(values, 0, 7_000)),
            Tensor.ofFloats(new long[] {13_000}, java.util.Arrays.copyOfRange(values, 7_000, 20_000)),
            Tensor.ofFloats(new long[] {10_000}, java.util.Arrays.copyOfRange(values, 20_000, 30_000))};
        RangeCollector whole = new RangeCollector();
        for (Tensor part : parts) {
            whole.observe(part);
        }
        for (Tensor part : parts) {
            whole.histogram(part);
        }
        // As executors would: the first pass per part, merged in another order; then the second
        // pass per part over the merged range, merged again.
        RangeCollector merged = new RangeCollector();
        for (int p : new int[] {2, 0, 1}) {
            RangeCollector part = new RangeCollector();
            part.observe(parts[p]);
            merged.merge(part);
        }
        RangeCollector[] seconds = new RangeCollector[parts.length];
        for (int p = 0; p < parts.length; p++) {
            seconds[p] = new RangeCollector();
            seconds[p].merge(merged);
            seconds[p].histogram(parts[p]);
        }
        for (int p : new int[] {1, 2, 0}) {
            merged.merge(seconds[p]);
        }
        for (CalibrationMethod method : CalibrationMethod.values()) {
            assertArrayEquals(whole.range(method, 99.9), merged.range(method, 99.9), 0.0, method.name());
        }
    }
}
