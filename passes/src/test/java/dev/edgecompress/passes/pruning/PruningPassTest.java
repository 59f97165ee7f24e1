package dev.edgecompress.passes.pruning;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.ModelBuilder;
import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.passes.ModelStatistics;
import dev.edgecompress.passes.PassContext;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PruningPassTest {

    /** x[1,10] -> Gemm(w1 [10,10], b1) -> Relu -> MatMul(w2 [10,10]) -> y; w1 small, w2 large values. */
    private static Model twoLayers() {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 1, 10);
        float[] small = new float[100];
        float[] large = new float[100];
        for (int i = 0; i < 100; i++) {
            small[i] = (i + 1) * 0.001f;
            large[i] = -(i + 1) * 1f;
        }
        Value w1 = b.initializer("w1", Tensor.ofFloats(new long[] {10, 10}, small));
        Value b1 = b.initializer("b1", Tensor.ofFloats(new long[] {10}, new float[10]));
        Value h = b.op("Relu", b.op("Gemm", List.of(Attribute.of("transB", 1L)), x, w1, b1));
        b.output(b.op("MatMul", h, b.initializer("w2", Tensor.ofFloats(new long[] {10, 10}, large))));
        return b.build();
    }

    private static float[] weight(Model model, String name) {
        return model.graph().initializers().stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow()
                .constValue().toFloatArray();
    }

    private static long zeros(float[] values) {
        long zeros = 0;
        for (float v : values) {
            if (v == 0) {
                zeros++;
            }
        }
        return zeros;
    }

    @Test
    void magnitudePrunesEachWeightToTheSameSparsity() {
        Model model = twoLayers();
        new MagnitudePruningPass(PruningConfig.of(0.3)).run(model, PassContext.quiet());
        assertEquals(30, zeros(weight(model, "w1")));
        assertEquals(30, zeros(weight(model, "w2")));
        assertEquals(0.031f, weight(model, "w1")[30], 1e-7f); // the 31st smallest survives
        assertArrayEquals(new float[10], weight(model, "b1"), "biases are not pruned");
    }

    @Test
    void globalL1UsesOneThresholdAcrossLayers() {
        Model model = twoLayers();
        new GlobalL1PruningPass(PruningConfig.of(0.5)).run(model, PassContext.quiet());
        assertEquals(100, zeros(weight(model, "w1")), "all of the small layer goes first");
        assertEquals(0, zeros(weight(model, "w2")));
        assertEquals(200 - 100, ModelStatistics.of(model).nonzeroParameters());
    }

    @Test
    void perLayerOverridesSkipListAndMinimumSize() {
        Model model = twoLayers();
        new MagnitudePruningPass(new PruningConfig(0.5, Map.of("w2", 0.1), Set.of(), 10)).run(model,
                PassContext.quiet());
        assertEquals(50, zeros(weight(model, "w1")));
        assertEquals(10, zeros(weight(model, "w2")));

        Model skipped = twoLayers();
        new GlobalL1PruningPass(new PruningConfig(0.5, Map.of(), Set.of("Gemm"), 10)).run(skipped,
                PassContext.quiet());
        assertEquals(0, zeros(weight(skipped, "w1")), "Gemm skipped by op type");
        assertEquals(50, zeros(weight(skipped, "w2")));

        Model tooSmall = twoLayers();
        assertEquals(false, new GlobalL1PruningPass(new PruningConfig(0.5, Map.of(), Set.of(), 101))
                .run(tooSmall, PassContext.quiet()).changed());
    }

    @Test
    void configurationsCheckThemselves() {
        SettingException e = assertThrows(SettingException.class, () -> PruningConfig.of(1.0));
        assertEquals("sparsity", e.field());
        assertThrows(SettingException.class, () -> new PruningConfig(0.5, Map.of("w", -0.1), Set.of(), 1));
        SettingException layers = assertThrows(SettingException.class,
                () -> new GlobalL1PruningPass(new PruningConfig(0.5, Map.of("w1", 0.2), Set.of(), 1)));
        assertTrue(layers.getMessage().contains("use magnitude pruning for per-layer sparsity"));
    }
}
