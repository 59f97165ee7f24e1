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
}
