package dev.edgecompress.passes.pruning;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * Zeroes exactly the {@code k} smallest-magnitude elements of a list of float tensors taken
 * together, ties broken by position (tensor order, then element order), so the result is
 * deterministic.
 *
 * <p>The k-th smallest magnitude is found by a radix select on IEEE-754 bit patterns: for
 * non-negative floats, the order of the bit patterns as integers is the order of the values. One
 * pass histograms the high 16 bits of |w|, a second the low 15 bits inside the bucket that holds
 * the k-th element; a third pass writes the pruned tensors. O(n) time, two 64k-entry histograms of
 * extra memory, no sort and no boxing. NaN sorts above infinity, as its magnitude bits are larger.
 */
final class MagnitudeSelection {

    private static final int LOW_BITS = 15;

    private MagnitudeSelection() {
    }

    /** The number of elements to prune for a fraction, rounded half to even as PyTorch's round(). */
    static long count(double sparsity, long elements) {
        return (long) Math.rint(sparsity * elements);
    }

    /** New tensors with the {@code k} smallest magnitudes across {@code tensors} set to zero. */
    static List<Tensor> pruneSmallest(List<Tensor> tensors, long k) {
        long total = 0;
        for (Tensor t : tensors) {
            if (t.type() != DataType.FLOAT) {
                throw new IllegalArgumentException("magnitude pruning works on float tensors, not " + t.type());
            }
            total += t.elementCount();
        }
        if (k < 0 || k > total) {
            throw new IllegalArgumentException("cannot prune " + k + " of " + total + " elements");
        }
        if (k == 0) {
            return new ArrayList<>(tensors);
        }
        long[] high = new long[1 << 16];
        for (Tensor t : tensors) {
            FloatBuffer values = t.floats();
            while (values.hasRemaining()) {
                high[magnitudeBits(values.get()) >>> LOW_BITS]++;
            }
        }
        int bucket = 0;
        long below = 0;
        while (below + high[bucket] < k) {
            below += high[bucket++];
        }
        long[] low = new long[1 << LOW_BITS];
        for (Tensor t : tensors) {
            FloatBuffer values = t.floats();
            while (values.hasRemaining()) {
                int bits = magnitudeBits(values.get());
                if (bits >>> LOW_BITS == bucket) {
                    low[bits & ((1 << LOW_BITS) - 1)]++;
                }
            }
        }
        int step = 0;
        while (below + low[step] < k) {
            below += low[step++];
        }
        int threshold = bucket << LOW_BITS | step;
        long ties = k - below; // elements with exactly the threshold magnitude to prune, first come first

        List<Tensor> pruned = new ArrayList<>();
        for (Tensor t : tensors) {
            FloatBuffer values = t.floats();
            ByteBuffer out = ByteBuffer.allocate(values.remaining() * 4).order(ByteOrder.LITTLE_ENDIAN);
            FloatBuffer target = out.asFloatBuffer();
            while (values.hasRemaining()) {
                float v = values.get();
                int bits = magnitudeBits(v);
                if (bits < threshold || bits == threshold && ties-- > 0) {
                    v = 0f;
                }
                target.put(v);
            }
            pruned.add(Tensor.of(DataType.FLOAT, t.dims(), out).withSource(t.storage(), t.preserved()));
        }
        return pruned;
    }

    private static int magnitudeBits(float value) {
        return Float.floatToRawIntBits(value) & 0x7fffffff;
    }
}
