package dev.edgecompress.passes.lowrank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.junit.jupiter.api.Test;

class SvdTest {

    /** A [m, n] matrix of rank 3 plus a little noise. */
    private static DMatrixRMaj lowRank(int m, int n, double noise, long seed) {
        Random random = new Random(seed);
        DMatrixRMaj left = new DMatrixRMaj(m, 3);
        DMatrixRMaj right = new DMatrixRMaj(3, n);
        for (int i = 0; i < left.data.length; i++) {
            left.data[i] = random.nextGaussian();
        }
        for (int i = 0; i < right.data.length; i++) {
            right.data[i] = random.nextGaussian() * (1 + i % 3);
        }
        DMatrixRMaj a = new DMatrixRMaj(m, n);
        CommonOps_DDRM.mult(left, right, a);
        for (int i = 0; i < a.data.length; i++) {
            a.data[i] += noise * random.nextGaussian();
        }
        return a;
    }

    private static double reconstructionError(DMatrixRMaj a, Svd.Result svd, int k) {
        DMatrixRMaj us = CommonOps_DDRM.extract(svd.u(), 0, svd.u().numRows, 0, k);
        for (int i = 0; i < us.numRows; i++) {
            for (int j = 0; j < k; j++) {
                us.set(i, j, us.get(i, j) * svd.s()[j]);
            }
        }
        DMatrixRMaj approx = new DMatrixRMaj(a.numRows, a.numCols);
        CommonOps_DDRM.mult(us, CommonOps_DDRM.extract(svd.vt(), 0, k, 0, a.numCols), approx);
        CommonOps_DDRM.subtractEquals(approx, a);
        return Math.sqrt(Svd.frobeniusSquared(approx) / Svd.frobeniusSquared(a));
    }

    @Test
    void fullSvdIsSortedAndReconstructs() {
        DMatrixRMaj a = lowRank(40, 25, 0.01, 1);
        Svd.Result svd = Svd.full(a);
        for (int i = 1; i < svd.s().length; i++) {
            assertTrue(svd.s()[i - 1] >= svd.s()[i]);
        }
        assertTrue(reconstructionError(a, svd, svd.s().length) < 1e-12);
        assertTrue(reconstructionError(a, svd, 3) < 0.01, "rank 3 holds the matrix up to the noise");
        double energy = 0;
        for (double s : svd.s()) {
            energy += s * s;
        }
        assertEquals(svd.energy(), energy, 1e-9 * energy);
    }

    @Test
    void randomizedSvdFindsTheLeadingTriplets() {
        DMatrixRMaj a = lowRank(300, 200, 0.01, 2);
        Svd.Result exact = Svd.full(a);
        Svd.Result leading = Svd.leading(a, 3, 7);
        for (int i = 0; i < 3; i++) {
            assertEquals(exact.s()[i], leading.s()[i], 1e-6 * exact.s()[0]);
        }
        assertTrue(reconstructionError(a, leading, 3) < 0.01);
    }
}
