package dev.edgecompress.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.exporter.ModelExporter;
import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.ModelBuilder;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.data.Dataset;
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

/**
 * Removing channels must compute exactly what the original computes when the removed channels'
 * downstream weights are zero: checked on ONNX Runtime.
 */
class ChannelPruningTest {

    private static final int[] WEAK = {1, 3}; // channels with the smallest first-conv weights

    @TempDir
    Path dir;

    /**
     * x[1,2,3,3] -> Conv(4 ch, 1x1) -> BatchNormalization -> Relu -> Flatten -> Gemm(5) -> y.
     * With {@code zeroWeak}, the Gemm columns reading the weak channels are zero.
     */
    private static Model model(boolean zeroWeak) {
        Random random = new Random(11);
        float[] w1 = new float[4 * 2];
        for (int o = 0; o < 4; o++) {
            float scale = o == 1 || o == 3 ? 0.1f : 1f;
            for (int i = 0; i < 2; i++) {
                w1[o * 2 + i] = scale * (random.nextFloat() + 0.5f) * (i == 0 ? 1 : -1);
            }
        }
        float[] w2 = new float[5 * 36];
        for (int i = 0; i < w2.length; i++) {
            int channel = (i % 36) / 9;
            float value = (float) random.nextGaussian(); // drawn either way, so both models share the rest
            w2[i] = zeroWeak && (channel == WEAK[0] || channel == WEAK[1]) ? 0 : value;
        }
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 1, 2, 3, 3);
        Value conv = b.op("Conv", x, b.initializer("w1", Tensor.ofFloats(new long[] {4, 2, 1, 1}, w1)),
                b.initializer("b1", Tensor.ofFloats(new long[] {4}, 0.1f, 0.2f, 0.3f, 0.4f)));
        Value bn = b.op("BatchNormalization", List.of(), conv,
                b.initializer("s", Tensor.ofFloats(new long[] {4}, 1, 2, 0.5f, 1)),
                b.initializer("t", Tensor.ofFloats(new long[] {4}, 0, 1, -1, 0.5f)),
                b.initializer("m", Tensor.ofFloats(new long[] {4}, 0.1f, 0, 0.2f, 0)),
                b.initializer("v", Tensor.ofFloats(new long[] {4}, 1, 2, 1, 0.5f)));
        Value flat = b.op("Flatten", b.op("Relu", bn));
        b.output(b.op("Gemm", List.of(Attribute.of("transB", 1L)), flat,
                b.initializer("w2", Tensor.ofFloats(new long[] {5, 36}, w2)),
                b.initializer("b2", Tensor.ofFloats(new long[] {5}, new float[5]))));
        return b.build();
    }

    /** Runs {@code model} on ONNX Runtime with x = a fixed ramp of the given shape. */
    private float[] run(Model model, String name, long... shape) throws Exception {
        Path file = dir.resolve(name);
        ModelExporter.write(model, file);
        float[] x = new float[(int) java.util.Arrays.stream(shape).reduce(1, (a, c) -> a * c)];
        for (int i = 0; i < x.length; i++) {
            x[i] = (i % 7) * 0.3f - 0.8f;
        }
        try (InferenceSession session = InferenceSession.open(file, SessionConfig.defaults())) {
            return session.run(Map.of("x", Tensor.ofFloats(shape, x))).values().iterator().next().toFloatArray();
        }
    }

    @Test
    void removedChannelsComputeWhatZeroedChannelsCompute() throws Exception {
        Model pruned = model(false);
        List<PassPipeline.Step> steps = new PassPipeline(StepParser.passes("prune", Map.of("method", "channels",
                "sparsity", 0.5))).run(pruned, PassContext.quiet());

        assertArrayEquals(new long[] {2, 2, 1, 1}, pruned.graph().initializers().get(0).constValue().dims());
        assertArrayEquals(new long[] {5, 18}, pruned.graph().initializers().stream()
                .filter(v -> v.name().equals("w2")).findFirst().orElseThrow().constValue().dims());
        assertEquals(List.of(4L * 2 + 4 * 5 + 36 * 5 + 5, 2L * 2 + 2 * 5 + 18 * 5 + 5),
                steps.get(0).changed().get("parameters"));
        float[] expected = run(model(true), "zeroed.onnx", 1, 2, 3, 3);
        float[] actual = run(pruned, "pruned.onnx", 1, 2, 3, 3);
        assertArrayEquals(expected, actual, 1e-5f);
        assertTrue(Math.abs(expected[0]) > 1e-3, "a meaningful output");
    }

    @Test
    void channelsReachingAGraphOutputStay() throws Exception {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 1, 4);
        b.output(b.op("Relu", b.op("MatMul", x, b.initializer("w", Tensor.ofFloats(new long[] {4, 3},
                new float[] {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12})))));
        Model model = b.build();
        List<PassPipeline.Step> steps = new PassPipeline(StepParser.passes("prune", Map.of("method", "channels",
                "sparsity", 0.5))).run(model, PassContext.quiet());
        assertTrue(steps.get(0).changed().isEmpty(), "the model's outputs keep their width");
    }

    @Test
    void aResidualAddKeepsTheSameChannelsOnBothSides() throws Exception {
        Random random = new Random(5);
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 1, 6);
        Value left = b.op("MatMul", x, b.initializer("a", Tensor.ofFloats(new long[] {6, 4}, gaussian(random, 24))));
        Value right = b.op("MatMul", x, b.initializer("c", Tensor.ofFloats(new long[] {6, 4}, gaussian(random, 24))));
        Value sum = b.op("Relu", b.op("Add", left, right));
        b.output(b.op("MatMul", sum, b.initializer("d", Tensor.ofFloats(new long[] {4, 2}, gaussian(random, 8)))));
        Model model = b.build();

        new PassPipeline(StepParser.passes("prune", Map.of("method", "channels", "sparsity", 0.5))).run(model,
                PassContext.quiet());

        for (String name : List.of("a", "c")) {
            assertArrayEquals(new long[] {6, 2}, weight(model, name).dims(), name);
        }
        assertArrayEquals(new long[] {2, 2}, weight(model, "d").dims());
        assertEquals(2, run(model, "residual.onnx", 1, 6).length); // ONNX Runtime accepts the shrunk shapes
    }

    /**
     * x -> ConvA(4) -> Relu -> a;  x -> ConvB(6) -> Relu -> b;  Concat(a, b) -> ConvC(3) -> y.
     * Weak channels: A {1, 3}, B {0, 2, 4}; with {@code zeroWeak} ConvC ignores them.
     */
    private static Model inception(boolean zeroWeak) {
        Random random = new Random(17);
        float[] wa = branchWeights(random, 4, new int[] {1, 3});
        float[] wb = branchWeights(random, 6, new int[] {0, 2, 4});
        float[] wc = gaussian(random, 3 * 10);
        if (zeroWeak) {
            for (int o = 0; o < 3; o++) {
                for (int c : new int[] {1, 3, 4, 6, 8}) {
                    wc[o * 10 + c] = 0;
                }
            }
        }
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 1, 2, 3, 3);
        Value a = b.op("Relu", b.op("Conv", x, b.initializer("wa", Tensor.ofFloats(new long[] {4, 2, 1, 1}, wa))));
        Value c = b.op("Relu", b.op("Conv", x, b.initializer("wb", Tensor.ofFloats(new long[] {6, 2, 1, 1}, wb)),
                b.initializer("bb", Tensor.ofFloats(new long[] {6}, 0.1f, 0.2f, 0.3f, 0.4f, 0.5f, 0.6f))));
        Value joined = b.op("Concat", List.of(Attribute.of("axis", 1L)), a, c);
        b.output(b.op("Conv", joined, b.initializer("wc", Tensor.ofFloats(new long[] {3, 10, 1, 1}, wc))));
        return b.build();
    }

    private static float[] branchWeights(Random random, int channels, int[] weak) {
        float[] w = new float[channels * 2];
        for (int o = 0; o < channels; o++) {
            int channel = o;
            boolean isWeak = java.util.Arrays.stream(weak).anyMatch(k -> k == channel);
            for (int i = 0; i < 2; i++) {
                w[o * 2 + i] = (isWeak ? 0.05f : 1f) * (random.nextFloat() + 0.5f) * (i == 0 ? 1 : -1);
            }
        }
        return w;
    }

    @Test
    void channelsThroughAConcatKeepTheirOffsets() throws Exception {
        Model pruned = inception(false);
        new PassPipeline(StepParser.passes("prune", Map.of("method", "channels", "sparsity", 0.5))).run(pruned,
                PassContext.quiet());

        assertArrayEquals(new long[] {2, 2, 1, 1}, weight(pruned, "wa").dims());
        assertArrayEquals(new long[] {3, 2, 1, 1}, weight(pruned, "wb").dims());
        assertArrayEquals(new long[] {3}, weight(pruned, "bb").dims());
        assertArrayEquals(new long[] {3, 5, 1, 1}, weight(pruned, "wc").dims());
        assertArrayEquals(run(inception(true), "zeroed-inception.onnx", 1, 2, 3, 3),
                run(pruned, "pruned-inception.onnx", 1, 2, 3, 3), 1e-5f);
    }

    /**
     * A MobileNetV2 block: stem Conv -> Clip, then 1x1 expand -> Clip -> depthwise 3x3 -> Clip ->
     * 1x1 project, added to the stem's output (identity shortcut) -> Clip -> pooling -> Gemm.
     */
    private static Model depthwiseResidual() {
        Random random = new Random(21);
        ModelBuilder b = ModelBuilder.onnx(13);
        Value x = b.input("x", DataType.FLOAT, 2, 3, 8, 8);
        List<Attribute> pad = List.of(Attribute.of("pads", 1L, 1L, 1L, 1L));
        Value six = b.initializer("six", Tensor.ofFloats(new long[0], 6f));
        Value zero = b.initializer("zero", Tensor.ofFloats(new long[0], 0f));
        Value stem = b.op("Clip", b.op("Conv", pad, x,
                b.initializer("stem_w", Tensor.ofFloats(new long[] {8, 3, 3, 3}, gaussian(random, 216))),
                b.initializer("stem_b", Tensor.ofFloats(new long[] {8}, gaussian(random, 8)))), zero, six);
        Value expand = b.op("Clip", b.op("Conv", stem,
                b.initializer("expand_w", Tensor.ofFloats(new long[] {16, 8, 1, 1}, gaussian(random, 128))),
                b.initializer("expand_b", Tensor.ofFloats(new long[] {16}, gaussian(random, 16)))), zero, six);
        List<Attribute> depthwise = List.of(Attribute.of("group", 16L), Attribute.of("pads", 1L, 1L, 1L, 1L));
        Value dw = b.op("Clip", b.op("Conv", depthwise, expand,
                b.initializer("dw_w", Tensor.ofFloats(new long[] {16, 1, 3, 3}, gaussian(random, 144))),
                b.initializer("dw_b", Tensor.ofFloats(new long[] {16}, gaussian(random, 16)))), zero, six);
        Value project = b.op("Conv", dw,
                b.initializer("project_w", Tensor.ofFloats(new long[] {8, 16, 1, 1}, gaussian(random, 128))),
                b.initializer("project_b", Tensor.ofFloats(new long[] {8}, gaussian(random, 8))));
        Value block = b.op("Clip", b.op("Add", project, stem), zero, six);
        Value features = b.op("Flatten", b.op("GlobalAveragePool", block));
        b.output(b.op("Gemm", List.of(Attribute.of("transB", 1L)), features,
                b.initializer("fc_w", Tensor.ofFloats(new long[] {10, 8}, gaussian(random, 80))),
                b.initializer("fc_b", Tensor.ofFloats(new long[] {10}, new float[10]))), DataType.FLOAT, 2, 10);
        return b.build();
    }

    @Test
    void aDepthwiseResidualBlockShrinksTogetherRunsAndFineTunes() throws Exception {
        Path original = dir.resolve("block.onnx");
        ModelExporter.write(depthwiseResidual(), original);
        Random random = new Random(2);
        float[] images = new float[64 * 3 * 8 * 8];
        for (int i = 0; i < images.length; i++) {
            images[i] = random.nextFloat();
        }
        long[] labels = new long[64];
        for (int i = 0; i < labels.length; i++) {
            labels[i] = random.nextInt(10);
        }
        var data = dev.edgecompress.ir.data.Dataset.of(dir.resolve("random.npz"),
                Map.of("x", Tensor.ofFloats(new long[] {64, 3, 8, 8}, images)), labels);
        Compressor compressor = Compressor.load(original).prune("channels", 0.5).training(data)
                .step("finetune", Map.of("epochs", 1, "batch", 2));
        Path out = dir.resolve("block.pruned.onnx");
        compressor.export(out);

        Model pruned = compressor.model();
        assertArrayEquals(new long[] {4, 3, 3, 3}, weight(pruned, "stem_w").dims(), "the shortcut's producer");
        assertArrayEquals(new long[] {4, 8, 1, 1}, weight(pruned, "project_w").dims(), "pruned with it");
        assertArrayEquals(new long[] {8, 4, 1, 1}, weight(pruned, "expand_w").dims());
        assertArrayEquals(new long[] {8, 1, 3, 3}, weight(pruned, "dw_w").dims(), "the depthwise filters follow");
        assertArrayEquals(new long[] {8}, weight(pruned, "dw_b").dims());
        assertEquals(8, pruned.graph().nodes().stream().filter(n -> n.opType().equals("Conv")
                && n.attribute("group") != null).findFirst().orElseThrow().intAttribute("group", 0));
        assertArrayEquals(new long[] {10, 4}, weight(pruned, "fc_w").dims());
        float[] y = run(pruned, "check.onnx", 2, 3, 8, 8);
        assertEquals(20, y.length);
    }

    private static Tensor weight(Model model, String name) {
        return model.graph().initializers().stream().filter(v -> v.name().equals(name)).findFirst().orElseThrow()
                .constValue();
    }

    private static float[] gaussian(Random random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}
