package dev.edgecompress.passes.cleanup;

import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;

/**
 * Computes the operators that only move data (Unsqueeze, Squeeze, Reshape, Concat, Slice) when
 * every input is a constant, so that a weight an exporter assembles at run time from constant
 * pieces (PyTorch reorders LSTM gates with Slice and Concat) becomes one constant the passes can
 * reach. Works on the bytes of any fixed-width element type; anything else is left alone.
 */
final class ConstantShapeOps {

    static final Set<String> FOLDED = Set.of("Unsqueeze", "Squeeze", "Reshape", "Concat", "Slice");

    /** Tensors above this many bytes are left to the runtime. */
    static final long LIMIT = 64L << 20;

    private ConstantShapeOps() {
    }

    /** The node's output computed from its constant inputs, or null when it cannot be folded. */
    static Tensor evaluate(Node node) {
        if (!node.normalizedDomain().isEmpty() || !FOLDED.contains(node.opType()) || node.outputs().size() != 1) {
            return null;
        }
        List<Tensor> inputs = new ArrayList<>();
        for (Value input : node.inputs()) {
            if (input == null) {
                inputs.add(null);
                continue;
            }
            if (input.constValue() == null) {
                return null;
            }
            inputs.add(input.constValue());
        }
        Tensor data = inputs.isEmpty() ? null : inputs.get(0);
        if (data == null || !data.type().isFixedWidth() || data.type().bits() < 8 || data.byteSize() > LIMIT) {
            return null;
        }
        return switch (node.opType()) {
            case "Unsqueeze" -> reshaped(data, unsqueezed(data.dims(), axes(node, inputs, 1)));
            case "Squeeze" -> reshaped(data, squeezed(data.dims(), axes(node, inputs, 1)));
            case "Reshape" -> inputs.size() > 1 && inputs.get(1) != null
                    ? reshaped(data, target(data, inputs.get(1).toLongArray(), node.intAttribute("allowzero", 0)))
                    : null;
            case "Concat" -> concat(inputs, node.intAttribute("axis", 0));
            case "Slice" -> slice(node, inputs);
            default -> null;
        };
    }

    /** Axes from input {@code index} (opset 13+) or the attribute (earlier); null: all size-1 axes. */
    private static long[] axes(Node node, List<Tensor> inputs, int index) {
        if (inputs.size() > index && inputs.get(index) != null) {
            return inputs.get(index).toLongArray();
        }
        return node.attribute("axes") == null ? null : node.attribute("axes").asInts();
    }

    private static long[] unsqueezed(long[] dims, long[] axes) {
        if (axes == null) {
            return null;
        }
        int rank = dims.length + axes.length;
        boolean[] inserted = new boolean[rank];
        for (long axis : axes) {
            int a = (int) (axis < 0 ? axis + rank : axis);
            if (a < 0 || a >= rank || inserted[a]) {
                return null;
            }
            inserted[a] = true;
        }
        long[] result = new long[rank];
        for (int a = 0, d = 0; a < rank; a++) {
            result[a] = inserted[a] ? 1 : dims[d++];
        }
        return result;
    }

    private static long[] squeezed(long[] dims, long[] axes) {
        boolean[] removed = new boolean[dims.length];
        if (axes == null) {
            for (int a = 0; a < dims.length; a++) {
                removed[a] = dims[a] == 1;
            }
        } else {
            for (long axis : axes) {
                int a = (int) (axis < 0 ? axis + dims.length : axis);
                if (a < 0 || a >= dims.length || dims[a] != 1) {
                    return null;
                }
                removed[a] = true;
            }
        }
        return java.util.stream.IntStream.range(0, dims.length).filter(a -> !removed[a]).mapToLong(a -> dims[a])
                .toArray();
    }

    private static long[] target(Tensor data, long[] shape, long allowZero) {
        long[] result = shape.clone();
        int inferred = -1;
        long known = 1;
        for (int a = 0; a < result.length; a++) {
            if (result[a] == 0 && allowZero == 0) {
                if (a >= data.rank()) {
                    return null;
                }
                result[a] = data.dim(a);
            }
            if (result[a] == -1) {
                if (inferred >= 0) {
                    return null;
                }
                inferred = a;
            } else {
                known *= result[a];
            }
        }
        if (inferred >= 0) {
            if (known == 0 || data.elementCount() % known != 0) {
                return null;
            }
            result[inferred] = data.elementCount() / known;
        }
        return result;
    }

