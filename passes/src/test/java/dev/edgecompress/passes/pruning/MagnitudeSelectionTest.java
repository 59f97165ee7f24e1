package dev.edgecompress.passes.pruning;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgecompress.ir.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class MagnitudeSelectionTest {

    private static Tensor t(float... values) {
        return Tensor.ofFloats(new long[] {values.length}, values);
    }

    @Test
    void zeroesTheSmallestMagnitudesAcrossTensors() {
        List<Tensor> out = MagnitudeSelection.pruneSmallest(List.of(t(0.5f, -0.1f, 3f), t(-2f, 0.2f)), 3);
        assertArrayEquals(new float[] {0f, 0f, 3f}, out.get(0).toFloatArray());
        assertArrayEquals(new float[] {-2f, 0f}, out.get(1).toFloatArray());
    }

    @Test
    void tiesAreBrokenByPosition() {
        List<Tensor> out = MagnitudeSelection.pruneSmallest(List.of(t(1f, -1f, 1f), t(1f, 5f)), 2);
        assertArrayEquals(new float[] {0f, 0f, 1f}, out.get(0).toFloatArray());
        assertArrayEquals(new float[] {1f, 5f}, out.get(1).toFloatArray());
    }

    @Test
    void prunesExactlyKOfRandomWeightsAndKeepsTheLargest() {
        Random random = new Random(3);
        float[] values = new float[100_003];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        float[] pruned = MagnitudeSelection.pruneSmallest(List.of(t(values)), 80_002).get(0).toFloatArray();

        float[] magnitudes = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            magnitudes[i] = Math.abs(values[i]);
        }
        Arrays.sort(magnitudes);
        float threshold = magnitudes[80_002 - 1];
        long zeros = 0;
        for (int i = 0; i < values.length; i++) {
            if (pruned[i] == 0) {
                zeros++;
                assertEquals(true, Math.abs(values[i]) <= threshold);
            } else {
                assertEquals(values[i], pruned[i]);
                assertEquals(true, Math.abs(values[i]) >= threshold);
            }
        }
        assertEquals(80_002, zeros);
    }

    @Test
    void nanIsTheLargestMagnitude() {
        List<Tensor> out = MagnitudeSelection.pruneSmallest(List.of(t(Float.NaN, 1f, Float.POSITIVE_INFINITY)), 2);
        float[] values = out.get(0).toFloatArray();
        assertEquals(true, Float.isNaN(values[0]));
        assertArrayEquals(new float[] {0f, 0f}, new float[] {values[1], values[2]});
    }

    @Test
    void countsRoundHalfToEvenAsPython() {
        assertEquals(2, MagnitudeSelection.count(0.5, 5)); // round(2.5) == 2
        assertEquals(4, MagnitudeSelection.count(0.5, 7)); // round(3.5) == 4
        assertEquals(213_280, MagnitudeSelection.count(0.8, 266_600));
    }

    @Test
    void refusesImpossibleCounts() {
        assertThrows(IllegalArgumentException.class, () -> MagnitudeSelection.pruneSmallest(List.of(t(1f)), 2));
        assertEquals(1f, MagnitudeSelection.pruneSmallest(List.of(t(1f)), 0).get(0).toFloatArray()[0]);
    }
}
