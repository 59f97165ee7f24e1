package dev.edgecompress.runtime.training.translation;

import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Value;
import dev.edgecompress.runtime.training.TranslationException;
import java.util.Map;
import java.util.function.BiFunction;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * Elementwise operators: activations and unary math keep their input's layout; Add, Sub, Mul,
 * Div and Pow broadcast as ONNX does, staying in NHWC where both sides allow it.
 */
final class ElementwiseTranslators {

    private ElementwiseTranslators() {
    }

    static void register(Map<String, OperatorTranslator> registry) {
        unary(registry, "Relu", (tf, x) -> tf.nn.relu(x));
        unary(registry, "Sigmoid", (tf, x) -> tf.math.sigmoid(x));
        unary(registry, "Tanh", (tf, x) -> tf.math.tanh(x));
        unary(registry, "Erf", (tf, x) -> tf.math.erf(x));
        unary(registry, "Sqrt", (tf, x) -> tf.math.sqrt(x));
        unary(registry, "Neg", (tf, x) -> tf.math.neg(x));
        unary(registry, "Abs", (tf, x) -> tf.math.abs(x));
        unary(registry, "Exp", (tf, x) -> tf.math.exp(x));
        unary(registry, "Log", (tf, x) -> tf.math.log(x));
        unary(registry, "Reciprocal", (tf, x) -> tf.math.reciprocal(x));
        registry.put("LeakyRelu", (node, c) -> {
            float alpha = TranslationContext.floatAttribute(node, "alpha", 0.01f);
            Operand<TFloat32> x = c.value(node.input(0));
            c.define(node, c.tf.math.maximum(x, c.tf.math.mul(x, c.tf.constant(alpha))), c.layout.isNhwc(node.input(0)));
        });
        registry.put("Clip", (node, c) -> c.define(node, clip(node, c), c.layout.isNhwc(node.input(0))));
        registry.put("Gelu", (node, c) -> c.define(node, gelu(node, c), c.layout.isNhwc(node.input(0))));
        OperatorTranslator identity = (node, c) -> c.define(node, c.operands.any(node.input(0)),
                c.layout.isNhwc(node.input(0)));
        registry.put("Identity", identity);
        registry.put("Dropout", identity);
        for (String op : new String[] {"Add", "Sub", "Mul", "Div", "Pow"}) {
            registry.put(op, ElementwiseTranslators::binary);
        }
    }

    private static void unary(Map<String, OperatorTranslator> registry, String op,
            BiFunction<Ops, Operand<TFloat32>, Operand<TFloat32>> function) {
        registry.put(op, (node, c) -> c.define(node, function.apply(c.tf, c.value(node.input(0))),
                c.layout.isNhwc(node.input(0))));
    }

    private static Operand<TFloat32> clip(Node node, TranslationContext c) {
        Ops tf = c.tf;
        Operand<TFloat32> y = c.value(node.input(0));
        Value min = node.input(1);
        Value max = node.input(2);
        if (node.attribute("min") != null || min != null) {
            y = tf.math.maximum(y, min != null ? c.value(min) : tf.constant(node.attribute("min").asFloat()));
        }
        if (node.attribute("max") != null || max != null) {
            y = tf.math.minimum(y, max != null ? c.value(max) : tf.constant(node.attribute("max").asFloat()));
        }
        return y;
    }

    private static Operand<TFloat32> gelu(Node node, TranslationContext c) {
        Ops tf = c.tf;
        Operand<TFloat32> x = c.value(node.input(0));
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

    /**
     * Elementwise Add, Sub, Mul, Div, Pow with ONNX broadcasting. An NHWC image stays in NHWC when
     * the other side is a scalar or a constant image-shaped tensor (moved to NHWC with it);
     * otherwise both sides go to ONNX's layout.
     */
    private static void binary(Node node, TranslationContext c) {
        NhwcLayout layout = c.layout;
        Value a = node.input(0);
        Value b = node.input(1);
        boolean channelsLast = layout.isNhwc(a) && layout.isNhwc(b)
                || layout.isNhwc(a) && NhwcLayout.channelsLastCompatible(b)
                || layout.isNhwc(b) && NhwcLayout.channelsLastCompatible(a);
        Operand<?> left = channelsLast ? layout.channelsLastOperand(a) : layout.anyNchw(a);
        Operand<?> right = channelsLast ? layout.channelsLastOperand(b) : layout.anyNchw(b);
        if (left.type() != right.type()) {
            throw new TranslationException(node.describe() + ": operands of different types");
        }
        c.define(node, arithmetic(c.tf, node.opType(), left, right), channelsLast);
    }

    @SuppressWarnings({"unchecked", "rawtypes"})
    private static Operand<?> arithmetic(Ops tf, String op, Operand left, Operand right) {
        return switch (op) {
            case "Add" -> tf.math.add(left, right);
            case "Sub" -> tf.math.sub(left, right);
            case "Mul" -> tf.math.mul(left, right);
            case "Div" -> tf.math.div(left, right);
            default -> tf.math.pow(left, right);
        };
    }
}
