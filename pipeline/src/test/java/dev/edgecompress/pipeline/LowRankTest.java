package dev.edgecompress.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.exporter.ModelExporter;
import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.ModelBuilder;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassPipeline;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.SessionConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A weight of rank 2 factorized at full energy must compute what it computed before, on ONNX Runtime. */
class LowRankTest {

    @TempDir
    Path dir;

    /** Rows of a rank-2 [rows, cols] matrix: combinations of two random vectors. */
    private static float[] rankTwo(int rows, int cols, long seed) {
        Random random = new Random(seed);
        float[] u = new float[cols];
        float[] v = new float[cols];
        for (int i = 0; i < cols; i++) {
            u[i] = (float) random.nextGaussian();
            v[i] = (float) random.nextGaussian();
        }
        float[] w = new float[rows * cols];
        for (int r = 0; r < rows; r++) {
            float a = (float) random.nextGaussian();
            float b = (float) random.nextGaussian();
            for (int c = 0; c < cols; c++) {
                w[r * cols + c] = a * u[c] + b * v[c];
            }
        }
        return w;
    }

    private float[] run(Model model, String name, long[] shape) throws Exception {
        Path file = dir.resolve(name);
        ModelExporter.write(model, file);
        float[] x = new float[(int) java.util.Arrays.stream(shape).reduce(1, (p, q) -> p * q)];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i % 11) * 0.2f - 1;
        }
        try (InferenceSession session = InferenceSession.open(file, SessionConfig.defaults())) {
            return session.run(Map.of("x", Tensor.ofFloats(shape, x))).values().iterator().next().toFloatArray();
        }
    }

    private static List<PassPipeline.Step> factorize(Model model) {
        return new PassPipeline(StepParser.passes("low-rank", Map.of("energy", 1.0))).run(model, PassContext.quiet());
    }

    @Test
    void gemmBecomesTwoFactorsWithTheSameOutputs() throws Exception {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 2, 30);
        b.output(b.op("Gemm", List.of(Attribute.of("transB", 1L)), x,
                b.initializer("w", Tensor.ofFloats(new long[] {20, 30}, rankTwo(20, 30, 3))),
                b.initializer("b", Tensor.ofFloats(new long[] {20}, new float[20]))));
        Model model = b.build();
        float[] before = run(model, "before.onnx", new long[] {2, 30});

        List<PassPipeline.Step> steps = factorize(model);

        assertEquals(List.of("MatMul", "Gemm"), model.graph().nodes().stream().map(Node::opType).toList());
        @SuppressWarnings("unchecked")
        Map<String, Object> layer = ((List<Map<String, Object>>) steps.get(0).changed().get("layers")).get(0);
        assertEquals(2, layer.get("rank"));
        assertEquals(List.of(600L, 100L), layer.get("parameters"));
        assertTrue((double) layer.get("relative_error") < 1e-6);
        assertArrayEquals(before, run(model, "after.onnx", new long[] {2, 30}), 1e-4f);
    }

    @Test
    void convBecomesAConvToFewChannelsThenAPointwiseConv() throws Exception {
        // 8 filters over 2 x 3 x 3 inputs, of rank 2 as an [8, 18] matrix.
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 1, 2, 6, 6);
        b.output(b.op("Conv", List.of(Attribute.of("pads", 1L, 1, 1, 1), Attribute.of("strides", 2L, 2)), x,
                b.initializer("w", Tensor.ofFloats(new long[] {8, 2, 3, 3}, rankTwo(8, 18, 5))),
                b.initializer("b", Tensor.ofFloats(new long[] {8}, 1, 2, 3, 4, 5, 6, 7, 8))));
        Model model = b.build();
        float[] before = run(model, "before.onnx", new long[] {1, 2, 6, 6});

        factorize(model);

        List<Node> convs = model.graph().nodes();
        assertEquals(2, convs.size());
        assertArrayEquals(new long[] {2, 2, 3, 3}, convs.get(0).input(1).constValue().dims());
        assertArrayEquals(new long[] {8, 2, 1, 1}, convs.get(1).input(1).constValue().dims());
        assertArrayEquals(before, run(model, "after.onnx", new long[] {1, 2, 6, 6}), 1e-4f);
    }

    @Test
    void aGlobalBudgetGoesToTheLayersWhoseSpectraNeedIt() {
        // Layer "low" has rank 2; layer "full" is a random, full-rank matrix of the same size.
        Random random = new Random(13);
        float[] noise = new float[40 * 40];
        for (int i = 0; i < noise.length; i++) {
            noise[i] = (float) random.nextGaussian();
        }
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 1, 40);
        Value h = b.op("MatMul", x, b.initializer("low", Tensor.ofFloats(new long[] {40, 40}, rankTwo(40, 40, 4))));
        b.output(b.op("MatMul", h, b.initializer("full", Tensor.ofFloats(new long[] {40, 40}, noise))));
        Model model = b.build();

        List<PassPipeline.Step> steps = new PassPipeline(StepParser.passes("low-rank", Map.of("budget", 0.5)))
                .run(model, PassContext.quiet());

        @SuppressWarnings("unchecked")
        List<Map<String, Object>> layers = (List<Map<String, Object>>) steps.get(0).changed().get("layers");
        Map<String, Object> low = layers.stream().filter(l -> l.get("matrix").equals("40 x 40")
                && (double) l.get("relative_error") < 1e-3).findFirst().orElseThrow();
        assertEquals(2, low.get("rank"), "two singular values hold the rank-2 layer; the budget goes elsewhere");
        long kept = layers.stream().mapToLong(l -> ((List<?>) l.get("parameters")).get(1) instanceof Long v ? v : 0)
                .sum();
        assertTrue(kept <= 1600, "at most half of the 3,200 parameters: " + kept);
    }

    @Test
    void layersWhereNoRankSavesParametersAreLeftAlone() {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 1, 2);
        b.output(b.op("MatMul", x, b.initializer("w", Tensor.ofFloats(new long[] {2, 2}, 1, 2, 3, 4))));
        Model model = b.build();
        List<PassPipeline.Step> steps = factorize(model);
        assertTrue(steps.get(0).changed().isEmpty());
        assertEquals(1, model.graph().nodes().size());
    }
}
