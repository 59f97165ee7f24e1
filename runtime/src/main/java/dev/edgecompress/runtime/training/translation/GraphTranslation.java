package dev.edgecompress.runtime.training.translation;

import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Value;
import dev.edgecompress.runtime.training.TranslationException;
import java.util.Collections;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.BiFunction;
import org.tensorflow.Operand;
import org.tensorflow.op.Ops;
import org.tensorflow.types.TFloat32;

/**
 * ONNX operators as TensorFlow ops, node by node, into one TensorFlow graph: one translator per
 * operator family, registered by operator type, so the operators supported are exactly those
 * registered. Image paths run in NHWC ({@link NhwcLayout}); values are float, or int64 for shape
 * arithmetic and indices. An operator or attribute value it cannot translate is refused naming
 * the node.
 */
public final class GraphTranslation {

    private static final Map<String, OperatorTranslator> TRANSLATORS = registry();

    private final TranslationContext context;

    /**
     * @param outputs applied to every float value a node defines (where training fake-quantizes
     *     activations); identity otherwise
     */
    public GraphTranslation(Ops tf, long opset, BiFunction<Value, Operand<TFloat32>, Operand<TFloat32>> outputs) {
        this.context = new TranslationContext(tf, opset, outputs);
    }

    private static Map<String, OperatorTranslator> registry() {
        Map<String, OperatorTranslator> registry = new TreeMap<>();
        ElementwiseTranslators.register(registry);
        TensorTranslators.register(registry);
        LinearTranslators.register(registry);
        SpatialTranslators.register(registry);
        NormalizationTranslators.register(registry);
        ReductionTranslators.register(registry);
        return Collections.unmodifiableMap(registry);
    }

    /** The operator types translated (some attribute values are still refused, naming the node). */
    public static Set<String> supported() {
        return TRANSLATORS.keySet();
    }

    /** {@code value} is {@code operand} (a graph input, a weight variable), in ONNX's layout. */
    public void bind(Value value, Operand<?> operand) {
        context.operands.put(value, operand);
    }

    /** Defines {@code node}'s outputs from its inputs' operands; fails naming the node where it cannot. */
    public void translate(Node node) {
        OperatorTranslator translator = node.normalizedDomain().isEmpty() ? TRANSLATORS.get(node.opType()) : null;
        if (translator == null) {
            throw new TranslationException(node.describe() + ": " + node.opType()
                    + " is not supported for training yet");
        }
        translator.translate(node, context);
    }

    /** The operand of a translated value, in ONNX's layout (what an output gives). */
    public Operand<?> output(Value value) {
        return context.layout.anyNchw(value);
    }

    public BatchNormStatistics statistics() {
        return context.statistics;
    }
}
