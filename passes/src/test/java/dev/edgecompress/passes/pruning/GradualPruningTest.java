package dev.edgecompress.passes.pruning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.ModelBuilder;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GradualPruningTest {

    /** x[1,10] -> Gemm(w1 [10,10], b1) -> Relu -> MatMul(w2 [10,20]) -> y, with distinct magnitudes. */
    private static Model model() {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 1, 10);
        Value w1 = b.initializer("w1", Tensor.ofFloats(new long[] {10, 10}, ramp(100, 0)));
        Value b1 = b.initializer("b1", Tensor.ofFloats(new long[] {10}, new float[10]));
        Value h = b.op("Relu", b.op("Gemm", List.of(Attribute.of("transB", 1L)), x, w1, b1));
        b.output(b.op("MatMul", h, b.initializer("w2", Tensor.ofFloats(new long[] {10, 20}, ramp(200, 100)))));
        return b.build();
    }

    /** n values of magnitudes offset+1 .. offset+n, alternating in sign. */
    private static float[] ramp(int n, int offset) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (i % 2 == 0 ? 1 : -1) * (offset + i + 1) * 0.01f;
        }
        return values;
    }

    private static long zeros(float[] mask) {
        long zeros = 0;
        for (float m : mask) {
            zeros += m == 0 ? 1 : 0;
        }
        return zeros;
    }

    @Test
    void masksTheSmallestMagnitudesAcrossAllWeightsToTheScheduledSparsity() {
        Model model = model();
        GradualPruning pruning = new GradualPruning(model, new PolynomialDecay(0, 0.5, 0, 10, 5, 3));
        assertEquals(List.of("w1", "w2"), List.copyOf(pruning.weights()));
        Map<String, float[]> current = new LinkedHashMap<>();
        current.put("w1", ramp(100, 0));
        current.put("w2", ramp(200, 100));

        // step 5: 0.5 + (0 - 0.5) * 0.5^3 = 0.4375 of 300 weights = 131.25 -> 131, all 100 of w1 first
        assertTrue(pruning.prunesAt(5));
        Map<String, float[]> masks = pruning.masks(5, current);
        assertEquals(100, zeros(masks.get("w1")));
        assertEquals(31, zeros(masks.get("w2")));
        for (int i = 0; i < 200; i++) {
            assertEquals(i < 31 ? 0f : 1f, masks.get("w2")[i], "w2[" + i + "]");
        }

        Map<String, float[]> end = pruning.masks(10, current);
        assertEquals(150, zeros(end.get("w1")) + zeros(end.get("w2")), "the final sparsity, exactly");
    }

    @Test
    void weightsAlreadyZeroStayMaskedSoMasksOnlyGrow() {
        GradualPruning pruning = new GradualPruning(model(), new PolynomialDecay(0, 0.2, 0, 10, 1, 3));
        float[] w2 = ramp(200, 100);
        w2[199] = 0; // the largest magnitude, pruned earlier
        Map<String, float[]> masks = pruning.masks(10, Map.of("w1", ramp(100, 0), "w2", w2));
        assertEquals(0f, masks.get("w2")[199]);
        assertEquals(60, zeros(masks.get("w1")) + zeros(masks.get("w2")));
    }
}
