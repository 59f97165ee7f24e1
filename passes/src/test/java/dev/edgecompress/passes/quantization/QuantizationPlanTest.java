package dev.edgecompress.passes.quantization;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.ModelBuilder;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class QuantizationPlanTest {

    @Test
    void quantizesInputsAndMovesTheOutputBehindRelu() {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 1, 4);
        Value h = b.op("Gemm", List.of(Attribute.of("transB", 1L)), x,
                b.initializer("w1", Tensor.ofFloats(new long[] {3, 4}, new float[12])));
        Value r = b.op("Relu", h);
        Value y = b.op("Gemm", List.of(Attribute.of("transB", 1L)), r,
                b.initializer("w2", Tensor.ofFloats(new long[] {2, 3}, new float[6])));
        b.output(y);
        Model model = b.build();

        QuantizationPlan plan = QuantizationPlan.of(model.graph(), QuantizationConfig.defaults());

        assertEquals(List.of(x, r), List.copyOf(plan.activations), "not h (only Relu reads it), not y (a graph output)");
        assertEquals(2, plan.weighted.size());
    }

    @Test
    void shapeArithmeticAndExcludedNodesStayFloat() {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 1, 4);
        Value shape = b.op("Shape", x);
        Value doubled = b.op("Add", shape, b.op("Shape", x)); // int64 + int64: never quantized
        Value reshaped = b.op("Reshape", x, doubled);
        Value mm = b.op("MatMul", reshaped, b.initializer("w", Tensor.ofFloats(new long[] {4, 2}, new float[8])));
        b.output(b.op("Relu", mm));
        Model model = b.build();

        assertEquals(Set.of(reshaped), Set.copyOf(QuantizationPlan.of(model.graph(),
                QuantizationConfig.defaults()).activations));
        assertEquals(Set.of(), Set.copyOf(QuantizationPlan.of(model.graph(),
                QuantizationConfig.defaults().withExclude(Set.of("MatMul"))).activations));
    }
    @Test
    void valuesOfUnknownTypeAreFloatThroughCastToFloatAndActivationsExportersUse() {
        // Exporters leave intermediate types out: a Cast to float, or HardSigmoid (MobileNetV3's
        // HardSwish at opset 11), must not hide that a convolution's input is a float activation.
        ModelBuilder b = ModelBuilder.onnx(13);
        Value x = b.input("x", DataType.FLOAT16, 1, 2, 4, 4);
        Value cast = b.op("Cast", List.of(Attribute.of("to", (long) DataType.FLOAT.code())), x);
        Value swish = b.op("Mul", b.op("HardSigmoid", cast), cast);
        Value conv = b.op("Conv", swish, b.initializer("w", Tensor.ofFloats(new long[] {3, 2, 1, 1}, new float[6])));
        b.output(conv);
        Model model = b.build();
        cast.setType(null);

        QuantizationPlan plan = QuantizationPlan.of(model.graph(), QuantizationConfig.defaults());

        assertEquals(1, plan.weighted.size());
        assertEquals(Set.of(swish), Set.copyOf(plan.activations));
    }
    @Test
    void siluAndSqueezeExcitationStayInt8() {
        // EfficientNet: Conv -> SiLU (x * Sigmoid(x)) -> Conv; with Sigmoid and Mul quantized, ONNX
        // Runtime runs QLinearSigmoid and QLinearMul instead of float islands between int8 convolutions.
        ModelBuilder b = ModelBuilder.onnx(13);
        Value x = b.input("x", DataType.FLOAT, 1, 2, 4, 4);
        Value conv = b.op("Conv", x, b.initializer("w1", Tensor.ofFloats(new long[] {2, 2, 1, 1}, new float[4])));
        Value gate = b.op("Sigmoid", conv);
        Value silu = b.op("Mul", conv, gate);
        Value resized = b.op("Resize", silu, null, b.initializer("scales", Tensor.ofFloats(new long[] {4}, 1, 1, 2, 2)));
        Value out = b.op("Conv", resized, b.initializer("w2", Tensor.ofFloats(new long[] {3, 2, 1, 1}, new float[6])));
        b.output(out);
        Model model = b.build();

        QuantizationPlan plan = QuantizationPlan.of(model.graph(), QuantizationConfig.defaults());

        assertEquals(Set.of(x, conv, gate, silu, resized), Set.copyOf(plan.activations));
        assertEquals(silu, plan.sharesParamsWith.get(resized), "Resize moves int8 values with its input's scale");
    }
    @Test
    void hardSwishIsRewrittenIntoOperatorsWithInt8Kernels() {
        // Paddle's HardSwish: x * Clip(x + 3, 0, 6) / 6, then a convolution.
        ModelBuilder b = ModelBuilder.onnx(13);
        Value x = b.input("x", DataType.FLOAT, 1, 2, 4, 4);
        Value conv = b.op("Conv", x, b.initializer("w1", Tensor.ofFloats(new long[] {2, 2, 1, 1}, new float[4])));
        Value shifted = b.op("Add", conv, b.initializer("three", Tensor.ofFloats(new long[0], 3)));
        Value clipped = b.op("Clip", shifted, b.initializer("lo", Tensor.ofFloats(new long[0], 0)),
                b.initializer("hi", Tensor.ofFloats(new long[0], 6)));
        Value scaled = b.op("Div", clipped, b.initializer("six", Tensor.ofFloats(new long[0], 6)));
        Value swish = b.op("Mul", conv, scaled);
        b.output(b.op("Conv", swish, b.initializer("w2", Tensor.ofFloats(new long[] {3, 2, 1, 1}, new float[6]))));
        Model model = b.build();

        assertEquals(1, Int8Forms.rewrite(model));
        QuantizationPlan plan = QuantizationPlan.of(model.graph(), QuantizationConfig.defaults());

        assertEquals(List.of("Conv", "Add", "Clip", "Mul", "Mul", "Conv"), model.graph().nodes().stream()
                .map(dev.edgecompress.ir.Node::opType).toList(), "Div by 6 became Mul by 1/6");
        Value reciprocal = model.graph().nodes().get(3).input(1);
        assertEquals(1 / 6f, reciprocal.constValue().toFloatArray()[0], 0f);
        assertEquals(Set.of(x, conv, model.graph().initializers().stream().filter(v -> v.name().equals("three"))
                .findFirst().orElseThrow(), clipped, reciprocal, model.graph().nodes().get(3).output(),
                model.graph().nodes().get(4).output()), Set.copyOf(plan.activations),
                "the whole HardSwish is int8: the Add's and Mul's constants get Q/DQ of their own");
    }
}
