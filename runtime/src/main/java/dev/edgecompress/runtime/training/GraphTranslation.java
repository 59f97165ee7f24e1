package dev.edgecompress.runtime.training;

import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.BiFunction;
import org.tensorflow.Operand;
import org.tensorflow.Output;
import org.tensorflow.ndarray.Shape;
import org.tensorflow.ndarray.buffer.DataBuffers;
import org.tensorflow.op.Op;
import org.tensorflow.op.Ops;
import org.tensorflow.op.core.Variable;
import org.tensorflow.op.nn.Conv2d;
import org.tensorflow.op.nn.MaxPool;
import org.tensorflow.types.TFloat32;
import org.tensorflow.types.TInt64;

/**
 * ONNX operators as TensorFlow ops, node by node, into one TensorFlow graph. Image paths run in
 * NHWC (TensorFlow's fast layout on CPU): each value remembers its layout, and a layout-sensitive
 * consumer (Flatten, Reshape, an output) gets ONNX's NCHW back. Values are float, or int64 for
 * shape arithmetic and indices. Ops whose gradient TensorFlow lacks or gets wrong are written
 * with ones it has (explicit Pad then VALID; dilations through SpaceToBatchND). An operator or
 * attribute value it cannot translate is refused naming the node.
 *
 * <p>BatchNormalization's running statistics become variables here, updated by
 * {@link #statisticUpdates()} while {@link #batchStatistics()} is fed 1.
 */
final class GraphTranslation {

    private final Ops tf;
    private final long opset;
    private final BiFunction<String, Operand<TFloat32>, Operand<TFloat32>> outputs;
    private final Map<Value, Operand<?>> translated = new IdentityHashMap<>();
    private final Map<Value, Boolean> nhwc = new IdentityHashMap<>();
    /** BatchNormalization's running means and variances, by initializer name. */
    private final Map<String, Variable<TFloat32>> statistics = new LinkedHashMap<>();
    private final List<Op> statisticUpdates = new ArrayList<>();
    /** 1 while training normalizes by batch statistics, 0 (the default) for the running ones. */
    private final Operand<TFloat32> batchStatistics;

    /**
     * @param outputs applied to every float value a node defines, by value name (where training
     *     fake-quantizes activations); identity otherwise
     */
    GraphTranslation(Ops tf, long opset, BiFunction<String, Operand<TFloat32>, Operand<TFloat32>> outputs) {
        this.tf = tf;
        this.opset = opset;
        this.outputs = outputs;
        this.batchStatistics = tf.placeholderWithDefault(tf.constant(0f), Shape.scalar());
    }

    /** {@code value} is {@code operand} (a graph input, a weight variable), in ONNX's layout. */
    void bind(Value value, Operand<?> operand) {
        translated.put(value, operand);
    }

    Map<String, Variable<TFloat32>> statistics() {
        return statistics;
    }

    List<Op> statisticUpdates() {
        return statisticUpdates;
    }

    Operand<TFloat32> batchStatistics() {
        return batchStatistics;
    }

    /** The operand of any value: float, or int64 (shape arithmetic, indices). */
    private Operand<?> any(Value value) {
        Operand<?> operand = translated.get(value);
        if (operand == null && value.constValue() != null) {
            operand = constant(value.constValue(), value.name());
            translated.put(value, operand);
        }
        if (operand == null) {
            throw new TranslationException("value " + value.name() + (value.producer() == null ? ""
                    : " (an output of " + value.producer().describe() + ")")
                    + " is not computed by the training graph");
        }
        return operand;
    }

    /**
     * The value of a constant known while translating: an initializer, or the output of a Constant
     * node (exporters write shapes, axes and slice bounds as either); null otherwise.
     */
    private static Tensor known(Value value) {
        if (value.constValue() != null) {
            return value.constValue();
        }
        Node producer = value.producer();
        return producer != null && producer.opType().equals("Constant") && producer.normalizedDomain().isEmpty()
                && producer.attribute("value") != null ? producer.attribute("value").asTensor() : null;
    }

    private Operand<?> constant(Tensor constant, String name) {
        return switch (constant.type()) {
            case FLOAT -> tf.constant(Shape.of(constant.dims()), DataBuffers.of(constant.toFloatArray()));
            case INT64, INT32 -> tf.constant(Shape.of(constant.dims()), DataBuffers.of(longs(constant)));
            default -> throw new TranslationException("constant " + name + " is " + constant.type()
                    + "; only float and integer constants are supported for training");
        };
    }

    /** The values of an integer tensor (INT64 or INT32). */
    static long[] longs(Tensor tensor) {
        if (tensor.type() == DataType.INT32) {
            var ints = tensor.buffer().asIntBuffer();
            long[] values = new long[ints.remaining()];
            for (int i = 0; i < values.length; i++) {
                values[i] = ints.get(i);
            }
            return values;
        }
        return tensor.toLongArray();
    }

    @SuppressWarnings("unchecked")
    private Operand<TFloat32> value(Value value) {
        Operand<?> operand = any(value);
        if (operand.type() != TFloat32.class) {
            throw new TranslationException("value " + value.name() + " is not float; only float values are computed"
                    + " on here");
        }
        return (Operand<TFloat32>) operand;
    }

    private boolean isNhwc(Value value) {
        return nhwc.getOrDefault(value, false);
    }

    /** The value in ONNX's layout (NCHW for images). */
    private Operand<TFloat32> nchw(Value value) {
        Operand<TFloat32> operand = value(value);
        return isNhwc(value) ? tf.linalg.transpose(operand, tf.constant(new int[] {0, 3, 1, 2})) : operand;
    }

