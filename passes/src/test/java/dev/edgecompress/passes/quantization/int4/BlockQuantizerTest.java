package dev.edgecompress.passes.quantization.int4;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

class BlockQuantizerTest {

    @Test
    void roundToNearestMapsTheLargestMagnitudeToLevelMinusEight() {
        // One column of 20 rows in blocks of 16: the second block is padded.
        float[] column = new float[20];
        for (int k = 0; k < 16; k++) {
            column[k] = (k - 8) * 0.25f; // -2 .. 1.75: -2 is the largest magnitude
        }
        column[16] = 3f;
        column[17] = -1.5f;
        Blocks blocks = BlockQuantizer.roundToNearest(column, 20, 1, 16);

        assertEquals(0.25f, blocks.scales()[0]);
        assertEquals(-3f / 8, blocks.scales()[1], "a positive extreme gives a negative scale, as ONNX Runtime's");
        for (int k = 0; k < 16; k++) {
            assertEquals(k, blocks.codes()[k], "row " + k);
            assertEquals(column[k], blocks.value(k, 0), 1e-6);
        }
        assertEquals(0, blocks.codes()[16]);
        assertEquals(12, blocks.codes()[17]);
        assertEquals(-1.5f, blocks.value(17, 0), 1e-6);
        for (int k = 20; k < 32; k++) {
            assertEquals(8, blocks.codes()[k], "padding stands for zero");
        }
        assertTrue(blocks.zerosAllEight());
    }

    @Test
    void halfQuadraticBeatsTheRangeGridOnGaussianWeights() {
        int rows = 256;
        int cols = 64;
        float[] w = gaussian(rows * cols, 3);
        Blocks rtn = BlockQuantizer.roundToNearest(w, rows, cols, 32);
        Blocks hqq = BlockQuantizer.halfQuadratic(w, rows, cols, 32);
        double rtnDb = sqnr(w, rtn, rows, cols);
        double hqqDb = sqnr(w, hqq, rows, cols);
        assertTrue(rtnDb > 17 && rtnDb < 23, "round to nearest at 4 bits: " + rtnDb + " dB");
        assertTrue(hqqDb > rtnDb, "hqq " + hqqDb + " dB, rtn " + rtnDb + " dB");
        for (float zero : hqq.zeros()) {
            assertEquals(Math.rint(zero), zero, "whole zero points pack into 4 bits");
        }
    }

    static double sqnr(float[] columns, Blocks blocks, int rows, int cols) {
        double signal = 0;
        double noise = 0;
        for (int n = 0; n < cols; n++) {
            for (int k = 0; k < rows; k++) {
                double w = columns[n * rows + k];
                double e = w - blocks.value(k, n);
                signal += w * w;
                noise += e * e;
            }
        }
        return 10 * Math.log10(signal / noise);
    }

    static float[] gaussian(int n, long seed) {
        Random random = new Random(seed);
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}
