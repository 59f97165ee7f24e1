package dev.edgecompress.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.exporter.ModelExporter;
import dev.edgecompress.exporter.UnloadableModelException;
import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Graph;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.ModelBuilder;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.Shape;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.ValueType;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.ir.testing.TestModels;
import dev.edgecompress.passes.ModelStatistics;
import dev.edgecompress.passes.Pass;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassPipeline;
import dev.edgecompress.passes.PassResult;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.SessionConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The patterns of models exported by other tools, built in code: operators of opset 9, weights in
 * Constant nodes and inside If branches, LSTMs. Every pass reaches them, or says why not; nothing
 * ONNX Runtime cannot load is written. Numbers are checked on ONNX Runtime.
 */
class ForeignExportsTest {

    @TempDir
    Path dir;

    /** An opset-9 model with every operator whose signature changed up to opset 13. */
    private static Model opset9() {
        ModelBuilder b = ModelBuilder.onnx(9);
        Value x = b.input("x", DataType.FLOAT, 2, 4, 6);
        Value sliced = b.op("Slice", List.of(Attribute.of("starts", new long[] {0}),
                Attribute.of("ends", new long[] {4}), Attribute.of("axes", new long[] {2})), x);
        Value clipped = b.op("Clip", List.of(Attribute.of("min", -0.5f), Attribute.of("max", 0.6f)), sliced);
        Value soft = b.op("Softmax", List.of(Attribute.of("axis", 1L)), clipped); // the old 2-D meaning
        Value unsqueezed = b.op("Unsqueeze", List.of(Attribute.of("axes", new long[] {0})), soft);
        Value squeezed = b.op("Squeeze", List.of(Attribute.of("axes", new long[] {0})), unsqueezed);
        Value flat = b.op("Reshape", squeezed, b.initializer("shape", Tensor.ofLongs(new long[] {2}, 2, 16)));
        Node constant = b.node("Constant");
        constant.setAttribute(Attribute.of("value", Tensor.ofFloats(new long[] {16, 5}, random(80, 1))));
        Value logits = b.op("MatMul", flat, constant.output());
        Value image = b.op("Reshape", x, b.initializer("image", Tensor.ofLongs(new long[] {4}, 1, 2, 4, 6)));
        Value padded = b.op("Pad", List.of(Attribute.of("pads", 0L, 0L, 1L, 1L, 0L, 0L, 1L, 1L)), image);
        Value upsampled = b.op("Upsample", List.of(Attribute.of("mode", "nearest")), padded,
                b.initializer("scales", Tensor.ofFloats(new long[] {4}, 1, 1, 2, 2)));
        b.output(logits, DataType.FLOAT, 2, 5);
        b.output(upsampled, DataType.FLOAT, 1, 2, 12, 16);
        return b.build();
    }

    private static float[] random(int count, long seed) {
        Random random = new Random(seed);
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }

    private Path write(Model model, String name) throws Exception {
        Path file = dir.resolve(name);
        ModelExporter.write(model, file);
        return file;
    }

    private static Map<String, Tensor> run(Path model, Map<String, Tensor> feeds) {
        try (InferenceSession session = InferenceSession.open(model, SessionConfig.defaults())) {
            return session.run(feeds);
        }
    }

    @Test
    void int8UpgradesOpset9AndChecksTheConversionOnTheRuntime() throws Exception {
        Path original = write(opset9(), "opset9.onnx");
        Compressor compressor = Compressor.load(original).quantize("dynamic");
        Path out = dir.resolve("int8.onnx");
        compressor.export(out);

        PassPipeline.Step upgrade = compressor.run().stream().filter(s -> s.pass().equals("upgrade-opset"))
                .findFirst().orElseThrow();
        @SuppressWarnings("unchecked")
        Map<String, Integer> converted = (Map<String, Integer>) upgrade.changed().get("converted");
        assertEquals(Map.of("Clip", 1, "Pad", 1, "Slice", 1, "Softmax", 1, "Squeeze", 1, "Unsqueeze", 1,
                "Upsample", 1), converted);
        assertTrue((double) upgrade.changed().get("max_output_error") <= 1e-4, upgrade.changed().toString());
        assertTrue(upgrade.warnings().isEmpty(), upgrade.warnings().toString());
        assertEquals(13, compressor.model().opsetVersion(""));
        assertTrue(compressor.model().graph().nodes().stream().anyMatch(n -> n.opType().equals("MatMulInteger")),
                "the Constant-node weight was found and quantized");

        Map<String, Tensor> feeds = Map.of("x", Tensor.ofFloats(new long[] {2, 4, 6}, random(48, 7)));
        Map<String, Tensor> expected = run(original, feeds);
        Map<String, Tensor> actual = run(out, feeds);
        assertArrayClose(expected.get(upsampledName(expected)).toFloatArray(),
                actual.get(upsampledName(expected)).toFloatArray(), 1e-6);
        float[] logits = expected.values().iterator().next().toFloatArray();
        float[] quantized = actual.values().iterator().next().toFloatArray();
        assertArrayClose(logits, quantized, 0.05);
    }