    /** Any value in ONNX's layout (only float images are ever kept in NHWC). */
    Operand<?> anyNchw(Value value) {
        return isNhwc(value) ? nchw(value) : any(value);
    }

    /** An image value in NHWC. */
    private Operand<TFloat32> channelsLast(Value value) {
        Operand<TFloat32> operand = value(value);
        return isNhwc(value) ? operand : tf.linalg.transpose(operand, tf.constant(new int[] {0, 2, 3, 1}));
    }

    private void define(Node node, Operand<?> operand, boolean channelsLast) {
        Value output = node.output(0);
        translated.put(output, operand.type() == TFloat32.class ? outputs.apply(output.name(), floats(operand))
                : operand);
        nhwc.put(output, channelsLast);
    }

    /** An integer value (indices, shapes): int64 here, as integer constants are made int64. */
    @SuppressWarnings("unchecked")
    private Operand<TInt64> integers(Value value) {
        Operand<?> operand = any(value);
        if (operand.type() != TInt64.class) {
            throw new TranslationException("value " + value.name() + " is not an integer tensor");
        }
        return (Operand<TInt64>) operand;
    }

    /**
     * MatMul: 2-D by 2-D directly; N-D by a 2-D weight as one 2-D product over the flattened
     * leading dims (whose gradient TensorFlow has); else a batched product.
     */
    private Operand<TFloat32> matMul(Node node, Operand<TFloat32> a, Operand<TFloat32> b) {
        int rankA = a.shape().numDimensions();
        int rankB = b.shape().numDimensions();
        if (rankA == 2 && rankB == 2) {
            return tf.linalg.matMul(a, b);
        }
        if (rankB == 2 && rankA > 2) {
            Operand<TInt64> shapeA = tf.shape(a, TInt64.class);
            Operand<TInt64> leading = tf.slice(shapeA, tf.constant(new long[] {0}),
                    tf.constant(new long[] {rankA - 1}));
            Operand<TFloat32> flat = tf.reshape(a, tf.constant(new long[] {-1, b.shape().get(0)}));
            Operand<TFloat32> product = tf.linalg.matMul(flat, b);
            Operand<TInt64> columns = tf.slice(tf.shape(b, TInt64.class), tf.constant(new long[] {1}),
                    tf.constant(new long[] {1}));
            return tf.reshape(product, tf.concat(List.of(leading, columns), tf.constant(0)));
        }
        if (rankA < 2 || rankB < 2) {
            throw new TranslationException(node.describe() + ": MatMul of a 1-D operand is not supported for training");
        }
        return tf.train.batchMatMul(a, b, TFloat32.class);
    }

    @SuppressWarnings("unchecked")
    static Operand<TFloat32> floats(Operand<?> operand) {
        return (Operand<TFloat32>) operand;
    }

    /** The operators translated (some attribute values are refused, naming the node). */
    static final Set<String> SUPPORTED = Set.of("Gemm", "MatMul", "Add", "Sub", "Mul", "Div", "Pow", "Sqrt",
            "Neg", "Abs", "Exp", "Log", "Reciprocal", "Cast", "Erf", "Relu", "LeakyRelu", "Clip", "Sigmoid", "Tanh", "Gelu",
            "Softmax", "LogSoftmax", "Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool",
            "BatchNormalization", "LayerNormalization", "Flatten", "Reshape", "Transpose", "Squeeze", "Unsqueeze",
            "Concat", "Slice", "Gather",
            "Shape", "ReduceMean", "Identity", "Dropout", "Constant");

