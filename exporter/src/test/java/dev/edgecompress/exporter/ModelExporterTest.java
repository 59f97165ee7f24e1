package dev.edgecompress.exporter;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.google.protobuf.UnknownFieldSet;
import dev.edgecompress.importer.ModelImporter;
import dev.edgecompress.importer.proto.ModelProto;
import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.ModelBuilder;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.TensorData;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.testing.TestModels;
import dev.edgecompress.passes.PassContext;
import dev.edgecompress.passes.PassPipeline;
import dev.edgecompress.passes.pruning.GlobalL1PruningPass;
import dev.edgecompress.passes.pruning.PruningConfig;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.SessionConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelExporterTest {

    @TempDir
    Path dir;

    /** y = relu(x W + b) with x [1,3], W [3,2]. */
    private static Model linearRelu() {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 1, 3);
        Value w = b.initializer("W", Tensor.ofFloats(new long[] {3, 2}, 1, -1, 2, 0.5f, -3, 1));
        Value bias = b.initializer("b", Tensor.ofFloats(new long[] {2}, 0.25f, -10));
        Value gemm = b.op("Gemm", List.of(Attribute.of("alpha", 1.0f)), x, w, bias);
        b.output(b.op("Relu", gemm), DataType.FLOAT, 1, 2);
        return b.build();
    }

    private static float[] run(Path model, float... x) {
        try (InferenceSession session = InferenceSession.open(model, SessionConfig.defaults())) {
            Map<String, Tensor> out = session.run(Map.of("x", Tensor.ofFloats(new long[] {1, x.length}, x)));
            return out.values().iterator().next().toFloatArray();
        }
    }

    @Test
    void aBuiltModelRunsOnOnnxRuntimeWithTheExpectedNumbers() throws IOException {
        Path file = dir.resolve("linear.onnx");
        ModelExporter.write(linearRelu(), file);

        float[] y = run(file, 1, 2, 3);

        // x W = [1 + 4 - 9, -1 + 1 + 3] = [-4, 3]; + b = [-3.75, -7]; relu = [0, 0]
        assertArrayEquals(new float[] {0f, 0f}, y, 1e-6f);
        // x W = [2 - 2 + 3, -2 + 0.5 - 1] = [3, -2.5]; + b = [3.25, -12.5]; relu = [3.25, 0]
        assertArrayEquals(new float[] {3.25f, 0f}, run(file, 2, -1, -1), 1e-6f);
    }

    @Test
    void outputGetsTheModeOfAnyNewFile() throws Exception {
        Path reference = Files.createFile(dir.resolve("reference"));
        Path file = dir.resolve("linear.onnx");
        ModelExporter.write(linearRelu(), file, new ExportOptions(ExportOptions.ExternalData.ALWAYS, 0));
        assertEquals(Files.getPosixFilePermissions(reference), Files.getPosixFilePermissions(file));
        assertEquals(Files.getPosixFilePermissions(reference),
                Files.getPosixFilePermissions(dir.resolve("linear.onnx.data")));
    }

    @Test
    void prunedWeightsStoredSparseLoadOnOnnxRuntimeWithTheSameOutputs() throws Exception {
        Model pruned = ModelImporter.load(TestModels.model("mlp.onnx"));
        new PassPipeline(List.of(new GlobalL1PruningPass(PruningConfig.of(0.9)))).run(pruned, PassContext.quiet());
        WrittenModel dense = ModelExporter.write(pruned, dir.resolve("dense.onnx"), ExportOptions.defaults());
        WrittenModel sparse = ModelExporter.write(pruned, dir.resolve("sparse.onnx"),
                ExportOptions.defaults().withSparseStorage(true));

        assertTrue(sparse.modelBytes() < dense.modelBytes() / 3, sparse + " vs " + dense);
        ModelProto proto = ModelProto.parseFrom(Files.readAllBytes(sparse.model()));
        assertEquals(List.of("fc1.weight", "fc2.weight"), proto.getGraph().getSparseInitializerList().stream()
                .map(t -> t.getValues().getName()).toList()); // fc3.weight (1,000 elements) stays dense
        assertEquals(7, proto.getGraph().getSparseInitializer(0).getIndices().getDataType()); // int64
        float[] input = new float[784];
        for (int i = 0; i < input.length; i++) {
            input[i] = (i % 13) / 13f;
        }
        Map<String, Tensor> feeds = Map.of("input", Tensor.ofFloats(new long[] {1, 1, 28, 28}, input));
        try (InferenceSession a = InferenceSession.open(dense.model(), SessionConfig.defaults());
                InferenceSession b = InferenceSession.open(sparse.model(), SessionConfig.defaults())) {
            assertArrayEquals(a.run(feeds).get("logits").toFloatArray(), b.run(feeds).get("logits").toFloatArray(), 0f);
        }
        Model reread = ModelImporter.load(sparse.model());
        assertEquals(2, reread.graph().sparseInitializers().size());
    }

    @Test
    void outputIsDeterministic() throws Exception {
        Model model = ModelImporter.load(TestModels.model("lenet5_bn.onnx"));
        ModelExporter.write(model, dir.resolve("a.onnx"));
        ModelExporter.write(model, dir.resolve("b.onnx"));
        assertArrayEquals(Files.readAllBytes(dir.resolve("a.onnx")), Files.readAllBytes(dir.resolve("b.onnx")));
    }

    @Test
    void externalDataRoundTripsAndRuns() throws Exception {
        Path inline = dir.resolve("inline.onnx");
        Path external = dir.resolve("external.onnx");
        Model model = linearRelu();
        ModelExporter.write(model, inline);
        WrittenModel written = ModelExporter.write(model, external,
                new ExportOptions(ExportOptions.ExternalData.ALWAYS, 0));

        assertEquals(dir.resolve("external.onnx.data"), written.externalData());
        assertEquals(Files.size(written.externalData()), written.externalBytes());
        Model reread = ModelImporter.load(external);
        Tensor w = reread.graph().initializers().get(0).constValue();
        assertInstanceOf(TensorData.MappedFile.class, w.data());
        assertTrue(w.contentEquals(model.graph().initializers().get(0).constValue()));
        assertArrayEquals(run(inline, 2, -1, -1), run(external, 2, -1, -1), 0f);

        // AUTO keeps tensors where the source had them: external stays external.
        WrittenModel again = ModelExporter.write(reread, dir.resolve("again.onnx"));
        assertEquals(written.externalBytes(), again.externalBytes());
    }

    @Test
    void unknownFieldsSurviveTheRoundTrip() throws Exception {
        ModelProto original = ModelProto.parseFrom(Files.readAllBytes(TestModels.model("mlp.onnx")));
        UnknownFieldSet unknown = UnknownFieldSet.newBuilder()
                .addField(999, UnknownFieldSet.Field.newBuilder().addVarint(42).build()).build();
        ModelProto.Builder withUnknown = original.toBuilder().setUnknownFields(unknown);
        withUnknown.getGraphBuilder().getNodeBuilder(0).setUnknownFields(unknown);
        withUnknown.getGraphBuilder().getInitializerBuilder(0).setUnknownFields(unknown);
        Path input = Files.write(dir.resolve("unknown.onnx"), withUnknown.build().toByteArray());

        ModelExporter.write(ModelImporter.load(input), dir.resolve("out.onnx"));

        ModelProto copy = ModelProto.parseFrom(Files.readAllBytes(dir.resolve("out.onnx")));
        assertEquals(withUnknown.build(), copy);
        assertEquals(42L, copy.getGraph().getNode(0).getUnknownFields().getField(999).getVarintList().get(0));
    }

    @Test
    void aFailedWriteLeavesTheOldFileAndNoTemporaries() throws Exception {
        Path source = dir.resolve("source.onnx");
        ModelExporter.write(linearRelu(), source, new ExportOptions(ExportOptions.ExternalData.ALWAYS, 0));
        Model model = ModelImporter.load(source);
        Path target = dir.resolve("target.onnx");
        Files.writeString(target, "previous contents");
        Files.delete(dir.resolve("source.onnx.data")); // the tensors can no longer be read

        assertThrows(IOException.class, () -> ModelExporter.write(model, target));

        assertEquals("previous contents", Files.readString(target));
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(List.of("source.onnx", "target.onnx"),
                    files.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void writingAModelOverItselfKeepsItsWeights() throws Exception {
        Path file = dir.resolve("self.onnx");
        ModelExporter.write(linearRelu(), file, new ExportOptions(ExportOptions.ExternalData.ALWAYS, 0));
        float[] before = run(file, 2, -1, -1);
        Model model = ModelImporter.load(file);
        Tensor bias = model.graph().initializers().get(1).constValue();
        assertInstanceOf(TensorData.MappedFile.class, bias.data()); // bytes 24..32 of self.onnx.data

        // A threshold of 9 bytes keeps the 8-byte bias inline: the new data file is only 24 bytes long.
        ModelExporter.write(model, file, new ExportOptions(ExportOptions.ExternalData.ALWAYS, 9));

        assertEquals(24, Files.size(dir.resolve("self.onnx.data")));
        assertArrayEquals(new float[] {0.25f, -10f}, bias.toFloatArray(), 0f);
        assertArrayEquals(before, run(file, 2, -1, -1), 0f);
    }
}
