package dev.edgecompress.runtime.training.translation;

import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Value;
import dev.edgecompress.runtime.training.TranslationException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Squeeze;
import org.tensorflow.op.core.StridedSlice;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * Operators that move, reshape, select or convert data: they read ONNX's layout, and channel
 * concatenation of NHWC images stays in NHWC. Shapes, axes and slice bounds must be constants.
 */
final class TensorTranslators {

    private TensorTranslators() {
    }

    static void register(Map<String, OperatorTranslator> registry) {
        registry.put("Cast", TensorTranslators::cast);
        registry.put("Constant", (node, c) -> {
            if (node.attribute("value") == null) {
                throw new TranslationException(node.describe() + ": only Constant with a 'value' tensor is supported");
            }
            c.define(node, c.operands.constant(node.attribute("value").asTensor(), node.output(0).name()), false);
        });
        registry.put("Flatten", (node, c) -> {
            Operand<?> in = c.layout.anyNchw(node.input(0));
            int rank = in.shape().numDimensions();
            int axis = TranslationContext.normalize(node.intAttribute("axis", 1), rank);
            c.define(node, c.tf.reshape(in, c.tf.concat(List.of(c.flatSize(in, 0, axis), c.flatSize(in, axis, rank)),
                    c.tf.constant(0))), false);
        });
        registry.put("Reshape", (node, c) -> c.define(node, reshape(node, c), false));
        registry.put("Transpose", (node, c) -> {
            Operand<?> in = c.layout.anyNchw(node.input(0));
            int rank = in.shape().numDimensions();
            long[] perm = node.attribute("perm") == null ? null : node.attribute("perm").asInts();
            int[] order = new int[rank];
            for (int a = 0; a < rank; a++) {
                order[a] = perm == null ? rank - 1 - a : (int) perm[a];
            }
            c.define(node, c.tf.linalg.transpose(in, c.tf.constant(order)), false);
        });
        registry.put("Squeeze", (node, c) -> {
            long[] axes = TranslationContext.axes(node, 1);
            Operand<?> in = c.layout.anyNchw(node.input(0));
            c.define(node, axes == null ? c.tf.squeeze(in)
                    : c.tf.squeeze(in, Squeeze.axis(Arrays.stream(axes).boxed().toList())), false);
        });
        registry.put("Unsqueeze", (node, c) -> {
            long[] axes = TranslationContext.axes(node, 1);
            if (axes == null) {
                throw new TranslationException(node.describe() + ": Unsqueeze needs its axes");
            }
            Operand<?> out = c.layout.anyNchw(node.input(0));
            int rank = out.shape().numDimensions() + axes.length;
            for (long axis : Arrays.stream(axes).map(a -> TranslationContext.normalize(a, rank)).sorted().toArray()) {
                out = c.tf.expandDims(out, c.tf.constant(axis));
            }
            c.define(node, out, false);
        });
        registry.put("Concat", TensorTranslators::concat);
        registry.put("Slice", (node, c) -> c.define(node, slice(node, c), false));
        registry.put("Gather", (node, c) -> {
            Ops tf = c.tf;
            Operand<?> data = c.layout.anyNchw(node.input(0));
            int axis = TranslationContext.normalize(node.intAttribute("axis", 0), data.shape().numDimensions());
            // ONNX counts negative indices from the end; TensorFlow refuses them.
            Operand<TInt64> size = tf.slice(tf.shape(data, TInt64.class), tf.constant(new long[] {axis}),
                    tf.constant(new long[] {1}));
            Operand<TInt64> indices = tf.math.floorMod(c.operands.integers(node.input(1)), tf.reshape(size,
                    tf.constant(new long[0])));
            c.define(node, tf.gather(data, indices, tf.constant(axis)), false);
        });
        registry.put("Shape", (node, c) -> {
            Ops tf = c.tf;
            Operand<?> in = c.layout.anyNchw(node.input(0));
            Operand<TInt64> shape = tf.shape(in, TInt64.class);
            long start = node.intAttribute("start", 0);
            Attribute end = node.attribute("end");
            if (start != 0 || end != null) {
                long rank = in.shape().numDimensions();
                long from = Math.max(0, Math.min(rank, start < 0 ? start + rank : start));
                long to = end == null ? rank : Math.max(from, Math.min(rank, end.asInt() < 0 ? end.asInt() + rank
                        : end.asInt()));
                shape = tf.slice(shape, tf.constant(new long[] {from}), tf.constant(new long[] {to - from}));
            }
            c.define(node, shape, false);
        });
    }

    private static void cast(Node node, TranslationContext c) {
        DataType to = DataType.fromCode((int) node.intAttribute("to", 0));
        Operand<?> in = c.layout.anyNchw(node.input(0));
        c.define(node, switch (to) {
            case FLOAT -> in.type() == TFloat32.class ? in : c.tf.dtypes.cast(in, TFloat32.class);
            case INT64, INT32 -> in.type() == TInt64.class ? in : c.tf.dtypes.cast(in, TInt64.class);
            default -> throw new TranslationException(node.describe() + ": Cast to " + to
                    + " is not supported for training");
        }, false);
    }