    /** Defines {@code node}'s outputs from its inputs' operands; fails naming the node where it cannot. */
    void translate(Node node) {
        String op = node.opType();
        Value x = node.input(0);
        switch (op) {
            case "Relu" -> define(node, tf.nn.relu(value(x)), isNhwc(x));
            case "LeakyRelu" -> {
                float alpha = floatAttribute(node, "alpha", 0.01f);
                define(node, tf.math.maximum(value(x), tf.math.mul(value(x), tf.constant(alpha))), isNhwc(x));
            }
            case "Clip" -> define(node, clip(node), isNhwc(x));
            case "Sigmoid" -> define(node, tf.math.sigmoid(value(x)), isNhwc(x));
            case "Tanh" -> define(node, tf.math.tanh(value(x)), isNhwc(x));
            case "Erf" -> define(node, tf.math.erf(value(x)), isNhwc(x));
            case "Gelu" -> define(node, gelu(node), isNhwc(x));
            case "Sqrt" -> define(node, tf.math.sqrt(value(x)), isNhwc(x));
            case "Neg" -> define(node, tf.math.neg(value(x)), isNhwc(x));
            case "Abs" -> define(node, tf.math.abs(value(x)), isNhwc(x));
            case "Exp" -> define(node, tf.math.exp(value(x)), isNhwc(x));
            case "Log" -> define(node, tf.math.log(value(x)), isNhwc(x));
            case "Reciprocal" -> define(node, tf.math.reciprocal(value(x)), isNhwc(x));
            case "Identity", "Dropout" -> define(node, any(x), isNhwc(x));
            case "Cast" -> {
                DataType to = DataType.fromCode((int) node.intAttribute("to", 0));
                Operand<?> in = anyNchw(x);
                define(node, switch (to) {
                    case FLOAT -> in.type() == TFloat32.class ? in : tf.dtypes.cast(in, TFloat32.class);
                    case INT64, INT32 -> in.type() == TInt64.class ? in : tf.dtypes.cast(in, TInt64.class);
                    default -> throw new TranslationException(node.describe() + ": Cast to " + to
                            + " is not supported for training");
                }, false);
            }
            case "Constant" -> {
                if (node.attribute("value") == null) {
                    throw new TranslationException(node.describe()
                            + ": only Constant with a 'value' tensor is supported");
                }
                define(node, constant(node.attribute("value").asTensor(), node.output(0).name()), false);
            }
            case "Flatten" -> {
                Operand<?> in = anyNchw(x);
                int rank = in.shape().numDimensions();
                int axis = (int) node.intAttribute("axis", 1);
                axis = axis < 0 ? axis + rank : axis;
                define(node, tf.reshape(in, tf.concat(List.of(flatSize(in, 0, axis), flatSize(in, axis, rank)),
                        tf.constant(0))), false);
            }
            case "Reshape" -> define(node, reshape(node), false);
            case "Transpose" -> {
                Operand<?> in = anyNchw(x);
                int rank = in.shape().numDimensions();
                long[] perm = node.attribute("perm") == null ? null : node.attribute("perm").asInts();
                int[] order = new int[rank];
                for (int a = 0; a < rank; a++) {
                    order[a] = perm == null ? rank - 1 - a : (int) perm[a];
                }
                define(node, tf.linalg.transpose(in, tf.constant(order)), false);
            }
            case "Squeeze" -> {
                long[] axes = axes(node, 1);
                Operand<?> in = anyNchw(x);
                define(node, axes == null ? tf.squeeze(in) : tf.squeeze(in, org.tensorflow.op.core.Squeeze.axis(
                        java.util.Arrays.stream(axes).boxed().toList())), false);
            }
            case "Unsqueeze" -> {
                long[] axes = axes(node, 1);
                if (axes == null) {
                    throw new TranslationException(node.describe() + ": Unsqueeze needs its axes");
                }
                Operand<?> out = anyNchw(x);
                int rank = out.shape().numDimensions() + axes.length;
                long[] sorted = java.util.Arrays.stream(axes).map(a -> a < 0 ? a + rank : a).sorted().toArray();
                for (long axis : sorted) {
                    out = tf.expandDims(out, tf.constant(axis));
                }
                define(node, out, false);
            }
            case "Concat" -> define(node, concat(node), node.inputs().stream().allMatch(this::isNhwc)
                    && node.inputs().size() > 0);
            case "Slice" -> define(node, slice(node), false);
            case "Gather" -> {
                Operand<?> data = anyNchw(x);
                int rank = data.shape().numDimensions();
                int axis = (int) node.intAttribute("axis", 0);
                axis = axis < 0 ? axis + rank : axis;
                // ONNX counts negative indices from the end; TensorFlow refuses them.
                Operand<TInt64> size = tf.slice(tf.shape(data, TInt64.class), tf.constant(new long[] {axis}),
                        tf.constant(new long[] {1}));
                Operand<TInt64> indices = tf.math.floorMod(integers(node.input(1)), tf.reshape(size,
                        tf.constant(new long[0])));
                define(node, tf.gather(data, indices, tf.constant(axis)), false);
            }
            case "Shape" -> {
                Operand<org.tensorflow.types.TInt64> shape = tf.shape(anyNchw(x), TInt64.class);
                long start = node.intAttribute("start", 0);
                Attribute end = node.attribute("end");
                if (start != 0 || end != null) {
                    long rank = anyNchw(x).shape().numDimensions();
                    long from = Math.max(0, Math.min(rank, start < 0 ? start + rank : start));
                    long to = end == null ? rank : Math.max(from, Math.min(rank, end.asInt() < 0 ? end.asInt() + rank
                            : end.asInt()));
                    shape = tf.slice(shape, tf.constant(new long[] {from}), tf.constant(new long[] {to - from}));
                }
                define(node, shape, false);
            }
            case "ReduceMean" -> {
                long[] axes = axes(node, 1);
                Operand<TFloat32> in = nchw(x);
                int rank = in.shape().numDimensions();
                int[] reduced = axes == null ? allAxes(rank)
                        : java.util.Arrays.stream(axes).mapToInt(a -> (int) (a < 0 ? a + rank : a)).toArray();
                define(node, tf.math.mean(in, tf.constant(reduced), org.tensorflow.op.math.Mean.keepDims(
                        node.intAttribute("keepdims", 1) == 1)), false);
            }
            case "Gemm" -> {
                if (node.intAttribute("transA", 0) != 0) {
                    throw new TranslationException(node.describe() + ": Gemm with transA");
                }
                Operand<TFloat32> y = tf.linalg.matMul(value(x), value(node.input(1)),
                        org.tensorflow.op.linalg.MatMul.transposeB(node.intAttribute("transB", 0) == 1));
                float alpha = floatAttribute(node, "alpha", 1f);
                if (alpha != 1f) {
                    y = tf.math.mul(y, tf.constant(alpha));
                }
                if (node.input(2) != null) {
                    float beta = floatAttribute(node, "beta", 1f);
                    Operand<TFloat32> c = value(node.input(2));
                    y = tf.math.add(y, beta == 1f ? c : tf.math.mul(c, tf.constant(beta)));
                }
                define(node, y, false);
            }
            case "MatMul" -> {
                Operand<TFloat32> a = nchw(x);
                Operand<TFloat32> b = nchw(node.input(1));
                define(node, matMul(node, a, b), false);
            }
            case "Add", "Sub", "Mul", "Div", "Pow" -> binary(node);
            case "Conv", "MaxPool", "AveragePool" -> spatial(node);
            case "ConvTranspose" -> define(node, convTranspose(node), true);
            case "GlobalAveragePool" -> define(node, tf.math.mean(channelsLast(x), tf.constant(new int[] {1, 2}),
                    org.tensorflow.op.math.Mean.keepDims(true)), true);
            case "BatchNormalization" -> batchNorm(node);
            case "LayerNormalization" -> layerNorm(node);
            case "Softmax", "LogSoftmax" -> {
                Operand<TFloat32> in = nchw(x);
                int rank = in.shape().numDimensions();
                long axis = node.intAttribute("axis", opset >= 13 ? -1 : 1);
                if ((axis < 0 ? axis + rank : axis) != rank - 1) {
                    throw new TranslationException(node.describe() + ": " + op + " over an axis other than the last");
                }
                define(node, op.equals("Softmax") ? tf.nn.softmax(in) : tf.nn.logSoftmax(in), false);
            }
            default -> throw new TranslationException(node.describe() + ": " + op
                    + " is not supported for training yet");
        }
    }