    private static Tensor reshaped(Tensor data, long[] dims) {
        if (dims == null || Arrays.stream(dims).reduce(1, Math::multiplyExact) != data.elementCount()) {
            return null;
        }
        return Tensor.of(data.type(), dims, copy(data.buffer()));
    }

    private static Tensor concat(List<Tensor> inputs, long axisAttribute) {
        Tensor first = inputs.get(0);
        int rank = first.rank();
        int axis = (int) (axisAttribute < 0 ? axisAttribute + rank : axisAttribute);
        if (axis < 0 || axis >= rank) {
            return null;
        }
        long outer = 1;
        for (int a = 0; a < axis; a++) {
            outer *= first.dim(a);
        }
        long[] dims = first.dims();
        dims[axis] = 0;
        long width = first.type().bits() / 8;
        long[] chunk = new long[inputs.size()];
        for (int i = 0; i < inputs.size(); i++) {
            Tensor t = inputs.get(i);
            if (t == null || t.type() != first.type() || t.rank() != rank) {
                return null;
            }
            for (int a = 0; a < rank; a++) {
                if (a != axis && t.dim(a) != first.dim(a)) {
                    return null;
                }
            }
            dims[axis] += t.dim(axis);
            chunk[i] = t.elementCount() / Math.max(1, outer) * width;
        }
        ByteBuffer out = ByteBuffer.allocate((int) (Arrays.stream(chunk).sum() * outer)).order(ByteOrder.LITTLE_ENDIAN);
        for (long o = 0; o < outer; o++) {
            for (int i = 0; i < inputs.size(); i++) {
                ByteBuffer source = inputs.get(i).buffer();
                source.position((int) (o * chunk[i])).limit((int) ((o + 1) * chunk[i]));
                out.put(source);
            }
        }
        return Tensor.of(first.type(), dims, out.flip());
    }

    private static Tensor slice(Node node, List<Tensor> inputs) {
        Tensor data = inputs.get(0);
        int rank = data.rank();
        long[] starts;
        long[] ends;
        long[] axes;
        long[] steps = null;
        if (inputs.size() >= 3) {
            starts = inputs.get(1).toLongArray();
            ends = inputs.get(2).toLongArray();
            axes = inputs.size() > 3 && inputs.get(3) != null ? inputs.get(3).toLongArray() : null;
            steps = inputs.size() > 4 && inputs.get(4) != null ? inputs.get(4).toLongArray() : null;
        } else if (node.attribute("starts") != null && node.attribute("ends") != null) {
            starts = node.attribute("starts").asInts();
            ends = node.attribute("ends").asInts();
            axes = node.attribute("axes") == null ? null : node.attribute("axes").asInts();
        } else {
            return null;
        }
        long[] from = new long[rank];
        long[] count = data.dims();
        for (int i = 0; i < starts.length; i++) {
            int axis = (int) (axes == null ? i : axes[i] < 0 ? axes[i] + rank : axes[i]);
            long step = steps == null ? 1 : steps[i];
            if (axis < 0 || axis >= rank || step != 1) {
                return null; // strided and reversed slices are left to the runtime
            }
            long size = data.dim(axis);
            long start = clamp(starts[i] < 0 ? starts[i] + size : starts[i], size);
            long end = clamp(ends[i] < 0 ? ends[i] + size : ends[i], size);
            from[axis] = start;
            count[axis] = Math.max(0, end - start);
        }
        long width = data.type().bits() / 8;
        long[] strides = new long[rank];
        long stride = width;
        for (int a = rank - 1; a >= 0; a--) {
            strides[a] = stride;
            stride *= data.dim(a);
        }
        long total = Arrays.stream(count).reduce(1, Math::multiplyExact);
        ByteBuffer out = ByteBuffer.allocate((int) (total * width)).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer source = data.buffer();
        long[] index = new long[rank];
        byte[] element = new byte[(int) width];
        for (long n = 0; n < total; n++) {
            long offset = 0;
            for (int a = 0; a < rank; a++) {
                offset += (from[a] + index[a]) * strides[a];
            }
            source.position((int) offset);
            source.get(element);
            out.put(element);
            for (int a = rank - 1; a >= 0; a--) {
                if (++index[a] < count[a]) {
                    break;
                }
                index[a] = 0;
            }
        }
        return Tensor.of(data.type(), count, out.flip());
    }

    private static long clamp(long value, long size) {
        return Math.max(0, Math.min(size, value));
    }

    private static ByteBuffer copy(ByteBuffer source) {
        ByteBuffer out = ByteBuffer.allocate(source.remaining()).order(ByteOrder.LITTLE_ENDIAN);
        out.put(source.duplicate());
        return out.flip();
    }
}
