package dev.edgecompress.passes.pruning;

import dev.edgecompress.ir.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Cuts tensors down to chosen indices along one axis. */
final class TensorSlicing {

    private TensorSlicing() {
    }

    /**
     * Keeps, along {@code axis}, the blocks {@code kept[i] * repeat .. kept[i] * repeat + repeat - 1}
     * (with {@code repeat} 1: just the indices {@code kept}), in order.
     */
    static Tensor keep(Tensor tensor, int axis, int[] kept, int repeat) {
        if (!tensor.type().isFixedWidth() || tensor.type().bits() < 8) {
            throw new IllegalArgumentException("cannot slice a " + tensor.type() + " tensor");
        }
        long[] dims = tensor.dims();
        long outer = 1;
        for (int a = 0; a < axis; a++) {
            outer *= dims[a];
        }
        long innerBytes = tensor.type().byteSize(1);
        for (int a = axis + 1; a < dims.length; a++) {
            innerBytes *= dims[a];
        }
        long blockBytes = innerBytes * repeat;
        long rowBytes = dims[axis] * innerBytes;
        ByteBuffer source = tensor.buffer();
        ByteBuffer out = ByteBuffer.allocate((int) (outer * kept.length * blockBytes)).order(ByteOrder.LITTLE_ENDIAN);
        for (long o = 0; o < outer; o++) {
            for (int k : kept) {
                int from = (int) (o * rowBytes + k * blockBytes);
                out.put(source.duplicate().position(from).limit((int) (from + blockBytes)));
            }
        }
        dims[axis] = (long) kept.length * repeat;
        return Tensor.of(tensor.type(), dims, out.flip()).withSource(tensor.storage(), tensor.preserved());
    }
}
