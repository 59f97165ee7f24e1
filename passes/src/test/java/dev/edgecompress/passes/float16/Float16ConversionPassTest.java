package dev.edgecompress.passes.float16;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Float16;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.ModelBuilder;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.Verifier;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassResult;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class Float16ConversionPassTest {

    /** x -> Conv -> Relu -> Shape + Flatten -> Gemm -> Softmax -> y. */
    private static Model convNet(float convWeight) {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 1, 1, 4, 4);
        float[] w = new float[18];
        java.util.Arrays.fill(w, convWeight);
        Value conv = b.op("Conv", x, b.initializer("cw", Tensor.ofFloats(new long[] {2, 1, 3, 3}, w)));
        Value relu = b.op("Relu", conv);
        Value shape = b.op("Shape", relu);
        Value gemm = b.op("Gemm", List.of(Attribute.of("transB", 1L)), b.op("Flatten", relu),
                b.initializer("gw", Tensor.ofFloats(new long[] {3, 8}, new float[24])),
                b.initializer("gb", Tensor.ofFloats(new long[] {3}, 0.1f, 0.2f, 0.3f)));
        b.output(b.op("Softmax", gemm), DataType.FLOAT, 1, 3).output(shape, DataType.INT64, 4);
        return b.build();
    }

    private static Node producer(Model model, String opType) {
        return model.graph().nodes().stream().filter(n -> n.opType().equals(opType)).findFirst().orElseThrow();
    }

    private static List<Node> casts(Model model) {
        return model.graph().nodes().stream().filter(n -> n.opType().equals("Cast")).toList();
    }

    private static PassResult convert(Model model, Float16Config config) {
        PassResult result = new Float16ConversionPass(config).run(model, PassContext.quiet());
        Verifier.check(model);
        return result;
    }

    @Test
    void weightsAndComputationBecomeHalfWithFloat32InputsAndOutputs() {
        Model model = convNet(0.5f);
        PassResult result = convert(model, Float16Config.defaults());

        assertTrue(result.changed());
        assertEquals(DataType.FLOAT16, model.graph().initializers().get(0).constValue().type());
        assertEquals(DataType.FLOAT, model.graph().inputs().get(0).tensorType().elementType(), "input kept float32");
        Value y = model.graph().outputs().get(0);
        assertEquals(DataType.FLOAT, y.tensorType().elementType());
        assertEquals("Softmax", y.producer().opType(), "Softmax stays float32 and writes the output itself");
        Node conv = producer(model, "Conv");
        assertEquals("Cast", conv.input(0).producer().opType(), "one Cast in, shared");
        assertEquals(DataType.FLOAT16, producer(model, "Relu").output(0).tensorType().elementType());
        assertEquals(producer(model, "Relu").output(0), producer(model, "Shape").input(0), "Shape needs no Cast");
        // In: x to half. Out: the Gemm's result to float32 for Softmax. Nothing else.
        assertEquals(2, casts(model).size(), casts(model).toString());
        assertEquals(Map.of("Softmax (accuracy in float16)", 1), result.details().get("float32_ops"));
        assertEquals(3, result.details().get("initializers_float16"));
        assertEquals(Map.of("before", 4L * (18 + 24 + 3), "after", 2L * (18 + 24 + 3)),
                result.details().get("initializer_bytes"));
        assertTrue(result.warnings().isEmpty(), result.warnings().toString());
    }

    @Test
    void withoutKeepIoTheGraphTakesAndGivesHalf() {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 2, 2);
        b.output(b.op("Relu", b.op("Add", x, b.initializer("bias", Tensor.ofFloats(new long[] {2}, 1f, 2f)))));
        Model model = b.build();
        convert(model, new Float16Config(false, true, Set.of()));

        assertEquals(DataType.FLOAT16, model.graph().inputs().get(0).tensorType().elementType());
        assertEquals(DataType.FLOAT16, model.graph().outputs().get(0).tensorType().elementType());
        assertTrue(casts(model).isEmpty());
    }

    @Test
    void excludedNodesStayFloat32AndSaySo() {
        Model model = convNet(0.5f);
        PassResult result = convert(model, new Float16Config(true, true, Set.of("Gemm")));

        Node gemm = producer(model, "Gemm");
        assertEquals(DataType.FLOAT, gemm.input(1).constValue().type(), "an excluded node's weight stays float32");
        assertEquals(gemm.output(0), producer(model, "Softmax").input(0), "float32 on to Softmax, no Cast");
        assertEquals("Cast", gemm.input(0).producer().opType(), "the half Flatten result widened for it");
        assertTrue(result.warnings().get(0).contains("1 Gemm (excluded)"), result.warnings().toString());
    }

    @Test
    void float32ComputationStoresHalfWeightsWidenedByCasts() {
        Model model = convNet(0.5f);
        PassResult result = convert(model, new Float16Config(true, false, Set.of()));

        Node conv = producer(model, "Conv");
        assertNull(conv.input(0).producer(), "the input goes straight in");
        Node widen = conv.input(1).producer();
        assertEquals("Cast", widen.opType());
        assertEquals(DataType.FLOAT16, widen.input(0).constValue().type());
        assertEquals(2, casts(model).size(), "one per weight; the 3-element bias stays float32");
        assertEquals(DataType.FLOAT, producer(model, "Gemm").input(2).constValue().type());
        assertEquals(0, result.details().get("float16_nodes"));
    }

    @Test
    void weightsBeyondTheHalfRangeAreClampedWithAWarning() {
        Model model = convNet(1e6f);
        PassResult result = convert(model, Float16Config.defaults());

        float[] weights = Float16.values(producer(model, "Conv").input(1).constValue());
        assertEquals(Float16.MAX, weights[0]);
        assertTrue(result.warnings().get(0).contains("18 weights beyond float16's range"), result.warnings().toString());
    }

    @Test
    void modelsBeforeOperatorSetSixAreLeftAloneWithAReason() {
        ModelBuilder b = ModelBuilder.onnx(5);
        b.output(b.op("Relu", b.input("x", DataType.FLOAT, 2)));
        Model model = b.build();
        PassResult result = convert(model, Float16Config.defaults());

        assertFalse(result.changed());
        assertTrue(result.warnings().get(0).contains("operator set 6 or later"), result.warnings().toString());
    }

    @Test
    void nodesWithSubgraphsAndWhatTheyReadStayFloat32() {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 2);
        Value cond = b.input("c", DataType.BOOL);
        Value doubled = b.op("Add", x, x);
        dev.edgecompress.ir.Graph then = new dev.edgecompress.ir.Graph("then");
        Node inner = then.append(new Node(null, "Relu", List.of(doubled), List.of("inner")));
        inner.output(0).setType(new dev.edgecompress.ir.ValueType.TensorType(DataType.FLOAT,
                dev.edgecompress.ir.Shape.of(2)));
        then.addOutput(inner.output(0));
        dev.edgecompress.ir.Graph otherwise = new dev.edgecompress.ir.Graph("else");
        Node neg = otherwise.append(new Node(null, "Neg", List.of(doubled), List.of("negated")));
        neg.output(0).setType(inner.output(0).type());
        otherwise.addOutput(neg.output(0));
        Node branch = b.node("If", 1, List.of(Attribute.of("then_branch", then), Attribute.of("else_branch", otherwise)),
                cond);
        b.output(b.op("Relu", branch.output(0)));
        Model model = b.build();
        PassResult result = convert(model, Float16Config.defaults());

        assertEquals(DataType.FLOAT, doubled.tensorType() == null ? DataType.FLOAT : doubled.tensorType().elementType());
        assertEquals("Add", doubled.producer().opType());
        @SuppressWarnings("unchecked")
        Map<String, Integer> float32 = (Map<String, Integer>) result.details().get("float32_ops");
        assertEquals(1, float32.get("If (has subgraphs)"));
        assertEquals(1, float32.get("Add (read by a subgraph)"));
    }
}
