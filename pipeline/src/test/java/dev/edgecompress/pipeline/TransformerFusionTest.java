package dev.edgecompress.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.importer.ModelImporter;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.ir.testing.TestModels;
import dev.edgecompress.passes.Cleanup;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassPipeline;
import dev.edgecompress.passes.PassResult;
import dev.edgecompress.passes.cleanup.NormalizePass;
import dev.edgecompress.passes.fusion.TransformerFusionPass;
import dev.edgecompress.importer.data.DataFiles;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.Test;

/** ONNX Runtime's fused transformer kernels on a ViT exported by PyTorch, checked on ONNX Runtime. */
class TransformerFusionTest {

    private static Model vit() throws Exception {
        Model model = ModelImporter.load(TestModels.model("vit_tiny.onnx"));
        new NormalizePass().run(model, PassContext.quiet());
        return model;
    }

    private static RuntimeModelRunner runner() throws Exception {
        Dataset data = DataFiles.load(TestModels.model("fashion_mnist_calib_512.npz"));
        return new RuntimeModelRunner(data, dev.edgecompress.runtime.SyntheticInputs.Overrides.NONE);
    }

    private static Map<String, Long> ops(Model model) {
        Map<String, Long> ops = new TreeMap<>();
        model.graph().nodes().forEach(n -> ops.merge(n.normalizedDomain().isEmpty() ? n.opType()
                : n.normalizedDomain() + "." + n.opType(), 1L, Long::sum));
        return ops;
    }

    @Test
    void fusesAttentionSkipLayerNormAndBiasGeluWithTheSameOutputs() throws Exception {
        Model model = vit();
        RuntimeModelRunner runner = runner();
        Map<String, Tensor> before = runner.run(model);

        List<PassPipeline.Step> steps = new PassPipeline(List.of(new TransformerFusionPass(),
                Cleanup.passes().get(3))).run(model, PassContext.quiet().withRunner(runner));

        assertEquals(Map.of("Attention", 1, "SkipLayerNormalization", 2, "BiasGelu", 1),
                steps.get(0).changed().get("fused"));
        assertTrue((double) steps.get(0).changed().get("max_output_error") < 1e-5, steps.get(0).changed().toString());
        Map<String, Long> ops = ops(model);
        assertEquals(1L, ops.get("com.microsoft.Attention"));
        assertEquals(null, ops.get("Softmax"), "the attention's own nodes are gone: " + ops);
        assertEquals(1L, ops.get("LayerNormalization"), "the first norm reads a broadcast position embedding");
        Node attention = model.graph().nodes().stream().filter(n -> n.opType().equals("Attention")).findFirst()
                .orElseThrow();
        assertEquals(2, attention.intAttribute("num_heads", 0));
        assertEquals(null, attention.attribute("scale"), "1 / sqrt(head size), the kernel's default");
        float[] expected = before.values().iterator().next().toFloatArray();
        float[] fused = runner.run(model).values().iterator().next().toFloatArray();
        for (int i = 0; i < expected.length; i++) {
            assertEquals(expected[i], fused[i], 1e-4 * Math.max(1, Math.abs(expected[i])));
        }
    }

    @Test
    void aFusionThatWouldChangeTheResultsIsUndoneAndSaysSo() throws Exception {
        Model model = vit();
        // The attention divides by D ** 0.25 instead of sqrt(D): the fused kernel's scale would be wrong.
        List<Value> halves = new ArrayList<>();
        for (Node node : model.graph().nodes()) {
            if (node.opType().equals("Pow")) {
                halves.add(node.input(1));
            }
        }
        assertEquals(1, halves.size());
        halves.get(0).replaceConstValue(Tensor.ofFloats(new long[0], 0.25f));
        Map<String, Long> opsBefore = ops(model);

        PassResult result = new TransformerFusionPass().run(model, PassContext.quiet().withRunner(runner()));

        assertTrue(!result.changed(), "undone");
        assertTrue(result.warnings().get(0).startsWith("fuse-transformer undid 5 fusions: the fused model changed the"
                + " results"), result.warnings().toString());
        assertEquals(opsBefore, ops(model), "the model is as it was");
    }
}
