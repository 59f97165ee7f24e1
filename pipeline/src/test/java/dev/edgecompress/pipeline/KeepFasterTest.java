package dev.edgecompress.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.exporter.ModelExporter;
import dev.edgecompress.importer.ModelImporter;
import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.ModelBuilder;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.passes.Pass;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassPipeline;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.SessionConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The search of {@code keep_faster}, with the timing replaced by a rule (real timings are the
 * benchmark's business, docs/BENCHMARKS.md): what the rule says is faster stays float, the rest
 * int8, and the report lists every trial.
 */
class KeepFasterTest {

    /** x -> MatMul "first" (4x8) -> Relu -> MatMul "second" (8x3). */
    private static Model model() {
        Random random = new Random(3);
        ModelBuilder b = ModelBuilder.onnx(13);
        Value x = b.input("x", DataType.FLOAT, -1, 4);
        Value hidden = b.op("Relu", matMul(b, "first", x, weight(random, 4, 8)));
        b.output(matMul(b, "second", hidden, weight(random, 8, 3)));
        return b.build();
    }

    private static Value matMul(ModelBuilder b, String name, Value x, Tensor w) {
        Value y = b.op("MatMul", x, b.initializer(name + ".w", w));
        y.producer().setName(name);
        return y;
    }

    /** Standard normal values of the given shape. */
    private static Tensor weight(Random random, long... dims) {
        float[] values = new float[(int) java.util.Arrays.stream(dims).reduce(1, (a, b) -> a * b)];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return Tensor.ofFloats(dims, values);
    }

    private static List<PassPipeline.Step> run(Model model, MeasuredQuantization.Timing timing) throws Exception {
        return run(model, samples(), timing);
    }

    /** keep_faster's search on {@code model}, calibrated on {@code data}, with the timing replaced. */
    private static List<PassPipeline.Step> run(Model model, Dataset data, MeasuredQuantization.Timing timing) throws Exception {
        Step.Quantize quantize = keepFasterStep();
        Pass quantizePass = quantize.passes().get(quantize.passes().size() - 1);
        return new MeasuredQuantization(passes(quantizePass), quantizePass, quantize, context(model, data), timing,
                (before, candidate) -> {
                    throw new AssertionError("keep_faster alone judges no accuracy");
                }).run(model);
    }

    private static Step.Quantize keepFasterStep() {
        return (Step.Quantize) StepParser.parse("quantize", Map.of("mode", "static", "keep_faster", true));
    }

    private static List<Pass> passes(Pass quantizePass) {
        List<Pass> passes = new ArrayList<>(List.of(quantizePass));
        passes.addAll(dev.edgecompress.passes.Cleanup.passes());
        return passes;
    }

    private static Dataset samples() throws Exception {
        return gaussian("samples.npz", 64, 4);
    }

    /** Made-up inputs for "x": standard normal values of the given shape. */
    private static Dataset gaussian(String file, long... dims) throws Exception {
        return Dataset.of(Path.of(file), Map.of("x", weight(new Random(5), dims)), null);
    }

    private static PassContext context(Model model, Dataset data) throws Exception {
        return PassContext.quiet().withActivations(RuntimeActivationSource.checked(model, data, 64));
    }

    private static Node node(Model model, String name) {
        return model.graph().nodes().stream().filter(n -> name.equals(n.name())).findFirst().orElseThrow();
    }

    private static MeasuredQuantization.Comparison speedup(double factor) {
        Map<Integer, double[]> speedups = new java.util.LinkedHashMap<>();
        speedups.put(1, new double[] {factor, factor - 0.01, factor + 0.01});
        speedups.put(64, new double[] {factor, factor - 0.01, factor + 0.01});
        return new MeasuredQuantization.Comparison(speedups);
    }

    @Test
    void leavesFloatWhatTheTimingFindsFasterAndKeepsTheRestInt8() throws Exception {
        Model model = model();
        List<Set<String>> tried = new ArrayList<>();
        List<PassPipeline.Step> steps = run(model, (best, trial, floatNodes) -> {
            tried.add(floatNodes);
            return speedup(floatNodes.equals(Set.of("second")) ? 1.5 : 0.8);
        });

        assertEquals(List.of(Set.of("MatMul"), Set.of("first"), Set.of("second")), tried,
                "op types first, then nodes: both narrow (4 and 8 products an output), in graph order");
        PassPipeline.Step quantize = steps.get(0);
        assertEquals(List.of("second"), quantize.changed().get("kept_float"));
        @SuppressWarnings("unchecked")
        List<String> trials = (List<String>) quantize.changed().get("keep_faster_trials");
        assertEquals(3, trials.size());
        assertTrue(trials.get(2).startsWith("second: batch 1 1.50x"), trials.toString());
        assertEquals(List.of(), quantize.warnings());
        Node first = node(model, "first");
        Node second = node(model, "second");
        assertNotNull(first.input(1).producer(), "first reads its weight through DequantizeLinear");
        assertEquals("DequantizeLinear", first.input(1).producer().opType());
        assertNull(second.input(1).producer(), "second keeps its float weight");
        assertEquals(DataType.FLOAT, second.input(1).constValue().type());
    }

    /**
     * x (1 channel) -> Conv "stem" (1 -> 4, 3 x 3) -> Relu, then {@code blocks} Conv "c{i}" (4 -> 4,
     * 3 x 3) -> Relu: the stem has the fewest weights and sums 9 products an output, the others 36.
     */
    private static Model convNet(int blocks) {
        Random random = new Random(11);
        ModelBuilder b = ModelBuilder.onnx(13);
        Value y = b.op("Relu", conv(b, "stem", b.input("x", DataType.FLOAT, -1, 1, 6, 6), random, 1));
        for (int i = 0; i < blocks; i++) {
            y = b.op("Relu", conv(b, "c" + i, y, random, 4));
        }
        b.output(y);
        return b.build();
    }

    private static Value conv(ModelBuilder b, String name, Value x, Random random, int inputChannels) {
        Value y = b.op("Conv", List.of(Attribute.of("pads", 1, 1, 1, 1)), x,
                b.initializer(name + ".w", weight(random, 4, inputChannels, 3, 3)));
        y.producer().setName(name);
        return y;
    }

    @Test
    void triesNarrowNodesBeforeTheLargestSoTheStemIsTriedWhateverTheNetworksSize() throws Exception {
        int blocks = MeasuredQuantization.MAX_NODE_TRIALS + 2;
        Model model = convNet(blocks);
        List<Set<String>> tried = new ArrayList<>();
        List<PassPipeline.Step> steps = run(model, gaussian("images.npz", 64, 1, 6, 6), (best, trial, floatNodes) -> {
            tried.add(floatNodes);
            return speedup(floatNodes.equals(Set.of("stem")) ? 1.2 : 0.9);
        });

        assertEquals(Set.of("Conv"), tried.get(0), "the op type as a whole first");
        assertEquals(Set.of("stem"), tried.get(1), "then the stem, 9 products an output, though its weights are fewest");
        assertEquals(1 + MeasuredQuantization.MAX_NODE_TRIALS, tried.size(), "no more node trials than the limit");
        assertEquals(List.of("stem"), steps.get(0).changed().get("kept_float"));
        assertEquals(DataType.FLOAT, node(model, "stem").input(1).constValue().type());
        assertEquals("DequantizeLinear", node(model, "c0").input(1).producer().opType());
    }

    @Test
    void narrowMeansFewerThan64ProductsAnOutputDepthwiseConvolutionsAside() {
        Random random = new Random(1);
        ModelBuilder b = ModelBuilder.onnx(13);
        Value image = b.input("image", DataType.FLOAT, -1, 16, 8, 8);
        Value stem = b.op("Conv", b.input("gray", DataType.FLOAT, -1, 1, 8, 8),
                b.initializer("stem.w", Tensor.ofFloats(new long[] {16, 1, 3, 3}, new float[144])));
        Value depthwise = b.op("Conv", List.of(Attribute.of("group", 16)), image,
                b.initializer("dw.w", Tensor.ofFloats(new long[] {16, 1, 3, 3}, new float[144])));
        Value wide = b.op("Conv", image, b.initializer("wide.w", Tensor.ofFloats(new long[] {8, 16, 3, 3},
                new float[8 * 144])));
        Value features = b.input("features", DataType.FLOAT, -1, 16);
        Value gemm = b.op("Gemm", List.of(Attribute.of("transB", 1L)), features,
                b.initializer("g.w", weight(random, 256, 16)));
        Value matMul = b.op("MatMul", b.input("flat", DataType.FLOAT, -1, 784),
                b.initializer("m.w", weight(random, 784, 10)));

        assertTrue(MeasuredQuantization.narrow(stem.producer()), "9 products an output");
        assertEquals(9, MeasuredQuantization.productsPerOutput(stem.producer()));
        assertFalse(MeasuredQuantization.narrow(depthwise.producer()), "depthwise convolutions have kernels of their own");
        assertEquals(144, MeasuredQuantization.productsPerOutput(wide.producer()));
        assertFalse(MeasuredQuantization.narrow(wide.producer()));
        assertEquals(16, MeasuredQuantization.productsPerOutput(gemm.producer()), "transB: the inner dimension is the second");
        assertTrue(MeasuredQuantization.narrow(gemm.producer()));
        assertEquals(784, MeasuredQuantization.productsPerOutput(matMul.producer()));
        assertFalse(MeasuredQuantization.narrow(matMul.producer()));
    }

    @Test
    void saysSoWhenEveryWeightedNodeStaysFloat() throws Exception {
        Model model = model();
        List<PassPipeline.Step> steps = run(model, (best, trial, floatNodes) -> speedup(2.0));

        PassPipeline.Step quantize = steps.get(0);
        assertEquals(List.of("MatMul"), quantize.changed().get("kept_float"),
                "every MatMul in float at once; no node trial beats it");
        assertEquals(1, quantize.warnings().size(), quantize.warnings().toString());
        assertTrue(quantize.warnings().get(0).contains("left every weighted node float (MatMul): their int8 forms ran"
                + " slower than float"), quantize.warnings().toString());
        assertTrue(model.graph().nodes().stream().noneMatch(n -> n.opType().equals("QuantizeLinear")));
    }

    @Test
    void timesOnONNXRuntimeAtTheBatchSizesGivenOnly() throws Exception {
        Model model = model();
        Step.Quantize quantize = keepFasterStep();
        Pass quantizePass = quantize.passes().get(quantize.passes().size() - 1);
        List<PassPipeline.Step> steps = new MeasuredQuantization(passes(quantizePass), quantizePass, quantize,
                context(model, samples()), samples(), dev.edgecompress.runtime.SyntheticInputs.Overrides.NONE, List.of(3)).run(model);

        @SuppressWarnings("unchecked")
        List<String> trials = (List<String>) steps.get(0).changed().get("keep_faster_trials");
        assertFalse(trials.isEmpty());
        for (String trial : trials) {
            assertTrue(trial.matches("\\w+: batch 3 \\d+\\.\\d\\dx \\(\\d+\\.\\d\\d-\\d+\\.\\d\\d\\)(, kept)?"),
                    "timed at batch 3 alone: " + trial);
        }
    }

    @Test
    void defaultBatchSizesAre1And64Or1And8ForLargeSamples() {
        assertEquals(List.of(1, 64), MeasuredQuantization.defaultBatches(28 * 28));
        assertEquals(List.of(1, 8), MeasuredQuantization.defaultBatches(3 * 224 * 224));
    }

    @Test
    void aTrialWithinTheNoiseOrSlowerAtOneBatchIsNotKept() {
        assertTrue(speedup(1.05).faster());
        assertTrue(!new MeasuredQuantization.Comparison(Map.of(1, new double[] {1.02, 1.01, 1.03})).faster(),
                "a gain within 3% is noise");
        assertTrue(!new MeasuredQuantization.Comparison(Map.of(1, new double[] {1.5, 1.4, 1.6}, 64,
                new double[] {0.9, 0.89, 0.91})).faster(), "faster at batch 1, slower at 64");
    }

    /** x -> Gemm "a" (4 -> 8) -> Relu -> Gemm "b" (8 -> 8) -> Relu -> Gemm "c" (8 -> 3): weights [out, in]. */
    private static Model gemms() {
        Random random = new Random(7);
        ModelBuilder b = ModelBuilder.onnx(13);
        Value x = b.input("x", DataType.FLOAT, -1, 4);
        Value h = b.op("Relu", gemm(b, "a", x, weight(random, 8, 4), random));
        h = b.op("Relu", gemm(b, "b", h, weight(random, 8, 8), random));
        b.output(gemm(b, "c", h, weight(random, 3, 8), random));
        return b.build();
    }

    private static Value gemm(ModelBuilder b, String name, Value x, Tensor w, Random random) {
        Value y = b.op("Gemm", List.of(Attribute.of("transB", 1L)), x,
                b.initializer(name + ".w", w), b.initializer(name + ".b", weight(random, w.dim(0))));
        y.producer().setName(name);
        return y;
    }

    @Test
    void saysSoWhenONNXRuntimeQuantizesAGemmKeptFloatBetweenInt8Neighbours() throws Exception {
        Model model = gemms();
        List<PassPipeline.Step> steps = run(model, (best, trial, floatNodes) -> speedup(floatNodes.equals(Set.of("b"))
                ? 1.5 : 0.8));

        PassPipeline.Step quantize = steps.get(0);
        assertEquals(List.of("b"), quantize.changed().get("kept_float"));
        assertTrue(MeasuredQuantization.quantizedAtLoad(model, "b"), "int8 in, QuantizeLinear after its Relu");
        assertFalse(MeasuredQuantization.quantizedAtLoad(model, "a"), "int8 weights already");
        assertTrue(quantize.warnings().stream().anyMatch(w -> w.startsWith("keep_faster kept b float in the file, yet"
                + " ONNX Runtime quantizes its weight itself as it loads")), quantize.warnings().toString());

        Path file = Files.createTempFile("keep-faster", ".onnx");
        Path optimized = Files.createTempFile("keep-faster", ".optimized.onnx");
        try {
            ModelExporter.write(model, file);
            InferenceSession.writeOptimized(file,
                    SessionConfig.defaults(), optimized);
            long qgemms = ModelImporter.load(optimized).graph().nodes().stream()
                    .filter(n -> n.opType().equals("QGemm")).count();
            assertEquals(3, qgemms, "ONNX Runtime runs b as QGemm too");
        } finally {
            Files.deleteIfExists(file);
            Files.deleteIfExists(optimized);
        }
    }

    @Test
    void aGemmKeptFloatWithFloatNeighboursRunsFloat() throws Exception {
        Model model = gemms();
        List<PassPipeline.Step> steps = run(model, (best, trial, floatNodes) -> speedup(floatNodes.equals(Set.of("Gemm"))
                ? 1.5 : 0.8));

        assertEquals(List.of("Gemm"), steps.get(0).changed().get("kept_float"));
        for (String name : List.of("a", "b", "c")) {
            assertFalse(MeasuredQuantization.quantizedAtLoad(model, name), name + ": no int8 around it");
        }
        assertTrue(steps.get(0).warnings().stream().noneMatch(w -> w.contains("quantizes its weight itself")));
    }
}