    /** Reshape to a constant shape (0 copies the input's dim, -1 is inferred) or to a computed one. */
    private static Operand<?> reshape(Node node, TranslationContext c) {
        Ops tf = c.tf;
        Operand<?> in = c.layout.anyNchw(node.input(0));
        Value shapeValue = node.input(1);
        if (Operands.known(shapeValue) == null) {
            Operand<TInt64> shape = c.operands.integers(shapeValue);
            if (node.intAttribute("allowzero", 0) == 1) {
                return tf.reshape(in, shape);
            }
            // A 0 copies the input's dim at the same index.
            long length = shape.shape().numDimensions() == 1 ? shape.shape().get(0) : -1;
            int rank = in.shape().numDimensions();
            if (length < 0 || rank < 0) {
                throw new TranslationException(node.describe() + ": a computed shape of unknown length");
            }
            Operand<TInt64> inputShape = tf.shape(in, TInt64.class);
            Operand<TInt64> aligned = length <= rank ? tf.slice(inputShape, tf.constant(new long[] {0}),
                    tf.constant(new long[] {length})) : tf.concat(List.of(inputShape, tf.fill(tf.constant(
                            new long[] {length - rank}), tf.constant(1L))), tf.constant(0));
            return tf.reshape(in, tf.select(tf.math.equal(shape, tf.constant(0L)), aligned, shape));
        }
        long[] shape = Operands.longs(Operands.known(shapeValue));
        boolean copies = node.intAttribute("allowzero", 0) == 0 && Arrays.stream(shape).anyMatch(d -> d == 0);
        if (!copies) {
            return tf.reshape(in, tf.constant(shape));
        }
        List<Operand<TInt64>> dims = new ArrayList<>();
        Operand<TInt64> inputShape = tf.shape(in, TInt64.class);
        for (int i = 0; i < shape.length; i++) {
            dims.add(shape[i] == 0 ? tf.slice(inputShape, tf.constant(new long[] {i}), tf.constant(new long[] {1}))
                    : tf.constant(new long[] {shape[i]}));
        }
        return tf.reshape(in, tf.concat(dims, tf.constant(0)));
    }

    /** Concat; channel concatenation of NHWC images stays in NHWC. */
    private static void concat(Node node, TranslationContext c) {
        boolean channelsLast = !node.inputs().isEmpty() && node.inputs().stream().allMatch(c.layout::isNhwc);
        List<Operand<?>> parts = new ArrayList<>();
        for (Value input : node.inputs()) {
            parts.add(channelsLast ? c.value(input) : c.layout.anyNchw(input));
        }
        int rank = parts.get(0).shape().numDimensions();
        long axis = TranslationContext.normalize(node.intAttribute("axis", 1), rank);
        if (channelsLast) {
            axis = NhwcLayout.channelsLastAxis(axis);
        }
        c.define(node, concatOf(c.tf, parts, c.tf.constant(axis)), channelsLast);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Operand<?> concatOf(Ops tf, List<Operand<?>> parts, Operand<TInt64> axis) {
        Class<?> type = parts.get(0).type();
        if (parts.stream().anyMatch(p -> p.type() != type)) {
            throw new TranslationException("Concat of values of different types");
        }
        return tf.concat((List) parts, axis);
    }

    /** Slice with constant starts, ends, axes and positive steps. */
    private static Operand<?> slice(Node node, TranslationContext c) {
        Operand<?> in = c.layout.anyNchw(node.input(0));
        int rank = in.shape().numDimensions();
        long[] starts;
        long[] ends;
        long[] axes;
        long[] steps;
        if (c.opset < 10) {
            starts = node.attribute("starts").asInts();
            ends = node.attribute("ends").asInts();
            axes = node.attribute("axes") == null ? null : node.attribute("axes").asInts();
            steps = null;
        } else {
            for (int i = 1; i < node.inputs().size(); i++) {
                if (node.input(i) != null && Operands.known(node.input(i)) == null) {
                    throw new TranslationException(node.describe() + ": Slice bounds computed at run time are not"
                            + " supported");
                }
            }
            starts = Operands.longs(Operands.known(node.input(1)));
            ends = Operands.longs(Operands.known(node.input(2)));
            axes = node.input(3) == null ? null : Operands.longs(Operands.known(node.input(3)));
            steps = node.input(4) == null ? null : Operands.longs(Operands.known(node.input(4)));
        }
        long[] begin = new long[rank];
        long[] end = new long[rank];
        long[] stride = new long[rank];
        long beginMask = 0;
        long endMask = 0;
        Arrays.fill(stride, 1);
        for (int a = 0; a < rank; a++) {
            beginMask |= 1L << a;
            endMask |= 1L << a;
        }
        for (int i = 0; i < starts.length; i++) {
            int axis = axes == null ? i : TranslationContext.normalize(axes[i], rank);
            long step = steps == null ? 1 : steps[i];
            if (step < 1) {
                throw new TranslationException(node.describe() + ": Slice with a step below 1 is not supported");
            }
            stride[axis] = step;
            begin[axis] = Math.max(starts[i], Integer.MIN_VALUE);
            beginMask &= ~(1L << axis);
            if (ends[i] < Integer.MAX_VALUE) {
                end[axis] = ends[i];
                endMask &= ~(1L << axis);
            }
        }
        // int32 bounds: the gradient of StridedSlice builds int32 shapes and needs the same index type.
        return c.tf.stridedSlice(in, c.tf.constant(TranslationContext.ints32(begin)),
                c.tf.constant(TranslationContext.ints32(end)), c.tf.constant(TranslationContext.ints32(stride)),
                StridedSlice.beginMask(beginMask), StridedSlice.endMask(endMask));
    }
}
