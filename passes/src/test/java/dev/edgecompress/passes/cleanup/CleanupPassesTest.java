package dev.edgecompress.passes.cleanup;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;

import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.ModelBuilder;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.Verifier;
import dev.edgecompress.passes.PassContext;
import java.util.List;
import org.junit.jupiter.api.Test;

class CleanupPassesTest {

    @Test
    void aWeightAssembledFromConstantPiecesBecomesOneConstant() {
        // PyTorch's LSTM export reorders gates: Concat(Slice(W, 2..4), Slice(W, 0..2)), then Unsqueeze.
        ModelBuilder b = ModelBuilder.onnx(13);
        Value x = b.input("x", DataType.FLOAT, 1, 3);
        Value w = b.initializer("w", Tensor.ofFloats(new long[] {4, 3}, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11));
        Value one = b.initializer("zero", Tensor.ofLongs(new long[] {1}, 0));
        Value two = b.initializer("two", Tensor.ofLongs(new long[] {1}, 2));
        Value four = b.initializer("four", Tensor.ofLongs(new long[] {1}, 4));
        Value late = b.op("Slice", w, two, four);
        Value early = b.op("Slice", w, one, two);
        Value reordered = b.op("Concat", List.of(Attribute.of("axis", 0L)), late, early);
        Value batched = b.op("Unsqueeze", reordered, one);
        Value squeezed = b.op("Squeeze", batched, one);
        b.output(b.op("MatMul", x, b.op("Transpose", squeezed)));
        Model model = b.build();

        new FoldConstantsPass().run(model, PassContext.quiet());
        new RemoveDeadNodesPass().run(model, PassContext.quiet());

        assertEquals(List.of("Transpose", "MatMul"), model.graph().nodes().stream().map(Node::opType).toList());
        Tensor folded = model.graph().nodes().get(0).input(0).constValue();
        assertArrayEquals(new long[] {4, 3}, folded.dims());
        assertArrayEquals(new float[] {6, 7, 8, 9, 10, 11, 0, 1, 2, 3, 4, 5}, folded.toFloatArray());
    }

    @Test
    void identityAndInferenceDropoutGoAndTheOutputKeepsItsName() {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 2);
        Value r = b.op("Relu", x);
        Value d = b.node("Dropout", 2, List.of(), r).output(0);
        Value i = b.op("Identity", d);
        i.setName("y");
        b.output(i);
        Model model = b.build();

        new RemoveIdentityPass().run(model, PassContext.quiet());
        new RemoveDeadNodesPass().run(model, PassContext.quiet());

        assertEquals(List.of("Relu"), model.graph().nodes().stream().map(Node::opType).toList());
        assertEquals("y", model.graph().outputs().get(0).name());
        assertSame(model.graph().nodes().get(0).output(), model.graph().outputs().get(0));
        assertEquals(List.of(), Verifier.verify(model));
    }

    @Test
    void deadChainsAndUnusedInitializersAreRemoved() {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 2);
        Value unused = b.initializer("unused", Tensor.ofFloats(new long[] {2}, 1, 2));
        b.op("Relu", b.op("Add", x, unused)); // dead: nothing reads it
        b.output(b.op("Neg", x));
        Model model = b.build();

        new RemoveDeadNodesPass().run(model, PassContext.quiet());

        assertEquals(List.of("Neg"), model.graph().nodes().stream().map(Node::opType).toList());
        assertEquals(List.of(), model.graph().initializers());
    }

    @Test
    void constantsAndStaticShapesBecomeInitializers() {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 2, 3);
        Value shape = b.op("Shape", x);
        Value c = b.op("Constant", List.of(Attribute.of("value", Tensor.ofLongs(new long[] {1}, -1))));
        b.output(b.op("Reshape", b.op("Reshape", x, shape), c));
        Model model = b.build();

        new FoldConstantsPass().run(model, PassContext.quiet());

        assertEquals(List.of("Reshape", "Reshape"), model.graph().nodes().stream().map(Node::opType).toList());
        assertArrayEquals(new long[] {2, 3}, model.graph().nodes().get(0).input(1).constValue().toLongArray());
        assertArrayEquals(new long[] {-1}, model.graph().nodes().get(1).input(1).constValue().toLongArray());
        assertEquals(List.of(), Verifier.verify(model));
    }

    @Test
    void batchNormFoldsIntoConvWeightsAndBias() {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 1, 1, 2, 2);
        Value w = b.initializer("w", Tensor.ofFloats(new long[] {2, 1, 1, 1}, 2, 3));
        Value conv = b.op("Conv", x, w);
        Value bn = b.op("BatchNormalization", List.of(Attribute.of("epsilon", 0f)), conv,
                b.initializer("scale", Tensor.ofFloats(new long[] {2}, 1, 4)),
                b.initializer("shift", Tensor.ofFloats(new long[] {2}, 0.5f, 0)),
                b.initializer("mean", Tensor.ofFloats(new long[] {2}, 1, 2)),
                b.initializer("var", Tensor.ofFloats(new long[] {2}, 4, 16)));
        b.output(bn);
        Model model = b.build();

        new FoldBatchNormPass().run(model, PassContext.quiet());
        new RemoveDeadNodesPass().run(model, PassContext.quiet());

        Node folded = model.graph().nodes().get(0);
        assertEquals(1, model.graph().nodes().size());
        // s = scale / sqrt(var) = [0.5, 1]; W' = [1, 3]; b' = (0 - mean) * s + shift = [0, -2]
        assertArrayEquals(new float[] {1, 3}, folded.input(1).constValue().toFloatArray(), 1e-7f);
        assertArrayEquals(new float[] {0, -2}, folded.input(2).constValue().toFloatArray(), 1e-7f);
        assertEquals("w", folded.input(1).name(), "a weight used once keeps its name");
        assertSame(folded.output(), model.graph().outputs().get(0));
        assertFalse(model.graph().initializers().stream().anyMatch(v -> v.name().equals("scale")));
        assertEquals(List.of(), Verifier.verify(model));
    }
}