    private static String upsampledName(Map<String, Tensor> outputs) {
        return outputs.keySet().stream().skip(1).findFirst().orElseThrow();
    }

    private static void assertArrayClose(float[] expected, float[] actual, double tolerance) {
        assertEquals(expected.length, actual.length);
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], actual[i], tolerance, "element " + i);
        }
    }

    /** The other operators whose signature changed: TopK, Split, ReduceSum, Scatter (opset 9). */
    @Test
    void theRemainingConversionsKeepTheResults() throws Exception {
        ModelBuilder b = ModelBuilder.onnx(9);
        Value x = b.input("x", DataType.FLOAT, 2, 6);
        Node topK = b.node("TopK", 2, List.of(Attribute.of("k", 3L)), x);
        Node split = b.node("Split", 2, List.of(Attribute.of("axis", 1L), Attribute.of("split", new long[] {2, 4})), x);
        Value summed = b.op("ReduceSum", List.of(Attribute.of("axes", new long[] {1})), split.output(1));
        Value dropped = b.op("Dropout", List.of(Attribute.of("ratio", 0.3f)), summed);
        Value scattered = b.op("Scatter", List.of(Attribute.of("axis", 1L)), x,
                b.initializer("indices", Tensor.ofLongs(new long[] {2, 1}, 5, 0)),
                b.initializer("updates", Tensor.ofFloats(new long[] {2, 1}, 7, 8)));
        Value logits = b.op("MatMul", scattered, b.initializer("w", Tensor.ofFloats(new long[] {6, 4}, random(24, 3))));
        b.output(topK.output(0), DataType.FLOAT, 2, 3);
        b.output(split.output(0), DataType.FLOAT, 2, 2);
        b.output(dropped, DataType.FLOAT, 2, 1);
        b.output(logits, DataType.FLOAT, 2, 4);
        Path original = write(b.build(), "opset9b.onnx");
        Compressor compressor = Compressor.load(original).quantize("dynamic");
        Path out = dir.resolve("opset9b.int8.onnx");
        compressor.export(out);

        PassPipeline.Step upgrade = compressor.run().stream().filter(s -> s.pass().equals("upgrade-opset"))
                .findFirst().orElseThrow();
        assertEquals(Map.of("ReduceSum", 1, "Scatter", 1, "Split", 1, "TopK", 1), upgrade.changed().get("converted"),
                "the inference Dropout is gone before: normalization removes it");
        assertTrue((double) upgrade.changed().get("max_output_error") <= 1e-4, upgrade.changed().toString());
        Map<String, Tensor> feeds = Map.of("x", Tensor.ofFloats(new long[] {2, 6}, random(12, 4)));
        List<Tensor> expected = List.copyOf(run(original, feeds).values());
        List<Tensor> actual = List.copyOf(run(out, feeds).values());
        for (int i = 0; i < 3; i++) { // TopK, Split, ReduceSum after Dropout: exact
            assertArrayClose(expected.get(i).toFloatArray(), actual.get(i).toFloatArray(), 1e-6);
        }
    }

    @Test
    void anOperatorWithoutConversionIsRefusedNamingTheNode() throws Exception {
        ModelBuilder b = ModelBuilder.onnx(9);
        Value x = b.input("x", DataType.FLOAT, 1, 4);
        Node scaler = b.node("Scaler", x); // an operator this library has no opset conversion for
        scaler.setName("old_scaler");
        b.output(b.op("MatMul", scaler.output(), b.initializer("w", Tensor.ofFloats(new long[] {4, 4},
                random(16, 2)))), DataType.FLOAT, 1, 4);
        Path file = write(b.build(), "refused.onnx");
        Path out = dir.resolve("never.onnx");
        Exception e = assertThrows(dev.edgecompress.ir.SettingException.class,
                () -> Compressor.load(file).quantize("dynamic").export(out));
        assertTrue(e.getMessage().contains("node 'old_scaler' (Scaler)"), e.getMessage());
        assertFalse(Files.exists(out));
    }

    /** x -> If(cond) { then: MatMul(x, W_outer); else: MatMul(x, Constant W_inner) } -> y */
    private static Model ifWithWeights() {
        ModelBuilder b = ModelBuilder.onnx(13);
        Value x = b.input("x", DataType.FLOAT, 3, 32);
        Value condition = b.input("use_outer", DataType.BOOL, Shape.of(new long[0]));
        Value outer = b.initializer("w_outer", Tensor.ofFloats(new long[] {32, 16}, random(512, 3)));
        Graph then = new Graph("then");
        Node thenProduct = new Node(null, "MatMul", List.of(x, outer), List.of("then_y"));
        then.append(thenProduct);
        then.addOutput(thenProduct.output());
        Graph otherwise = new Graph("else");
        Node constant = new Node(null, "Constant", List.of(), List.of("w_inner"));
        constant.setAttribute(Attribute.of("value", Tensor.ofFloats(new long[] {32, 16}, random(512, 4))));
        otherwise.append(constant);
        Node elseProduct = new Node(null, "MatMul", List.of(x, constant.output()), List.of("else_y"));
        otherwise.append(elseProduct);
        otherwise.addOutput(elseProduct.output());
        Node branch = b.node("If", condition);
        branch.setAttribute(Attribute.of("then_branch", then));
        branch.setAttribute(Attribute.of("else_branch", otherwise));
        b.output(branch.output(), new ValueType.TensorType(DataType.FLOAT, Shape.of(3, 16)));
        return b.build();
    }

    @Test
    void pruningReachesWeightsInsideIfBranchesAndConstantNodes() throws Exception {
        Compressor compressor = Compressor.load(write(ifWithWeights(), "if.onnx")).prune("l1", 0.5);
        compressor.export(dir.resolve("pruned.onnx"));

        PassPipeline.Step prune = compressor.run().stream().filter(s -> s.pass().equals("prune-l1")).findFirst()
                .orElseThrow();
        assertEquals(512L, prune.changed().get("pruned"), "half of both weights, one global threshold");
        assertEquals(1024L, prune.changed().get("of"));
        assertTrue(prune.warnings().isEmpty(), prune.warnings().toString());
        assertEquals(512, ModelStatistics.of(compressor.model()).nonzeroParameters());
    }

    /** An LSTM whose weights are an outer initializer (W) and a Constant node (R), inside an If branch. */
    private static Model lstmInIf() {
        int hidden = 8;
        int inputs = 5;
        ModelBuilder b = ModelBuilder.onnx(13);
        Value x = b.input("x", DataType.FLOAT, 7, 2, inputs);
        Value condition = b.input("run", DataType.BOOL, Shape.of(new long[0]));
        Value w = b.initializer("W", Tensor.ofFloats(new long[] {1, 4 * hidden, inputs}, random(4 * hidden * inputs, 5)));
        Value bias = b.initializer("B", Tensor.ofFloats(new long[] {1, 8 * hidden}, random(8 * hidden, 6)));
        Graph then = new Graph("then");
        Node r = new Node(null, "Constant", List.of(), List.of("R"));
        r.setAttribute(Attribute.of("value", Tensor.ofFloats(new long[] {1, 4 * hidden, hidden},
                random(4 * hidden * hidden, 8))));
        then.append(r);
        Node lstm = new Node(null, "LSTM", List.of(x, w, r.output(), bias), List.of("Y", "Y_h"));
        lstm.setAttribute(Attribute.of("hidden_size", (long) hidden));
        then.append(lstm);
        then.addOutput(lstm.output(1));
        Graph otherwise = new Graph("else");
        Node zeros = new Node(null, "Constant", List.of(), List.of("no_state"));
        zeros.setAttribute(Attribute.of("value", Tensor.ofFloats(new long[] {1, 2, hidden}, new float[2 * hidden])));
        otherwise.append(zeros);
        otherwise.addOutput(zeros.output());
        Node branch = b.node("If", condition);
        branch.setAttribute(Attribute.of("then_branch", then));
        branch.setAttribute(Attribute.of("else_branch", otherwise));
        b.output(branch.output(), new ValueType.TensorType(DataType.FLOAT, Shape.of(1, 2, hidden)));
        return b.build();
    }

    @Test
    void dynamicInt8TurnsAnLstmInsideAnIfIntoOnnxRuntimesInt8Lstm() throws Exception {
        Path original = write(lstmInIf(), "lstm.onnx");
        Path out = dir.resolve("lstm.int8.onnx");
        Compressor compressor = Compressor.load(original).quantize("dynamic");
        compressor.export(out);

        List<Node> all = compressor.model().graph().allNodes();
        assertTrue(all.stream().anyMatch(n -> n.opType().equals("DynamicQuantizeLSTM")), all.toString());
        assertTrue(all.stream().noneMatch(n -> n.opType().equals("LSTM")));
        Map<String, Tensor> feeds = Map.of("x", Tensor.ofFloats(new long[] {7, 2, 5}, random(70, 9)),
                "run", Tensor.of(DataType.BOOL, new long[0], java.nio.ByteBuffer.wrap(new byte[] {1})));
        float[] expected = run(original, feeds).values().iterator().next().toFloatArray();
        float[] actual = run(out, feeds).values().iterator().next().toFloatArray();
        assertArrayClose(expected, actual, 0.03);
        assertFalse(java.util.Arrays.equals(expected, actual), "int8 weights change the numbers a little");
    }

    @Test
    void pruningReachesLstmWeights() throws Exception {
        Compressor compressor = Compressor.load(write(lstmInIf(), "lstm.onnx")).prune("magnitude", 0.5);
        compressor.export(dir.resolve("lstm.pruned.onnx"));
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> layers = (List<Map<String, Object>>) compressor.run().stream()
                .filter(s -> s.pass().equals("prune-magnitude")).findFirst().orElseThrow().changed().get("layers");
        assertEquals(List.of("W", "R"), layers.stream().map(l -> l.get("weight")).toList());
    }

    /** x -> If(sr == 16000) { then: Conv(x, W16) -> Relu; else: Conv(x, W8) -> Relu } -> y, as Silero VAD. */
    private static Model convInIf() {
        ModelBuilder b = ModelBuilder.onnx(13);
        Value x = b.input("x", DataType.FLOAT, 1, 4, 16);
        Value rate = b.input("sr", DataType.INT64, Shape.of(new long[0]));
        Value wide = b.op("Equal", rate, b.initializer("sr16k", Tensor.ofLongs(new long[0], 16000)));
        Graph[] branches = new Graph[2];
        for (int i = 0; i < 2; i++) {
            Graph branch = new Graph(i == 0 ? "rate16k" : "rate8k");
            Value w = b.initializer("w" + i, Tensor.ofFloats(new long[] {8, 4, 3}, random(96, 10 + i)));
            Node conv = new Node(null, "Conv", List.of(x, w), List.of("conv" + i));
            conv.setAttribute(Attribute.of("pads", 1L, 1L));
            branch.append(conv);
            Node relu = new Node(null, "Relu", List.of(conv.output()), List.of("relu" + i));
            branch.append(relu);
            Node conv2 = new Node(null, "Conv", List.of(relu.output(), b.initializer("v" + i,
                    Tensor.ofFloats(new long[] {2, 8, 1}, random(16, 20 + i)))), List.of("y" + i));
            branch.append(conv2);
            branch.addOutput(conv2.output());
            branches[i] = branch;
        }
        Node branch = b.node("If", wide);
        branch.setAttribute(Attribute.of("then_branch", branches[0]));
        branch.setAttribute(Attribute.of("else_branch", branches[1]));
        b.output(branch.output(), new ValueType.TensorType(DataType.FLOAT, Shape.of(1, 2, 16)));
        return b.build();
    }

    private static Map<String, Tensor> audio(int seed, long rate) {
        return Map.of("x", Tensor.ofFloats(new long[] {1, 4, 16}, random(64, seed)),
                "sr", Tensor.ofLongs(new long[0], rate));
    }

    @Test
    void staticInt8CalibratesInsideIfBranchesAndLeavesABranchTheDataNeverTakesFloat() throws Exception {
        Path original = write(convInIf(), "vad.onnx");
        // Whole-input samples (one more axis than each input): 16 samples, all at 16 kHz.
        Map<String, Tensor> arrays = new java.util.LinkedHashMap<>();
        arrays.put("x", Tensor.ofFloats(new long[] {16, 1, 4, 16}, random(16 * 64, 30)));
        long[] rates = new long[16];
        java.util.Arrays.fill(rates, 16000);
        arrays.put("sr", Tensor.ofLongs(new long[] {16}, rates));
        var calibration = dev.edgecompress.ir.data.Dataset.of(dir.resolve("vad.npz"), arrays, null);
        Compressor compressor = Compressor.load(original).quantize("static").calibration(calibration);
        Path out = dir.resolve("vad.int8.onnx");
        compressor.export(out);

        PassPipeline.Step quantize = compressor.run().stream().filter(s -> s.pass().equals("quantize-static"))
                .findFirst().orElseThrow();
        assertEquals(Map.of("Conv", 2), quantize.changed().get("weighted_nodes"), "both convolutions at 16 kHz");
        assertEquals(1, quantize.warnings().size(), quantize.warnings().toString());
        assertTrue(quantize.warnings().get(0).contains("never ran"), quantize.warnings().get(0));
        Graph taken = compressor.model().graph().nodes().stream().filter(n -> n.opType().equals("If")).findFirst()
                .orElseThrow().attribute("then_branch").asGraph();
        assertTrue(taken.nodes().stream().anyMatch(n -> n.opType().equals("QuantizeLinear")));

        for (long rate : new long[] {16000, 8000}) { // the 8 kHz branch reads the int8 input, in float
            float[] expected = run(original, audio(40, rate)).values().iterator().next().toFloatArray();
            float[] actual = run(out, audio(40, rate)).values().iterator().next().toFloatArray();
            double largest = 0;
            for (float v : expected) {
                largest = Math.max(largest, Math.abs(v));
            }
            assertArrayClose(expected, actual, 0.04 * largest);
        }
    }

    @Test
    void aPassThatChangesNothingSaysSo() throws Exception {
        ModelBuilder b = ModelBuilder.onnx(13);
        Value x = b.input("x", DataType.FLOAT, 10, 10);
        b.output(b.op("Add", x, b.initializer("offset", Tensor.ofFloats(new long[] {10, 10}, random(100, 1)))),
                DataType.FLOAT, 10, 10);
        Compressor compressor = Compressor.load(write(b.build(), "add.onnx")).prune("l1", 0.5);
        compressor.export(dir.resolve("same.onnx"));
        List<String> warnings = compressor.run().stream().flatMap(s -> s.warnings().stream()).toList();
        assertEquals(List.of("prune-l1 changed nothing: the model has no prunable weights (100 in weights read by"
                + " Add)"), warnings.stream().filter(w -> w.startsWith("prune-l1")).toList());
    }

    @Test
    void aModelOnnxRuntimeCannotLoadIsNeverWritten() throws Exception {
        Path mlp = dev.edgecompress.ir.testing.TestModels.model("mlp.onnx");
        Pass breaksTheModel = new Pass() {
            @Override
            public String name() {
                return "break";
            }

            @Override
            public PassResult run(Model model, PassContext context) {
                Node node = model.graph().nodes().get(0);
                Node bogus = new Node(null, "NoSuchOperator", List.of(node.input(0)), List.of("bogus"));
                model.graph().insertBefore(node, bogus);
                node.replaceInput(0, bogus.output());
                return PassResult.changed(Map.of());
            }
        };
        Path out = dir.resolve("broken.onnx");
        UnloadableModelException e = assertThrows(UnloadableModelException.class,
                () -> Compressor.load(mlp).pass(breaksTheModel).export(out));
        assertFalse(e.inputAtFault());
        assertTrue(e.getMessage().contains("last: remove-dead-nodes"), e.getMessage());
        assertTrue(e.getMessage().contains("NoSuchOperator"), e.getMessage());
        try (var files = Files.list(dir)) {
            assertEquals(List.of(), files.toList(), "no output, no temporary file");
        }
    }
}
