package dev.edgecompress.passes;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.ModelBuilder;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.passes.pruning.GlobalL1PruningPass;
import dev.edgecompress.passes.pruning.PruningConfig;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class PassPipelineTest {

    private static Model model() {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 1, 10);
        float[] w = new float[100];
        for (int i = 0; i < w.length; i++) {
            w[i] = i - 50;
        }
        b.output(b.op("MatMul", x, b.initializer("w", Tensor.ofFloats(new long[] {10, 10}, w))));
        return b.build();
    }

    /** A pass that breaks the graph: it appends a node using a value no one defines. */
    private static final class Breaking implements Pass {
        @Override
        public String name() {
            return "breaking";
        }

        @Override
        public PassResult run(Model model, PassContext context) {
            model.graph().append(new Node(null, "Relu", List.of(Value.detached("ghost", null)), List.of("")));
            return PassResult.changed(Map.of());
        }
    }

    @Test
    void recordsWhatEachPassChangedAndTheProvenance() {
        Model model = model();
        List<PassPipeline.Step> steps = new PassPipeline(List.of(new GlobalL1PruningPass(
                PruningConfig.of(0.5)))).run(model, PassContext.quiet());

        PassPipeline.Step step = steps.get(0);
        assertEquals("prune-l1", step.pass());
        assertEquals(0.5, step.params().get("sparsity"));
        assertEquals(List.of(99L, 50L), step.changed().get("nonzero_parameters")); // one weight was already 0
        assertTrue(model.metadata().get(PassPipeline.PROVENANCE_KEY).startsWith("prune-l1{sparsity=0.5"),
                model.metadata().toString());
    }

    @Test
    void aPassThatBreaksTheIrIsNamedWithThePassesBeforeIt() {
        Model model = model();
        PassPipeline pipeline = new PassPipeline(List.of(new dev.edgecompress.passes.cleanup.RemoveIdentityPass(),
                new Breaking()));
        PassException e = assertThrows(PassException.class, () -> pipeline.run(model, PassContext.quiet()));
        assertEquals("breaking", e.pass());
        assertTrue(e.getMessage().startsWith("pass breaking (after remove-identity) failed: it left a model that"
                + " breaks the IR rules"), e.getMessage());
        assertTrue(e.getMessage().contains("undefined value 'ghost'"), e.getMessage());
    }
}
