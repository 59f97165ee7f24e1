package dev.edgecompress.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class GraphTest {

    /** x -> MatMul(w) -> Add(b) -> Relu -> y */
    private static ModelBuilder mlp() {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 1, 4);
        Value w = b.initializer("w", Tensor.ofFloats(new long[] {4, 3}, new float[12]));
        Value bias = b.initializer("b", Tensor.ofFloats(new long[] {3}, 1, 2, 3));
        Value mm = b.op("MatMul", x, w);
        Value add = b.op("Add", mm, bias);
        b.output(b.op("Relu", add), DataType.FLOAT, 1, 3);
        return b;
    }

    @Test
    void valuesKnowTheirProducerAndUses() {
        Graph g = mlp().build().graph();
        Node matmul = g.nodes().get(0);
        Node add = g.nodes().get(1);

        Value x = g.inputs().get(0);
        assertEquals(List.of(new Use(matmul, 0)), x.uses());
        assertSame(matmul, matmul.output().producer());
        assertEquals(0, matmul.output().outputIndex());
        assertEquals(List.of(new Use(add, 0)), matmul.output().uses());
        assertSame(g, matmul.output().graph());
        assertTrue(g.initializers().get(0).isInitializer());
    }

    @Test
    void freshNamesAreUniqueAcrossTheGraph() {
        Graph g = mlp().build().graph();
        List<String> names = g.nodes().stream().map(n -> n.output().name()).toList();
        assertEquals(3, names.stream().distinct().count());
        String fresh = g.freshName("w");
        assertNotEquals("w", fresh);
        assertNotEquals(fresh, g.freshName("w"));
    }

    @Test
    void replaceAllUsesWithRewiresNodesAndGraphOutputs() {
        Model model = mlp().build();
        Graph g = model.graph();
        Node add = g.nodes().get(1);
        Node relu = g.nodes().get(2);
        Node identity = g.insertAfter(relu, new Node(null, "Identity", List.of(relu.output()), List.of("")));

        relu.output().replaceAllUsesWith(add.output());

        assertSame(add.output(), identity.input(0));
        assertTrue(relu.output().uses().isEmpty());
        assertSame(add.output(), g.outputs().get(0));
        assertEquals(List.of(), Verifier.verify(model));
    }

    @Test
    void removeRefusesToLeaveADanglingUseAndChangesNothing() {
        Graph g = mlp().build().graph();
        Node matmul = g.nodes().get(0);

        IllegalStateException e = assertThrows(IllegalStateException.class, () -> g.remove(List.of(matmul)));
        assertTrue(e.getMessage().contains("is used by"), e.getMessage());
        assertEquals(3, g.nodes().size());
        assertEquals(1, g.inputs().get(0).uses().size());
    }

    @Test
    void removingAChainDetachesItsUses() {
        Model model = mlp().build();
        Graph g = model.graph();
        Node add = g.nodes().get(1);
        Node relu = g.nodes().get(2);
        Node matmul = g.nodes().get(0);
        g.removeOutput(relu.output());
        g.addOutput(matmul.output());

        g.remove(List.of(add, relu));

        assertEquals(List.of(matmul), g.nodes());
        assertTrue(matmul.output().uses().isEmpty());
        assertTrue(g.initializers().get(1).uses().isEmpty());
        g.removeInitializers(List.of(g.initializers().get(1)));
        assertEquals(1, g.initializers().size());
        assertEquals(List.of(), Verifier.verify(model));
    }

    @Test
    void insertBeforeKeepsTopologicalOrder() {
        Model model = mlp().build();
        Graph g = model.graph();
        Node add = g.nodes().get(1);
        Value scaled = g.insertBefore(add, new Node(null, "Neg", List.of(add.input(0)), List.of(""))).output();
        add.replaceInput(0, scaled);

        assertEquals(List.of("MatMul", "Neg", "Add", "Relu"), g.nodes().stream().map(Node::opType).toList());
        assertEquals(List.of(), Verifier.verify(model));
    }

    @Test
    void subgraphNamesShareTheOuterNamespace() {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value cond = b.input("cond", DataType.BOOL);
        Value x = b.input("x", DataType.FLOAT, 2);
        Graph then = new Graph("then");
        then.addOutput(then.append(new Node(null, "Neg", List.of(x), List.of("t"))).output());
        Graph otherwise = new Graph("else");
        otherwise.addOutput(otherwise.append(new Node(null, "Abs", List.of(x), List.of("e"))).output());
        Node ifNode = b.node("If", 1, List.of(Attribute.of("then_branch", then), Attribute.of("else_branch", otherwise)),
                cond);
        b.output(ifNode.output());
        Model model = b.build();

        assertSame(ifNode, then.owner());
        assertSame(model.graph(), then.parent());
        assertEquals(2, x.uses().size());
        String fresh = then.freshName("t");
        assertNotEquals("t", fresh);
        assertEquals(3, model.graph().allNodes().size());
    }

    @Test
    void tensorsCheckTheirSize() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tensor.ofFloats(new long[] {2, 3}, 1, 2, 3));
        assertTrue(e.getMessage().contains("needs 24 bytes"), e.getMessage());
        Tensor t = Tensor.ofFloats(new long[] {2}, 1.5f, -2f);
        assertEquals(2, t.elementCount());
        assertEquals(-2f, t.toFloatArray()[1]);
        assertEquals(4, DataType.INT4.byteSize(7));
        assertEquals(1, DataType.INT2.byteSize(3));
    }
}
