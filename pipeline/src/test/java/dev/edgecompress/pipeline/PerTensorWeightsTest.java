package dev.edgecompress.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.exporter.ModelExporter;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.ModelBuilder;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.passes.Cleanup;
import dev.edgecompress.passes.Pass;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassPipeline;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.SessionConfig;
import dev.edgecompress.runtime.SyntheticInputs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@code per_channel=auto}: the search with made-up SQNRs (all at once, then one at a time against
 * the budget), and on ONNX Runtime a network with one weight whose channels share a range (per
 * tensor changes nothing) and one whose channels differ tenfold (per tensor loses decibels).
 */
class PerTensorWeightsTest {

    private static final byte[] PER_CHANNEL = {0};

    /** A model per set of per-tensor nodes, told apart by its bytes: the names, sorted. */
    private static byte[] bytes(Set<String> nodes) {
        return String.join(",", new java.util.TreeSet<>(nodes)).getBytes(java.nio.charset.StandardCharsets.UTF_8);
    }

    /** SQNRs: 40 dB per channel, less the loss of each node per tensor. */
    private static PerTensorWeights.Judge losing(Map<String, Double> loss) {
        return model -> {
            if (model == PER_CHANNEL) {
                return 40;
            }
            double sqnr = 40;
            for (String name : new String(model, java.nio.charset.StandardCharsets.UTF_8).split(",")) {
                sqnr -= loss.getOrDefault(name, 0.0);
            }
            return sqnr;
        };
    }

    @Test
    void takesEveryCandidateAtOnceWhenTheOutputsKeepTheirSqnr() {
        List<Set<String>> tried = new ArrayList<>();
        PerTensorWeights.Choice choice = PerTensorWeights.choose(List.of("a", "b"), PER_CHANNEL, nodes -> {
            tried.add(nodes);
            return bytes(nodes);
        }, losing(Map.of("a", 0.3, "b", 0.4)));

        assertEquals(List.of(Set.of("a", "b")), tried, "one trial: all at once");
        assertEquals(Set.of("a", "b"), choice.nodes());
        assertArrayEquals(bytes(Set.of("a", "b")), choice.model());
        assertEquals(List.of("every weight per channel: 40.0 dB", "all 2 per tensor: 39.3 dB, kept"), choice.trials());
    }

    @Test
    void elseOneAtATimeLargestFirstWhileTheLossSoFarStaysWithinTheBudget() {
        List<Set<String>> tried = new ArrayList<>();
        PerTensorWeights.Choice choice = PerTensorWeights.choose(List.of("big", "middle", "small", "tiny"),
                PER_CHANNEL, nodes -> {
                    tried.add(nodes);
                    return bytes(nodes);
                }, losing(Map.of("big", 0.6, "middle", 3.0, "small", 0.3, "tiny", 0.2)));

        assertEquals(List.of(Set.of("big", "middle", "small", "tiny"), Set.of("big"), Set.of("big", "middle"),
                Set.of("big", "small"), Set.of("big", "small", "tiny")), tried);
        assertEquals(Set.of("big", "small"), choice.nodes(), "tiny would take the loss to 1.1 dB");
        assertTrue(PerTensorWeights.BUDGET_DB >= 0.9 && PerTensorWeights.BUDGET_DB < 1.1);
        assertArrayEquals(bytes(Set.of("big", "small")), choice.model());
        assertEquals(List.of("every weight per channel: 40.0 dB", "all 4 per tensor: 35.9 dB",
                "big per tensor: 39.4 dB, kept", "middle per tensor: 36.4 dB", "small per tensor: 39.1 dB, kept",
                "tiny per tensor: 38.9 dB"), choice.trials());
    }

    @Test
    void nothingToChooseFromLeavesTheModelPerChannelUntried() {
        PerTensorWeights.Choice none = PerTensorWeights.choose(List.of(), PER_CHANNEL, nodes -> {
            throw new AssertionError("no trial without candidates");
        }, model -> {
            throw new AssertionError("no judgement without candidates");
        });
        assertEquals(Set.of(), none.nodes());
        assertSame(PER_CHANNEL, none.model());

        PerTensorWeights.Choice lone = PerTensorWeights.choose(List.of("a"), PER_CHANNEL, PerTensorWeightsTest::bytes,
                losing(Map.of("a", 2.0)));
        assertEquals(Set.of(), lone.nodes());
        assertSame(PER_CHANNEL, lone.model());
        assertEquals(List.of("every weight per channel: 40.0 dB", "a per tensor: 38.0 dB"), lone.trials(),
                "a lone candidate is tried once");
    }

    /**
     * x (4) -> MatMul "even" (4 x 8, every column's largest magnitude 1) -> Relu -> MatMul "skewed"
     * (8 x 8, the first column ten times the others) -> y.
     */
    private static Model model() {
        Random random = new Random(11);
        ModelBuilder b = ModelBuilder.onnx(13);
        Value x = b.input("x", DataType.FLOAT, -1, 4);
        Value hidden = b.op("Relu", matMul(b, "even", x, columns(random, 4, new double[] {1, 1, 1, 1, 1, 1, 1, 1})));
        b.output(matMul(b, "skewed", hidden, columns(random, 8, new double[] {10, 1, 1, 1, 1, 1, 1, 1})));
        return b.build();
    }

