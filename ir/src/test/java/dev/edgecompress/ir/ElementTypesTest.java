package dev.edgecompress.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ElementTypesTest {

    @Test
    void typesFollowFromDeclarationsAndOperators() {
        ModelBuilder b = ModelBuilder.onnx(17).opset("com.example", 1);
        Value x = b.input("x", DataType.FLOAT, 2, 3);
        Value shape = b.op("Shape", x);
        Value asHalf = b.op("Cast", List.of(Attribute.of("to", (long) DataType.FLOAT16.code())), x);
        Value positive = b.op("Greater", x, b.initializer("zero", Tensor.ofFloats(new long[0], 0f)));
        Value picked = b.op("Where", positive, x, b.op("Neg", x));
        Node topK = b.node("TopK", 2, List.of(), picked, b.initializer("k", Tensor.ofLongs(new long[] {1}, 2)));
        Value custom = b.node("com.example", "Mystery", 1, List.of(), x).output(0);
        Value afterCustom = b.op("Relu", custom);
        Node quantize = b.node("DynamicQuantizeLinear", 3, List.of(), x);
        b.output(shape).output(asHalf).output(topK.output(1)).output(afterCustom).output(quantize.output(1));
        Model model = b.build();

        Map<Value, DataType> types = ElementTypes.of(model.graph());
        assertEquals(DataType.INT64, types.get(shape));
        assertEquals(DataType.FLOAT16, types.get(asHalf));
        assertEquals(DataType.BOOL, types.get(positive));
        assertEquals(DataType.FLOAT, types.get(picked));
        assertEquals(DataType.FLOAT, types.get(topK.output(0)));
        assertEquals(DataType.INT64, types.get(topK.output(1)));
        assertEquals(DataType.UINT8, types.get(quantize.output(0)));
        assertEquals(DataType.FLOAT, types.get(quantize.output(1)));
        assertFalse(types.containsKey(custom), "a custom operator's output is unknown");
        assertFalse(types.containsKey(afterCustom), "and so is what follows from it");
    }

    @Test
    void castBeforeOperatorSetSixNamesItsType() {
        Node cast = new Node(null, "Cast", List.of(Value.detached("x", null)), List.of("y"));
        cast.setAttribute(Attribute.of("to", "FLOAT16"));
        assertEquals(DataType.FLOAT16, ElementTypes.castTarget(cast));
    }
}
