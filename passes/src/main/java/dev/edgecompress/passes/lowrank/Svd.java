package dev.edgecompress.passes.lowrank;

import java.util.Random;
import org.ejml.data.DMatrixRMaj;
import org.ejml.dense.row.CommonOps_DDRM;
import org.ejml.dense.row.factory.DecompositionFactory_DDRM;
import org.ejml.interfaces.decomposition.QRDecomposition;
import org.ejml.interfaces.decomposition.SingularValueDecomposition_F64;

/**
 * Singular value decompositions of weight matrices, with EJML (pure Java; measured within 1.2x of
 * numpy's LAPACK on square matrices, see docs/BENCHMARKS.md). When only the leading {@code k}
 * singular values are wanted, a randomized SVD (Halko, Martinsson and Tropp: a Gaussian sketch
 * with 10 extra columns and two power iterations) avoids the full decomposition.
 */
public final class Svd {

    /**
     * A (possibly truncated) decomposition A ~ U diag(s) Vt.
     *
     * @param u [m, k]
     * @param s the k singular values, descending
     * @param vt [k, n]
     * @param energy the squared Frobenius norm of A (the sum of all squared singular values)
     */
    public record Result(DMatrixRMaj u, double[] s, DMatrixRMaj vt, double energy) {
    }

    private static final int OVERSAMPLING = 10;
    private static final int POWER_ITERATIONS = 2;

    private Svd() {
    }

    /** The full (thin) SVD. */
    public static Result full(DMatrixRMaj a) {
        SingularValueDecomposition_F64<DMatrixRMaj> svd =
                DecompositionFactory_DDRM.svd(a.numRows, a.numCols, true, true, true);
        if (!svd.decompose(a.copy())) {
            throw new IllegalStateException("the SVD did not converge");
        }
        DMatrixRMaj u = svd.getU(null, false);
        DMatrixRMaj vt = svd.getV(null, true);
        double[] s = svd.getSingularValues().clone();
        int k = s.length;
        Integer[] order = new Integer[k];
        for (int i = 0; i < k; i++) {
            order[i] = i;
        }
        java.util.Arrays.sort(order, (x, y) -> Double.compare(s[y], s[x]));
        DMatrixRMaj sortedU = new DMatrixRMaj(u.numRows, k);
        DMatrixRMaj sortedVt = new DMatrixRMaj(k, vt.numCols);
        double[] sorted = new double[k];
        for (int i = 0; i < k; i++) {
            sorted[i] = s[order[i]];
            CommonOps_DDRM.extract(u, 0, u.numRows, order[i], order[i] + 1, sortedU, 0, i);
            CommonOps_DDRM.extract(vt, order[i], order[i] + 1, 0, vt.numCols, sortedVt, i, 0);
        }
        return new Result(sortedU, sorted, sortedVt, frobeniusSquared(a));
    }

    /** The leading {@code k} singular triplets, by randomized SVD. */
    public static Result leading(DMatrixRMaj a, int k, long seed) {
        int m = a.numRows;
        int n = a.numCols;
        int l = Math.min(Math.min(m, n), k + OVERSAMPLING);
        Random random = new Random(seed);
        DMatrixRMaj omega = new DMatrixRMaj(n, l);
        for (int i = 0; i < omega.data.length; i++) {
            omega.data[i] = random.nextGaussian();
        }
        DMatrixRMaj y = new DMatrixRMaj(m, l);
        CommonOps_DDRM.mult(a, omega, y);
        DMatrixRMaj q = orthonormalize(y);
        DMatrixRMaj z = new DMatrixRMaj(n, l);
        for (int i = 0; i < POWER_ITERATIONS; i++) {
            CommonOps_DDRM.multTransA(a, q, z);
            z = orthonormalize(z);
            CommonOps_DDRM.mult(a, z, y);
            q = orthonormalize(y);
        }
        DMatrixRMaj b = new DMatrixRMaj(l, n);
        CommonOps_DDRM.multTransA(q, a, b);
        Result small = full(b);
        DMatrixRMaj u = new DMatrixRMaj(m, small.u().numCols);
        CommonOps_DDRM.mult(q, small.u(), u);
        int keep = Math.min(k, small.s().length);
        return new Result(CommonOps_DDRM.extract(u, 0, m, 0, keep), java.util.Arrays.copyOf(small.s(), keep),
                CommonOps_DDRM.extract(small.vt(), 0, keep, 0, n), frobeniusSquared(a));
    }

    private static DMatrixRMaj orthonormalize(DMatrixRMaj m) {
        QRDecomposition<DMatrixRMaj> qr = DecompositionFactory_DDRM.qr(m.numRows, m.numCols);
        if (!qr.decompose(m.copy())) {
            throw new IllegalStateException("the QR decomposition failed");
        }
        return qr.getQ(null, true);
    }

    static double frobeniusSquared(DMatrixRMaj a) {
        double sum = 0;
        for (double v : a.data) {
            sum += v * v;
        }
        return sum;
    }
}