    private static Value matMul(ModelBuilder b, String name, Value x, Tensor w) {
        Value y = b.op("MatMul", x, b.initializer(name + ".w", w));
        y.producer().setName(name);
        return y;
    }

    /** A [rows, ranges.length] weight whose column c has largest magnitude ranges[c]. */
    private static Tensor columns(Random random, int rows, double[] ranges) {
        int cols = ranges.length;
        float[] values = new float[rows * cols];
        for (int c = 0; c < cols; c++) {
            double max = 0;
            for (int r = 0; r < rows; r++) {
                values[r * cols + c] = (float) random.nextGaussian();
                max = Math.max(max, Math.abs(values[r * cols + c]));
            }
            for (int r = 0; r < rows; r++) {
                values[r * cols + c] = (float) (values[r * cols + c] / max * ranges[c]);
            }
        }
        return Tensor.ofFloats(new long[] {rows, cols}, values);
    }

    private static Dataset samples() throws Exception {
        float[] values = new float[256 * 4];
        Random random = new Random(5);
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return Dataset.of(Path.of("samples.npz"), Map.of("x", Tensor.ofFloats(new long[] {256, 4}, values)), null);
    }

    private static Step.Quantize autoStep() {
        return (Step.Quantize) StepParser.parse("quantize", StepParser.quantizeOption("static,per_channel=auto"));
    }

    private static List<PassPipeline.Step> run(Model model, Step.Quantize quantize, Dataset data) throws Exception {
        Pass quantizePass = quantize.passes().get(quantize.passes().size() - 1);
        List<Pass> passes = new ArrayList<>(List.of(quantizePass));
        passes.addAll(Cleanup.passes());
        PassContext context = PassContext.quiet().withActivations(RuntimeActivationSource.checked(model, samples(),
                64));
        return new MeasuredQuantization(passes, quantizePass, quantize, context, data, SyntheticInputs.Overrides.NONE,
                null).run(model);
    }

    private static Node dequantizeOf(Model model, String name) {
        Node node = model.graph().nodes().stream().filter(n -> name.equals(n.name())).findFirst().orElseThrow();
        Node dequantize = node.input(1).producer();
        assertEquals("DequantizeLinear", dequantize.opType(), name + " reads an int8 weight");
        return dequantize;
    }

    @Test
    void onONNXRuntimeTheWeightWhoseChannelsShareARangeGoesPerTensorAndTheOtherStaysPerChannel() throws Exception {
        Model model = model();
        byte[] original = ModelExporter.toBytes(model);
        List<PassPipeline.Step> steps = run(model, autoStep(), samples());

        PassPipeline.Step quantize = steps.get(0);
        assertEquals(Set.of("even"), quantize.params().get("weights_per_tensor") == null ? null
                : Set.copyOf((java.util.Collection<?>) quantize.params().get("weights_per_tensor")));
        @SuppressWarnings("unchecked")
        List<String> trials = (List<String>) quantize.changed().get("per_tensor_trials");
        assertEquals(4, trials.size(), trials.toString());
        assertTrue(trials.get(1).startsWith("all 2 per tensor: ") && !trials.get(1).endsWith("kept"),
                trials.toString());
        assertTrue(trials.get(2).startsWith("skewed per tensor: ") && !trials.get(2).endsWith("kept"),
                "the larger weight first: " + trials);
        assertTrue(trials.get(3).startsWith("even per tensor: ") && trials.get(3).endsWith(", kept"),
                trials.toString());
        double perChannel = Double.parseDouble(trials.get(0).replaceAll("[^0-9.]", ""));
        double skewed = Double.parseDouble(trials.get(2).replaceAll(".*: ([0-9.]+) dB.*", "$1"));
        assertTrue(perChannel - skewed > 2, "one scale for columns tenfold apart costs decibels: " + trials);

        assertEquals(0, dequantizeOf(model, "even").input(1).constValue().rank(), "one scale for 'even'");
        assertEquals(8, dequantizeOf(model, "skewed").input(1).constValue().elementCount(), "a scale a column");

        Dataset probe = samples();
        try (InferenceSession reference = InferenceSession.open(original, SessionConfig.defaults());
                InferenceSession quantized = InferenceSession.open(ModelExporter.toBytes(model),
                        SessionConfig.defaults())) {
            Map<String, Tensor> feeds = new LinkedHashMap<>();
            feeds.put("x", probe.bind(reference.inputs()).of(16).iterator().next().feeds().get("x"));
            float[] expected = reference.run(feeds).values().iterator().next().toFloatArray();
            float[] actual = quantized.run(feeds).values().iterator().next().toFloatArray();
            double largest = 0;
            for (float v : expected) {
                largest = Math.max(largest, Math.abs(v));
            }
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 0.03 * largest, "int8 outputs near float's at " + i);
            }
        }
    }

    @Test
    void autoNeedsDataToMeasureOn() throws Exception {
        Step.Quantize quantize = autoStep();
        Pass quantizePass = quantize.passes().get(quantize.passes().size() - 1);
        SettingException e = assertThrows(SettingException.class, () -> new MeasuredQuantization(List.of(quantizePass),
                quantizePass, quantize, PassContext.quiet(), null, SyntheticInputs.Overrides.NONE, null));
        assertEquals("per_channel", e.field());
        assertTrue(e.getMessage().contains("calibration data"), e.getMessage());
    }
}