    /** Indices as int32, clamped to its range (ONNX uses int64 extremes for "to the end"). */
    private static int[] ints32(long[] values) {
        return java.util.Arrays.stream(values).mapToInt(v -> (int) Math.max(Integer.MIN_VALUE,
                Math.min(Integer.MAX_VALUE, v))).toArray();
    }

    private static float floatAttribute(Node node, String name, float fallback) {
        return node.attribute(name) == null ? fallback : node.attribute(name).asFloat();
    }

    /** The product of dims [from, to) of {@code operand} as a one-element int64 shape. */
    private Operand<TInt64> flatSize(Operand<?> operand, int from, int to) {
        if (from == to) {
            return tf.constant(new long[] {1});
        }
        Operand<TInt64> dims = tf.slice(tf.shape(operand, TInt64.class), tf.constant(new long[] {from}),
                tf.constant(new long[] {to - from}));
        return tf.reshape(tf.reduceProd(dims, tf.constant(0)), tf.constant(new long[] {1}));
    }

    /** Axes from the attribute (older opsets) or from the input at {@code index}; null for none. */
    private long[] axes(Node node, int index) {
        if (node.attribute("axes") != null) {
            return node.attribute("axes").asInts();
        }
        Value axes = node.input(index);
        if (axes == null) {
            return null;
        }
        if (known(axes) == null) {
            throw new TranslationException(node.describe() + ": axes computed at run time are not supported");
        }
        return longs(known(axes));
    }

    private Operand<TFloat32> clip(Node node) {
        Operand<TFloat32> y = value(node.input(0));
        Value min = node.input(1);
        Value max = node.input(2);
        if (node.attribute("min") != null || min != null) {
            y = tf.math.maximum(y, min != null ? value(min) : tf.constant(node.attribute("min").asFloat()));
        }
        if (node.attribute("max") != null || max != null) {
            y = tf.math.minimum(y, max != null ? value(max) : tf.constant(node.attribute("max").asFloat()));
        }
        return y;
    }

    private Operand<TFloat32> gelu(Node node) {
        Operand<TFloat32> x = value(node.input(0));
        Attribute approximate = node.attribute("approximate");
        Operand<TFloat32> inner;
        if (approximate != null && approximate.asString().equals("tanh")) {
            // 0.5 x (1 + tanh(sqrt(2 / pi) (x + 0.044715 x^3)))
            Operand<TFloat32> cubic = tf.math.add(x, tf.math.mul(tf.constant(0.044715f), tf.math.mul(x,
                    tf.math.mul(x, x))));
            inner = tf.math.tanh(tf.math.mul(tf.constant((float) Math.sqrt(2 / Math.PI)), cubic));
        } else {
            inner = tf.math.erf(tf.math.mul(x, tf.constant((float) (1 / Math.sqrt(2)))));
        }
        return tf.math.mul(tf.math.mul(tf.constant(0.5f), x), tf.math.add(tf.constant(1f), inner));
    }

