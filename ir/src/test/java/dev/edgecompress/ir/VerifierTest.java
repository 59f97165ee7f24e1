package dev.edgecompress.ir;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class VerifierTest {

    @Test
    void aWellFormedModelHasNoViolations() {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 1, 2);
        b.output(b.op("Relu", x));
        assertEquals(List.of(), Verifier.verify(b.build()));
    }

    @Test
    void reportsEveryViolationAtOnce() {
        Graph g = new Graph("g");
        Value x = g.addInput("x", null);
        Value stray = Value.detached("stray", null);
        Node first = new Node(null, "Add", List.of(x, stray), List.of("y"));
        Node second = new Node("custom.domain", "Op", List.of(first.output()), List.of("y"));
        g.append(first);
        g.append(second);
        g.addOutput(Value.detached("nowhere", null));
        Model model = new Model(g);
        model.opsets().add(OpsetImport.onnx(17));

        List<String> problems = Verifier.verify(model);

        assertEquals(5, problems.size(), String.join("\n", problems));
        assertTrue(problems.get(0).contains("no ir_version"));
        assertTrue(problems.stream().anyMatch(p -> p.contains("undefined value 'stray'")));
        assertTrue(problems.stream().anyMatch(p -> p.contains("'y' is defined twice")));
        assertTrue(problems.stream().anyMatch(p -> p.contains("domain 'custom.domain'")));
        assertTrue(problems.stream().anyMatch(p -> p.contains("graph output 'nowhere' is not defined")));
        VerificationException e = assertThrows(VerificationException.class, () -> Verifier.check(model));
        assertTrue(e.getMessage().contains("and 4 more problems"), e.getMessage());
    }

    @Test
    void aNodeIsAUseOfItsInputsOnlyWhileItIsInAGraph() {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 1, 2);
        b.output(b.op("Relu", x));
        Model model = b.build();
        Node built = new Node(null, "Neg", List.of(x), List.of("n"));
        assertEquals(1, x.uses().size(), "a node built but not added leaves no trace on its input");

        model.graph().insertBefore(model.graph().nodes().get(0), built);
        assertEquals(List.of(new Use(built, 0)), x.uses().stream().filter(u -> u.node() == built).toList());
        built.replaceInput(0, null);
        assertEquals(1, x.uses().size());
        built.replaceInput(0, x);
        model.graph().remove(List.of(built));
        assertEquals(1, x.uses().size(), "removing a node unregisters its uses");
        assertEquals(List.of(), Verifier.verify(model));
    }

    @Test
    void useListsThatDisagreeWithTheNodesAreViolations() {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 1, 2);
        Value y = b.op("Relu", x);
        b.output(y);
        Model model = b.build();
        Node relu = y.producer();
        x.removeUse(relu, 0);
        y.addUse(relu, 0);

        List<String> problems = Verifier.verify(model);

        assertEquals(2, problems.size(), String.join("\n", problems));
        assertTrue(problems.stream().anyMatch(p -> p.contains("reads 'x' as input 0, which does not list that use")),
                String.join("\n", problems));
        assertTrue(problems.stream().anyMatch(p -> p.contains("'" + y.name() + "' lists a use by")
                && p.contains("which reads 'x' there")), String.join("\n", problems));
    }

    @Test
    void onlyInitializersTakeNewContents() {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 1, 2);
        Value w = b.initializer("w", Tensor.ofFloats(new long[] {2, 2}, 1, 2, 3, 4));
        b.output(b.op("MatMul", x, w));
        b.build();

        w.replaceConstValue(Tensor.ofFloats(new long[] {2, 1}, 5, 6));
        assertEquals(List.of(2L, 1L), List.of(w.constValue().dim(0), w.constValue().dim(1)));
        assertEquals("[2,1]", w.tensorType().shape().toString(), "the type follows the new contents");
        assertThrows(IllegalStateException.class, () -> x.replaceConstValue(Tensor.ofFloats(new long[] {1}, 1)));
        assertThrows(NullPointerException.class, () -> w.replaceConstValue(null));
    }

    @Test
    void reportsNodesOutOfTopologicalOrder() {
        Graph g = new Graph("g");
        Value x = g.addInput("x", null);
        Node producer = new Node(null, "Relu", List.of(x), List.of("a"));
        Node consumer = new Node(null, "Neg", List.of(producer.output()), List.of("b"));
        g.append(consumer);
        g.append(producer);
        g.addOutput(consumer.output());
        Model model = new Model(g);
        model.setIrVersion(8L);
        model.opsets().add(OpsetImport.onnx(17));

        List<String> problems = Verifier.verify(model);

        assertEquals(1, problems.size());
        assertTrue(problems.get(0).contains("not in topological order"), problems.get(0));
    }

    @Test
    void anInnerNameMustNotShadowAnOuterOne() {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value cond = b.input("cond", DataType.BOOL);
        Value x = b.input("x", DataType.FLOAT, 2);
        Graph body = new Graph("then");
        body.addOutput(body.append(new Node(null, "Neg", List.of(x), List.of("x"))).output());
        Graph other = new Graph("else");
        other.addOutput(x);
        b.node("If", 1, List.of(Attribute.of("then_branch", body), Attribute.of("else_branch", other)), cond);
        b.output(b.graph().nodes().get(0).output());

        VerificationException e = assertThrows(VerificationException.class, b::build);

        assertTrue(e.problems().get(0).contains("value name 'x' is defined twice"), e.getMessage());
    }
}
