package dev.edgecompress.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.exporter.WrittenModel;
import dev.edgecompress.exporter.validation.Gate;
import dev.edgecompress.exporter.validation.ValidationReport;
import dev.edgecompress.importer.ModelImporter;
import dev.edgecompress.importer.proto.ModelProto;
import dev.edgecompress.ir.testing.TestModels;
import dev.edgecompress.passes.PassPipeline;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The library API, used only through its public surface, as deployment tooling would. */
class CompressorTest {

    private static final Path MLP = TestModels.model("mlp.onnx");
    private static final Path DATA = TestModels.model("fashion_mnist_test_2k.npz");

    @TempDir
    Path dir;

    @Test
    void prunesExportsAndValidatesWithGates() throws Exception {
        Compressor compressor = Compressor.load(MLP).prune("l1", 0.5);
        WrittenModel written = compressor.export(dir.resolve("pruned.onnx"));
        ValidationReport report = compressor.validation().data(DATA).withoutLatency()
                .gates(List.of(new Gate(Gate.Kind.MAX_ACCURACY_DROP, 1.0))).run().withSteps(compressor.run());

        assertTrue(report.passed(), report.gates().toString());
        assertEquals(133_510, report.candidate().nonzeroParameters());
        assertTrue(report.candidate().gzipBytes() < 0.6 * report.reference().gzipBytes());
        assertEquals("normalize", report.steps().get(0).pass(), "normalization runs first");
        assertEquals("prune-l1", report.steps().get(1).pass());
        assertEquals(written.totalBytes(), report.candidate().bytes());
        String provenance = ModelImporter.load(dir.resolve("pruned.onnx")).metadata().get(PassPipeline.PROVENANCE_KEY);
        assertTrue(provenance.startsWith("normalize{}; prune-l1{sparsity=0.5"), provenance);
    }

    @Test
    void withoutPassesTheExportIsALosslessCopy() throws Exception {
        Compressor.load(MLP).export(dir.resolve("copy.onnx"));
        assertEquals(ModelProto.parseFrom(Files.readAllBytes(MLP)),
                ModelProto.parseFrom(Files.readAllBytes(dir.resolve("copy.onnx"))));
    }

    @Test
    void theRecipeAndTheApiMeanTheSame() throws Exception {
        Path recipe = Files.writeString(dir.resolve("r.json"),
                "{\"steps\": [{\"type\": \"prune\", \"method\": \"magnitude\", \"sparsity\": 0.7}]}");
        Compressor.load(MLP).recipe(Recipe.read(recipe)).export(dir.resolve("a.onnx"));
        Compressor.load(MLP).prune("magnitude", 0.7).export(dir.resolve("b.onnx"));
        assertEquals(-1, Files.mismatch(dir.resolve("a.onnx"), dir.resolve("b.onnx")));
    }

    @Test
    void misuseIsRefused() throws Exception {
        Compressor compressor = Compressor.load(MLP).prune("l1", 0.5);
        dev.edgecompress.ir.SettingException noSizes = assertThrows(dev.edgecompress.ir.SettingException.class,
                () -> compressor.latencyBatches(List.of()));
        assertEquals("batch", noSizes.field());
        assertThrows(dev.edgecompress.ir.SettingException.class, () -> compressor.latencyBatches(List.of(1, 0)));
        assertThrows(IllegalStateException.class, compressor::validation);
        compressor.run();
        assertThrows(IllegalStateException.class, () -> compressor.prune("l1", 0.9));
        assertFalse(compressor.model().metadata().isEmpty());
    }
}