    /** Reshape to a constant shape (0 copies the input's dim, -1 is inferred) or to a computed one. */
    private Operand<?> reshape(Node node) {
        Operand<?> in = anyNchw(node.input(0));
        Value shapeValue = node.input(1);
        if (known(shapeValue) == null) {
            Operand<TInt64> shape = integers(shapeValue);
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
        long[] shape = longs(known(shapeValue));
        boolean copies = node.intAttribute("allowzero", 0) == 0 && java.util.Arrays.stream(shape).anyMatch(d -> d == 0);
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
    private Operand<?> concat(Node node) {
        boolean channelsLast = !node.inputs().isEmpty() && node.inputs().stream().allMatch(this::isNhwc);
        List<Operand<?>> parts = new ArrayList<>();
        for (Value input : node.inputs()) {
            parts.add(channelsLast ? value(input) : anyNchw(input));
        }
        int rank = parts.get(0).shape().numDimensions();
        long axis = node.intAttribute("axis", 1);
        axis = axis < 0 ? axis + rank : axis;
        if (channelsLast) {
            axis = new long[] {0, 3, 1, 2}[(int) axis];
        }
        return concatOf(parts, tf.constant(axis));
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private Operand<?> concatOf(List<Operand<?>> parts, Operand<TInt64> axis) {
        Class<?> type = parts.get(0).type();
        if (parts.stream().anyMatch(p -> p.type() != type)) {
            throw new TranslationException("Concat of values of different types");
        }
        return tf.concat((List) parts, axis);
    }

    /** Slice with constant starts, ends, axes and positive steps. */
    private Operand<?> slice(Node node) {
        Operand<?> in = anyNchw(node.input(0));
        int rank = in.shape().numDimensions();
        long[] starts;
        long[] ends;
        long[] axes;
        long[] steps;
        if (opset < 10) {
            starts = node.attribute("starts").asInts();
            ends = node.attribute("ends").asInts();
            axes = node.attribute("axes") == null ? null : node.attribute("axes").asInts();
            steps = null;
        } else {
            for (int i = 1; i < node.inputs().size(); i++) {
                if (node.input(i) != null && known(node.input(i)) == null) {
                    throw new TranslationException(node.describe() + ": Slice bounds computed at run time are not"
                            + " supported");
                }
            }
            starts = longs(known(node.input(1)));
            ends = longs(known(node.input(2)));
            axes = node.input(3) == null ? null : longs(known(node.input(3)));
            steps = node.input(4) == null ? null : longs(known(node.input(4)));
        }
        long[] begin = new long[rank];
        long[] end = new long[rank];
        long[] stride = new long[rank];
        long beginMask = 0;
        long endMask = 0;
        java.util.Arrays.fill(stride, 1);
        for (int a = 0; a < rank; a++) {
            beginMask |= 1L << a;
            endMask |= 1L << a;
        }
        for (int i = 0; i < starts.length; i++) {
            int axis = (int) (axes == null ? i : axes[i] < 0 ? axes[i] + rank : axes[i]);
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
        return tf.stridedSlice(in, tf.constant(ints32(begin)), tf.constant(ints32(end)), tf.constant(ints32(stride)),
                org.tensorflow.op.core.StridedSlice.beginMask(beginMask),
                org.tensorflow.op.core.StridedSlice.endMask(endMask));
    }

    /**
     * Elementwise Add, Sub, Mul, Div, Pow with ONNX broadcasting. An NHWC image stays in NHWC when
     * the other side is a scalar or a constant image-shaped tensor (moved to NHWC with it);
     * otherwise both sides go to ONNX's layout.
     */
    private void binary(Node node) {
        Value a = node.input(0);
        Value b = node.input(1);
        boolean channelsLast = isNhwc(a) && isNhwc(b) || isNhwc(a) && channelsLastCompatible(b)
                || isNhwc(b) && channelsLastCompatible(a);
        Operand<?> left = channelsLast ? channelsLastOperand(a) : anyNchw(a);
        Operand<?> right = channelsLast ? channelsLastOperand(b) : anyNchw(b);
        if (left.type() != right.type()) {
            throw new TranslationException(node.describe() + ": operands of different types");
        }
        define(node, arithmetic(node.opType(), left, right), channelsLast);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private Operand<?> arithmetic(String op, Operand left, Operand right) {
        return switch (op) {
            case "Add" -> tf.math.add(left, right);
            case "Sub" -> tf.math.sub(left, right);
            case "Mul" -> tf.math.mul(left, right);
            case "Div" -> tf.math.div(left, right);
            default -> tf.math.pow(left, right);
        };
    }

    /** Whether a constant broadcasts against an NHWC image once moved to NHWC: a scalar, or rank 3 or 4. */
    private static boolean channelsLastCompatible(Value value) {
        Tensor constant = known(value);
        return constant != null && constant.type() == DataType.FLOAT
                && (constant.elementCount() == 1 || constant.rank() == 3 || constant.rank() == 4);
    }

    private Operand<?> channelsLastOperand(Value value) {
        if (isNhwc(value)) {
            return value(value);
        }
        Tensor constant = known(value);
        Operand<TFloat32> operand = value(value);
        if (constant.elementCount() == 1 || constant.rank() < 3) {
            return operand;
        }
        return tf.linalg.transpose(operand, tf.constant(constant.rank() == 4 ? new int[] {0, 2, 3, 1}
                : new int[] {1, 2, 0}));
    }

    /**
     * Conv, MaxPool and AveragePool over 2-D images in NHWC; over 1-D sequences [N, C, L] as
     * images of height 1 ([N, 1, L, C] in NHWC), turned back to [N, C', L'] after.
     */
    private void spatial(Node node) {
        boolean conv = node.opType().equals("Conv");
        int dims = conv ? weightRank(node) - 2 : node.attribute("kernel_shape").asInts().length;
        if (dims == 2) {
            define(node, conv ? conv(node, channelsLast(node.input(0)), value(node.input(1)), kernel(node),
                    ints(node, "strides", new long[] {1, 1}), pads(node), ints(node, "dilations", new long[] {1, 1}))
                    : pool(node, channelsLast(node.input(0)), node.attribute("kernel_shape").asInts(),
                            ints(node, "strides", new long[] {1, 1}), pads(node)), true);
            return;
        }
        if (dims != 1) {
            throw new TranslationException(node.describe() + ": only 1-D and 2-D " + node.opType()
                    + " is supported for training");
        }
        Operand<TFloat32> sequence = tf.linalg.transpose(tf.expandDims(nchw(node.input(0)), tf.constant(2)),
                tf.constant(new int[] {0, 2, 3, 1}));
        long[] pads = pads(node);
        long[] pads2 = pads.length == 2 ? new long[] {0, pads[0], 0, pads[1]} : new long[4];
        long[] strides = {1, ints(node, "strides", new long[] {1})[0]};
        Operand<TFloat32> y = conv
                ? conv(node, sequence, tf.expandDims(value(node.input(1)), tf.constant(2)), new long[] {1,
                    kernel(node)[0]}, strides, pads2, new long[] {1, ints(node, "dilations", new long[] {1})[0]})
                : pool(node, sequence, new long[] {1, node.attribute("kernel_shape").asInts()[0]}, strides, pads2);
        define(node, tf.squeeze(tf.linalg.transpose(y, tf.constant(new int[] {0, 3, 1, 2})),
                org.tensorflow.op.core.Squeeze.axis(List.of(2L))), false);
    }

    private int weightRank(Node node) {
        Value weight = node.input(1);
        return weight.constValue() != null ? weight.constValue().rank() : value(weight).shape().numDimensions();
    }

    /** The spatial dims of a Conv's kernel. */
    private long[] kernel(Node node) {
        Value weight = node.input(1);
        long[] dims = weight.constValue() != null ? weight.constValue().dims() : value(weight).shape().asArray();
        return java.util.Arrays.copyOfRange(dims, 2, dims.length);
    }

    /**
     * Conv of an NHWC image by an OIHW weight: explicit pads then VALID (TensorFlow's EXPLICIT
     * padding has a broken gradient, TF_NOTES), groups as one convolution per group, dilations
     * through SpaceToBatchND / BatchToSpaceND (dilated Conv2D's gradient is broken too).
     */
    private Operand<TFloat32> conv(Node node, Operand<TFloat32> image, Operand<TFloat32> weight, long[] kernel,
            long[] strides, long[] pads, long[] dilations) {
        boolean dilated = dilations[0] != 1 || dilations[1] != 1;
        if (dilated && (strides[0] != 1 || strides[1] != 1)) {
            throw new TranslationException(node.describe() + ": a convolution both dilated and strided is not"
                    + " supported for training");
        }
        Operand<TFloat32> x = padded(image, pads, 0f);
        Operand<TFloat32> hwio = tf.linalg.transpose(weight, tf.constant(new int[] {2, 3, 1, 0}));
        int group = (int) node.intAttribute("group", 1);
        List<Long> stride = List.of(1L, strides[0], strides[1], 1L);
        Operand<TFloat32> y;
        if (dilated) {
            x = toBatches(x, dilations);
        }
        long channels = x.shape().get(3);
        if (group == 1) {
            y = tf.nn.conv2d(x, hwio, stride, "VALID", Conv2d.dataFormat("NHWC"));
        } else if (group == channels && hwio.shape().get(2) == 1) {
            // Depthwise: ONNX [C * m, 1, kH, kW] is [kH, kW, C, m] for TensorFlow (output c * m + j).
            Operand<TFloat32> filter = tf.reshape(hwio, tf.constant(new long[] {hwio.shape().get(0),
                hwio.shape().get(1), channels, -1}));
            y = tf.nn.depthwiseConv2dNative(x, filter, stride, "VALID",
                    org.tensorflow.op.nn.DepthwiseConv2dNative.dataFormat("NHWC"));
        } else {
            List<Operand<TFloat32>> outputs = new ArrayList<>();
            List<Output<TFloat32>> xs = tf.split(tf.constant(3), x, (long) group).output();
            List<Output<TFloat32>> ws = tf.split(tf.constant(3), hwio, (long) group).output();
            for (int g = 0; g < group; g++) {
                outputs.add(tf.nn.conv2d(xs.get(g), ws.get(g), stride, "VALID", Conv2d.dataFormat("NHWC")));
            }
            y = tf.concat(outputs, tf.constant(3));
        }
        if (dilated) {
            y = fromBatches(y, dilations, kernel);
        }
        return node.input(2) == null ? y : tf.nn.biasAdd(y, value(node.input(2)));
    }

    /**
     * ConvTranspose over 2-D images (group 1, no dilation): Conv2DBackpropInput to the full output
     * ((H - 1) stride + kernel + output_padding), then the pads cropped off.
     */
    private Operand<TFloat32> convTranspose(Node node) {
        if (weightRank(node) != 4 || node.intAttribute("group", 1) != 1 || node.attribute("output_shape") != null
                || java.util.Arrays.stream(ints(node, "dilations", new long[] {1, 1})).anyMatch(d -> d != 1)) {
            throw new TranslationException(node.describe() + ": only 2-D ConvTranspose with group 1, no dilation"
                    + " and no output_shape is supported for training");
        }
        long[] strides = ints(node, "strides", new long[] {1, 1});
        long[] pads = pads(node);
        long[] extra = ints(node, "output_padding", new long[] {0, 0});
        long[] kernel = kernel(node);
        Operand<TFloat32> x = channelsLast(node.input(0));
        long h = x.shape().get(1);
        long w = x.shape().get(2);
        if (h < 0 || w < 0 || extra[0] >= strides[0] || extra[1] >= strides[1]) {
            throw new TranslationException(node.describe() + ": ConvTranspose needs static image sizes and"
                    + " output_padding below the stride for training");
        }
        long fullH = (h - 1) * strides[0] + kernel[0] + extra[0];
        long fullW = (w - 1) * strides[1] + kernel[1] + extra[1];
        Value weight = node.input(1);
        long outChannels = weight.constValue() != null ? weight.constValue().dim(1)
                : value(weight).shape().get(1);
        Operand<org.tensorflow.types.TInt32> batch = tf.slice(tf.shape(x), tf.constant(new int[] {0}),
                tf.constant(new int[] {1}));
        Operand<org.tensorflow.types.TInt32> sizes = tf.concat(List.of(batch, tf.constant(new int[] {(int) fullH,
            (int) fullW, (int) outChannels})), tf.constant(0));
        // ONNX [C_in, C_out, kH, kW] -> TensorFlow's [kH, kW, C_out, C_in]
        Operand<TFloat32> filter = tf.linalg.transpose(value(weight), tf.constant(new int[] {2, 3, 1, 0}));
        Operand<TFloat32> y = tf.nn.conv2dBackpropInput(sizes, filter, x, List.of(1L, strides[0], strides[1], 1L),
                "VALID", org.tensorflow.op.nn.Conv2dBackpropInput.dataFormat("NHWC"));
        if (pads[0] + pads[1] + pads[2] + pads[3] > 0) {
            y = tf.stridedSlice(y, tf.constant(ints32(new long[] {0, pads[0], pads[1], 0})),
                    tf.constant(ints32(new long[] {0, fullH - pads[2], fullW - pads[3], 0})),
                    tf.constant(new int[] {1, 1, 1, 1}),
                    org.tensorflow.op.core.StridedSlice.beginMask(0b1001L),
                    org.tensorflow.op.core.StridedSlice.endMask(0b1001L));
        }
        return node.input(2) == null ? y : tf.nn.biasAdd(y, value(node.input(2)));
    }

    private Shape dilatedInput;

    /** Splits an NHWC image into d x d phase images (atrous convolution), padding H and W to multiples of d. */
    private Operand<TFloat32> toBatches(Operand<TFloat32> x, long[] dilations) {
        long h = x.shape().get(1);
        long w = x.shape().get(2);
        if (h < 0 || w < 0) {
            throw new TranslationException("dilated convolutions need static image sizes for training");
        }
        dilatedInput = x.shape();
        long extraH = (dilations[0] - h % dilations[0]) % dilations[0];
        long extraW = (dilations[1] - w % dilations[1]) % dilations[1];
        return tf.spaceToBatchNd(x, tf.constant(new long[] {dilations[0], dilations[1]}),
                tf.constant(new long[][] {{0, extraH}, {0, extraW}}));
    }

    /** Merges the phase images back and crops what the padding to multiples of d added. */
    private Operand<TFloat32> fromBatches(Operand<TFloat32> y, long[] dilations, long[] kernel) {
        long h = dilatedInput.get(1);
        long w = dilatedInput.get(2);
        long outH = h - dilations[0] * (kernel[0] - 1);
        long outW = w - dilations[1] * (kernel[1] - 1);
        long paddedH = h + (dilations[0] - h % dilations[0]) % dilations[0];
        long paddedW = w + (dilations[1] - w % dilations[1]) % dilations[1];
        long cropH = paddedH - dilations[0] * (kernel[0] - 1) - outH;
        long cropW = paddedW - dilations[1] * (kernel[1] - 1) - outW;
        return tf.batchToSpaceNd(y, tf.constant(new long[] {dilations[0], dilations[1]}),
                tf.constant(new long[][] {{0, cropH}, {0, cropW}}));
    }

    private static long[] ints(Node node, String name, long[] fallback) {
        return node.attribute(name) == null ? fallback : node.attribute(name).asInts();
    }

    /** ONNX pads [top, left, bottom, right]; auto_pad other than NOTSET and VALID is refused. */
    private static long[] pads(Node node) {
        Attribute autoPad = node.attribute("auto_pad");
        if (autoPad != null && !autoPad.asString().equals("NOTSET") && !autoPad.asString().equals("VALID")) {
            throw new TranslationException(node.describe() + ": auto_pad " + autoPad.asString()
                    + " is not supported for training; export with explicit pads");
        }
        return ints(node, "pads", new long[4]);
    }

    private Operand<TFloat32> padded(Operand<TFloat32> x, long[] pads, float fill) {
        if (pads[0] + pads[1] + pads[2] + pads[3] == 0) {
            return x;
        }
        return tf.pad(x, tf.constant(new int[][] {{0, 0}, {(int) pads[0], (int) pads[2]}, {(int) pads[1],
            (int) pads[3]}, {0, 0}}), tf.constant(fill));
    }

    /** MaxPool (pads filled with the lowest float) and AveragePool (pads counted only when count_include_pad). */
    private Operand<TFloat32> pool(Node node, Operand<TFloat32> image, long[] kernel, long[] strides, long[] pads) {
        if (node.intAttribute("ceil_mode", 0) != 0 || node.attribute("dilations") != null
                && java.util.Arrays.stream(node.attribute("dilations").asInts()).anyMatch(d -> d != 1)) {
            throw new TranslationException(node.describe() + ": ceil-mode or dilated pooling is not supported for"
                    + " training");
        }
        boolean max = node.opType().equals("MaxPool");
        boolean padded = pads[0] + pads[1] + pads[2] + pads[3] > 0;
        if (!max && padded && node.intAttribute("count_include_pad", 0) == 0) {
            throw new TranslationException(node.describe() + ": padded AveragePool that leaves the pads out of the"
                    + " average is not supported for training");
        }
        Operand<TFloat32> x = padded(image, pads, max ? -Float.MAX_VALUE : 0f);
        List<Long> window = List.of(1L, kernel[0], kernel[1], 1L);
        List<Long> stride = List.of(1L, strides[0], strides[1], 1L);
        if (max) {
            return tf.nn.maxPool(x, tf.constant(new int[] {1, (int) kernel[0], (int) kernel[1], 1}),
                    tf.constant(new int[] {1, (int) strides[0], (int) strides[1], 1}), "VALID",
                    MaxPool.dataFormat("NHWC"));
        }
        return tf.nn.avgPool(x, window, stride, "VALID", org.tensorflow.op.nn.AvgPool.dataFormat("NHWC"));
    }

    /** Inference-mode BatchNormalization over the channel axis (last in NHWC, 1 for [N, C]). */
    private void batchNorm(Node node) {
        Value x = node.input(0);
        if (node.outputs().size() > 1 && node.outputs().subList(1, node.outputs().size()).stream()
                .anyMatch(o -> o != null && (!o.uses().isEmpty() || o.isGraphOutput()))) {
            throw new TranslationException(node.describe() + ": BatchNormalization's running-statistic outputs"
                    + " (training mode) are not supported for training");
        }
        int rank = isNhwc(x) ? 4 : value(x).shape().numDimensions();
        if (rank < 2) {
            throw new TranslationException(node.describe() + ": BatchNormalization of an input of unknown rank");
        }
        float epsilon = floatAttribute(node, "epsilon", 1e-5f);
        // Channels last (NHWC images, [N, C]) broadcast [C] as they are; others ([N, C, L], 3-D
        // images) in ONNX's layout against [C, 1, ...].
        boolean channelsLast = rank == 4;
        Operand<TFloat32> in = channelsLast ? channelsLast(x) : nchw(x);
        Operand<TFloat32> mean = statistic(node.input(3));
        Operand<TFloat32> variance = statistic(node.input(4));
        if (mean instanceof Variable<TFloat32> runningMean && variance instanceof Variable<TFloat32> runningVariance) {
            // Training mode: this batch's statistics (population variance, as ONNX's training mode),
            // and the running ones move towards them by (1 - momentum).
            int[] axes = new int[rank - 1];
            for (int a = 0, k = 0; a < rank; a++) {
                if (a != (channelsLast || rank == 2 ? rank - 1 : 1)) {
                    axes[k++] = a;
                }
            }
            Operand<TFloat32> batchMean = tf.math.mean(in, tf.constant(axes));
            Operand<TFloat32> centered = tf.math.sub(in, rank > 2 && !channelsLast
                    ? tf.reshape(batchMean, tf.constant(channelColumn(rank))) : batchMean);
            Operand<TFloat32> batchVariance = tf.math.mean(tf.math.mul(centered, centered), tf.constant(axes));
            float momentum = floatAttribute(node, "momentum", 0.9f);
            statisticUpdates.add(tf.assign(runningMean, blend(runningMean, batchMean, momentum)));
            statisticUpdates.add(tf.assign(runningVariance, blend(runningVariance, batchVariance, momentum)));
            Operand<TFloat32> running = tf.math.sub(tf.constant(1f), batchStatistics);
            mean = tf.math.add(tf.math.mul(batchStatistics, batchMean), tf.math.mul(running, runningMean));
            variance = tf.math.add(tf.math.mul(batchStatistics, batchVariance), tf.math.mul(running, runningVariance));
        }
        Operand<TFloat32> scale = tf.math.div(value(node.input(1)), tf.math.sqrt(tf.math.add(variance,
                tf.constant(epsilon))));
        Operand<TFloat32> bias = value(node.input(2));
        if (rank > 2 && !channelsLast) {
            long[] column = channelColumn(rank);
            scale = tf.reshape(scale, tf.constant(column));
            mean = tf.reshape(mean, tf.constant(column));
            bias = tf.reshape(bias, tf.constant(column));
        }
        define(node, tf.math.add(tf.math.mul(tf.math.sub(in, mean), scale), bias), channelsLast);
    }

    /** The shape [C, 1, ...] that broadcasts per channel against an NCHW tensor of {@code rank}. */
    private static long[] channelColumn(int rank) {
        long[] column = new long[rank - 1];
        java.util.Arrays.fill(column, 1);
        column[0] = -1;
        return column;
    }

    private Operand<TFloat32> blend(Operand<TFloat32> running, Operand<TFloat32> batch, float momentum) {
        return tf.math.add(tf.math.mul(running, tf.constant(momentum)), tf.math.mul(batch, tf.constant(1 - momentum)));
    }

    /** A running statistic: a variable where it is a float initializer (trained in training mode). */
    private Operand<TFloat32> statistic(Value value) {
        Tensor constant = value.constValue();
        if (constant == null || constant.type() != DataType.FLOAT || !value.isInitializer()) {
            return value(value);
        }
        return statistics.computeIfAbsent(value.name(), name -> tf.withInitScope().variable(tf.constant(
                Shape.of(constant.dims()), DataBuffers.of(constant.toFloatArray()))));
    }

    /**
     * LayerNormalization over the axes from {@code axis} on, in ONNX's layout; its optional
     * outputs Mean and InvStdDev too.
     */
    private void layerNorm(Node node) {
        Operand<TFloat32> x = nchw(node.input(0));
        int rank = x.shape().numDimensions();
        long axis = node.intAttribute("axis", -1);
        int first = (int) (axis < 0 ? axis + rank : axis);
        int[] axes = new int[rank - first];
        for (int a = first; a < rank; a++) {
            axes[a - first] = a;
        }
        Operand<TFloat32> mean = tf.math.mean(x, tf.constant(axes), org.tensorflow.op.math.Mean.keepDims(true));
        Operand<TFloat32> centered = tf.math.sub(x, mean);
        Operand<TFloat32> variance = tf.math.mean(tf.math.mul(centered, centered), tf.constant(axes),
                org.tensorflow.op.math.Mean.keepDims(true));
        Operand<TFloat32> inverseDeviation = tf.math.rsqrt(tf.math.add(variance,
                tf.constant(floatAttribute(node, "epsilon", 1e-5f))));
        Operand<TFloat32> y = tf.math.mul(tf.math.mul(centered, inverseDeviation), value(node.input(1)));
        define(node, node.input(2) == null ? y : tf.math.add(y, value(node.input(2))), false);
        List<Operand<TFloat32>> extra = List.of(mean, inverseDeviation);
        for (int i = 1; i < node.outputs().size() && i <= extra.size(); i++) {
            if (node.output(i) != null) {
                translated.put(node.output(i), extra.get(i - 1));
                nhwc.put(node.output(i), false);
            }
        }
    }

    static int[] allAxes(int rank) {
        int[] axes = new int[rank];
        for (int a = 0; a < rank; a++) {
            axes[a] = a;
        }
        return axes;
    }
}
