package dev.edgecompress.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.exporter.ModelExporter;
import dev.edgecompress.importer.ModelImporter;
import dev.edgecompress.importer.data.DataFiles;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.ir.testing.TestModels;
import dev.edgecompress.passes.Cleanup;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassPipeline;
import dev.edgecompress.runtime.Evaluation;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.Progress;
import dev.edgecompress.runtime.SessionConfig;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Cleanup must not change what a model computes: ONNX Runtime outputs equal within 1e-5. */
class CleanupOnRuntimeTest {

    @TempDir
    Path dir;

    @ParameterizedTest
    @ValueSource(strings = {"lenet5_bn_unfolded_op13.onnx", "mlp_unfolded_op13.onnx"})
    void cleanedModelComputesTheSameOutputs(String name) throws Exception {
        Path original = TestModels.model(name);
        Model model = ModelImporter.load(original);
        new PassPipeline(Cleanup.passes()).run(model, PassContext.quiet());
        Path cleaned = dir.resolve(name);
        ModelExporter.write(model, cleaned);

        assertEquals(0, model.graph().nodes().stream().filter(n -> n.opType().equals("BatchNormalization")).count());
        Dataset data = DataFiles.load(TestModels.model("fashion_mnist_test_2k.npz"));
        try (InferenceSession before = InferenceSession.open(original, SessionConfig.defaults());
                InferenceSession after = InferenceSession.open(cleaned, SessionConfig.defaults())) {
            Evaluation.Result result = Evaluation.run(before, after, data, 256, Progress.NONE);
            assertTrue(result.comparison().maxAbsError() <= 1e-5, "max |error| " + result.comparison().maxAbsError());
            assertEquals(1.0, result.comparison().agreement());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"lenet5_bn_unfolded_op13.onnx"})
    void foldingMatchesTheExportersOwnFolding(String name) throws Exception {
        Model model = ModelImporter.load(TestModels.model(name));
        new PassPipeline(Cleanup.passes()).run(model, PassContext.quiet());
        Model exported = ModelImporter.load(TestModels.model("lenet5_bn.onnx"));
        assertEquals(exported.graph().nodes().stream().map(Node::opType).toList(),
                model.graph().nodes().stream().map(Node::opType).toList());
    }
}
