package dev.edgecompress.ir;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The element type of each tensor value of a graph, as far as the file declares it (inputs,
 * outputs, value_info, initializers) and the standard operators determine it from their inputs and
 * attributes. Values whose type neither tells (outputs of custom operators, say) are absent.
 */
public final class ElementTypes {

    private static final Set<String> INT64_RESULTS = Set.of("Shape", "Size", "ArgMax", "ArgMin", "NonZero",
            "NonMaxSuppression");
    private static final Set<String> BOOL_RESULTS = Set.of("Equal", "Less", "Greater", "LessOrEqual",
            "GreaterOrEqual", "Not", "And", "Or", "Xor", "IsNaN", "IsInf");
    /** Operators whose second and later outputs are int64 indices. */
    private static final Set<String> INDEX_OUTPUTS = Set.of("TopK", "MaxPool", "Unique");

    private ElementTypes() {
    }

    /** The known element types of {@code graph}'s values (nested graphs' values are not included). */
    public static Map<Value, DataType> of(Graph graph) {
        Map<Value, DataType> types = new HashMap<>();
        for (List<Value> declared : List.of(graph.inputs(), graph.outputs(), graph.valueInfos(),
                graph.initializers())) {
            declared.forEach(value -> declare(types, value));
        }
        for (Node node : graph.nodes()) {
            for (Value input : node.inputs()) {
                if (input != null && input.graph() != graph) {
                    declare(types, input);
                }
            }
            for (int i = 0; i < node.outputs().size(); i++) {
                Value output = node.output(i);
                if (output != null && !types.containsKey(output)) {
                    DataType type = infer(node, i, types);
                    if (type != null && type != DataType.UNDEFINED) {
                        types.put(output, type);
                    }
                }
            }
        }
        return types;
    }

    private static void declare(Map<Value, DataType> types, Value value) {
        if (value.constValue() != null) {
            types.put(value, value.constValue().type());
        } else if (value.type() instanceof ValueType.TensorType tensor && tensor.elementType() != DataType.UNDEFINED) {
            types.put(value, tensor.elementType());
        }
    }

    private static DataType infer(Node node, int output, Map<Value, DataType> types) {
        if (!node.normalizedDomain().isEmpty()) {
            return null;
        }
        String op = node.opType();
        if (INT64_RESULTS.contains(op) || output > 0 && INDEX_OUTPUTS.contains(op)) {
            return DataType.INT64;
        }
        if (BOOL_RESULTS.contains(op) || op.equals("Dropout") && output == 1) {
            return DataType.BOOL;
        }
        return switch (op) {
            case "Cast" -> castTarget(node);
            case "CastLike" -> typeOf(node, 1, types);
            case "Constant" -> constantType(node);
            case "ConstantOfShape" -> node.attribute("value") != null ? node.attribute("value").asTensor().type()
                    : DataType.FLOAT;
            case "QuantizeLinear" -> node.input(2) != null ? typeOf(node, 2, types) : DataType.UINT8;
            case "DequantizeLinear" -> typeOf(node, 1, types);
            case "DynamicQuantizeLinear" -> output == 1 ? DataType.FLOAT : DataType.UINT8;
            case "MatMulInteger", "ConvInteger" -> DataType.INT32;
            case "Where" -> typeOf(node, 1, types);
            case "OneHot" -> typeOf(node, 2, types);
            case "LayerNormalization" -> output == 0 ? typeOf(node, 0, types)
                    : DataType.fromCode((int) node.intAttribute("stash_type", DataType.FLOAT.code()));
            case "RandomNormal", "RandomUniform" -> DataType.fromCode((int) node.intAttribute("dtype",
                    DataType.FLOAT.code()));
            case "RandomNormalLike", "RandomUniformLike", "EyeLike", "Bernoulli" -> node.attribute("dtype") != null
                    ? DataType.fromCode((int) node.attribute("dtype").asInt()) : typeOf(node, 0, types);
            case "Multinomial" -> DataType.fromCode((int) node.intAttribute("dtype", DataType.INT32.code()));
            case "If", "Loop", "Scan" -> subgraphOutputType(node, output);
            default -> node.inputs().isEmpty() ? null : typeOf(node, 0, types);
        };
    }

    /**
     * The type a Cast converts to: its {@code to} attribute, a type code, or before operator set 6
     * the type's name ("FLOAT16").
     */
    public static DataType castTarget(Node node) {
        Attribute to = node.attribute("to");
        if (to == null) {
            return null;
        }
        if (to.type() == AttributeType.STRING) {
            try {
                return DataType.valueOf(to.asString());
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return DataType.fromCode((int) to.asInt());
    }

    private static DataType typeOf(Node node, int input, Map<Value, DataType> types) {
        Value value = node.input(input);
        return value == null ? null : types.get(value);
    }

    private static DataType constantType(Node node) {
        for (var attribute : node.attributes().values()) {
            switch (attribute.name()) {
                case "value" -> {
                    return attribute.asTensor().type();
                }
                case "value_float", "value_floats" -> {
                    return DataType.FLOAT;
                }
                case "value_int", "value_ints" -> {
                    return DataType.INT64;
                }
                case "value_string", "value_strings" -> {
                    return DataType.STRING;
                }
                default -> {
                }
            }
        }
        return null;
    }

    /** If: its then-branch's output; Loop: the body's output after the condition; Scan: the body's. */
    private static DataType subgraphOutputType(Node node, int output) {
        String attribute = node.opType().equals("If") ? "then_branch" : "body";
        if (node.attribute(attribute) == null) {
            return null;
        }
        Graph body = node.attribute(attribute).asGraph();
        int index = node.opType().equals("Loop") ? output + 1 : output;
        if (index >= body.outputs().size()) {
            return null;
        }
        return body.outputs().get(index).type() instanceof ValueType.TensorType tensor ? tensor.elementType()
                : null;
    }
}
