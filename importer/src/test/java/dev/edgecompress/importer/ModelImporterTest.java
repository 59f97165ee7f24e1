package dev.edgecompress.importer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.ir.testing.TestModels;
import com.google.protobuf.ByteString;
import dev.edgecompress.importer.proto.GraphProto;
import dev.edgecompress.importer.proto.ModelProto;
import dev.edgecompress.importer.proto.NodeProto;
import dev.edgecompress.importer.proto.OperatorSetIdProto;
import dev.edgecompress.importer.proto.StringStringEntryProto;
import dev.edgecompress.importer.proto.TensorProto;
import dev.edgecompress.importer.proto.TensorShapeProto;
import dev.edgecompress.importer.proto.TypeProto;
import dev.edgecompress.importer.proto.ValueInfoProto;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Node;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.TensorData;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelImporterTest {

    @TempDir
    Path dir;

    // ---- files that are not ONNX models ----

    @Test
    void missingFile() {
        assertProblem(dir.resolve("absent.onnx"), "no such file");
    }

    @Test
    void directory() {
        assertProblem(dir, "is a directory");
    }

    @Test
    void emptyFile() throws IOException {
        assertProblem(Files.createFile(dir.resolve("empty.onnx")), "the file is empty");
    }

    @Test
    void truncatedFile() throws IOException {
        byte[] whole = Files.readAllBytes(TestModels.model("mlp.onnx"));
        Path half = Files.write(dir.resolve("half.onnx"), Arrays.copyOf(whole, whole.length / 2));
        assertProblem(half, "truncated or corrupt");
    }

    @Test
    void randomBytes() throws IOException {
        byte[] noise = new byte[10_000];
        new Random(7).nextBytes(noise);
        ModelFormatException e = assertThrows(ModelFormatException.class,
                () -> ModelImporter.load(Files.write(dir.resolve("noise.onnx"), noise)));
        assertTrue(e.getMessage().contains("not a valid ONNX protobuf") || e.getMessage().contains("no graph"),
                e.getMessage());
    }

    @Test
    void protobufWithoutAGraph() throws IOException {
        assertProblem(write(ModelProto.newBuilder().setIrVersion(8).build()), "it has no graph");
    }

    // ---- protobuf that parses but breaks the IR rules ----

    @Test
    void duplicateOutputNames() throws IOException {
        GraphProto.Builder g = reluGraph();
        g.addNode(node("Neg", "x", "y"));
        assertProblem(write(model(g)), "value 'y' is produced twice");
    }

    @Test
    void nodeUsingAnUndefinedValue() throws IOException {
        GraphProto.Builder g = reluGraph();
        g.addNode(NodeProto.newBuilder().setOpType("Add").addInput("y").addInput("ghost").addOutput("z"));
        assertProblem(write(model(g)), "uses undefined value 'ghost'");
    }

    @Test
    void cycle() throws IOException {
        GraphProto.Builder g = reluGraph().clearNode();
        g.addNode(NodeProto.newBuilder().setOpType("Add").addInput("x").addInput("b").addOutput("a").setName("first"));
        g.addNode(NodeProto.newBuilder().setOpType("Relu").addInput("a").addOutput("b").setName("second"));
        g.addNode(NodeProto.newBuilder().setOpType("Relu").addInput("b").addOutput("y"));
        assertProblem(write(model(g)), "the nodes form a cycle: node 'second' (Relu) -> node 'first' (Add) -> node 'second'");
    }

    @Test
    void undefinedGraphOutput() throws IOException {
        GraphProto.Builder g = reluGraph().addOutput(ValueInfoProto.newBuilder().setName("nothing"));
        assertProblem(write(model(g)), "output 'nothing' is not defined");
    }

    @Test
    void rawDataOfTheWrongSize() throws IOException {
        GraphProto.Builder g = reluGraph().addInitializer(TensorProto.newBuilder().setName("w")
                .setDataType(1).addDims(4).setRawData(ByteString.copyFrom(new byte[12])));
        assertProblem(write(model(g)), "initializer 'w' has 12 bytes of raw_data, but FLOAT[4] needs 16");
    }

    @Test
    void unknownOperatorSetDomain() throws IOException {
        GraphProto.Builder g = reluGraph();
        g.setNode(0, g.getNode(0).toBuilder().setDomain("com.example"));
        assertProblem(write(model(g)), "uses domain 'com.example', which the model does not import");
    }

    @Test
    void acyclicNodesOutOfOrderAreSorted() throws Exception {
        GraphProto.Builder g = reluGraph().clearNode().clearOutput();
        g.addNode(NodeProto.newBuilder().setOpType("Neg").addInput("a").addOutput("y"));
        g.addNode(NodeProto.newBuilder().setOpType("Relu").addInput("x").addOutput("a"));
        g.addOutput(ValueInfoProto.newBuilder().setName("y"));
        Model model = ModelImporter.load(write(model(g)));
        assertEquals("Relu", model.graph().nodes().get(0).opType());
        assertEquals("Neg", model.graph().nodes().get(1).opType());
    }

    // ---- what the importer keeps ----

    @Test
    void readsTheBundledModel() throws Exception {
        Model model = ModelImporter.load(TestModels.model("mlp.onnx"));
        assertEquals(8L, model.irVersion());
        assertEquals(17, model.opsetVersion(""));
        assertEquals("pytorch", model.producerName());
        assertEquals(6, model.graph().nodes().size());
        Node fc1 = model.graph().nodes().stream().filter(n -> n.opType().equals("Gemm")).findFirst().orElseThrow();
        Tensor weight = fc1.input(1).constValue();
        assertArrayEquals(new long[] {300, 784}, weight.dims());
        assertEquals(1, fc1.attribute("transB").asInt());
    }

    @Test
    void keepsFieldsItDoesNotInterpret() throws Exception {
        ModelProto.Builder m = model(reluGraph()).toBuilder().setDocString("kept");
        m.getGraphBuilder().getNodeBuilder(0).setDocString("node doc");
        Model model = ModelImporter.load(write(m.build()));
        assertFalse(model.preserved().isEmpty());
        assertFalse(model.graph().nodes().get(0).preserved().isEmpty());
    }

    // ---- external data ----

    @Test
    void externalDataIsMappedLazily() throws Exception {
        float[] values = {1.5f, -2f, 3.25f, 0f};
        Files.write(dir.resolve("weights.bin"), concat(new byte[100], floatBytes(values)));
        Model model = ModelImporter.load(write(modelWithExternal("weights.bin", 100, 16)));
        Tensor w = model.graph().initializers().get(0).constValue();
        assertInstanceOf(TensorData.MappedFile.class, w.data());
        assertEquals(Tensor.Storage.EXTERNAL, w.storage());
        assertEquals(-2f, w.toFloatArray()[1]);
    }

    @Test
    void externalDataFileMissing() throws IOException {
        assertProblem(write(modelWithExternal("missing.bin", 0, 16)), "external data file 'missing.bin'");
    }

    @Test
    void externalDataTooShort() throws IOException {
        Files.write(dir.resolve("short.bin"), new byte[20]);
        assertProblem(write(modelWithExternal("short.bin", 8, 16)), "is too short");
    }

    @Test
    void externalDataOfTheWrongLength() throws IOException {
        Files.write(dir.resolve("w.bin"), new byte[64]);
        assertProblem(write(modelWithExternal("w.bin", 0, 12)), "is 12 bytes, but FLOAT[4] needs 16");
    }

    @Test
    void externalDataMustNotLeaveTheModelFolder() throws IOException {
        Path inner = Files.createDirectories(dir.resolve("model"));
        Files.write(dir.resolve("secret.bin"), new byte[16]);
        Path model = Files.write(inner.resolve("m.onnx"), modelWithExternal("../secret.bin", 0, 16).toByteArray());
        assertProblem(model, "leaves the model's folder");
    }

    @Test
    void externalDataMustNotBeAnAbsolutePath() throws IOException {
        Path secret = Files.write(dir.resolve("secret.bin"), new byte[16]);
        assertProblem(write(modelWithExternal(secret.toString(), 0, 16)), "is an absolute path");
    }

    @Test
    void externalDataMustNotLinkOutOfTheModelFolder() throws IOException {
        Path inner = Files.createDirectories(dir.resolve("model"));
        Path secret = Files.write(dir.resolve("secret.bin"), new byte[16]);
        Files.createSymbolicLink(inner.resolve("w.bin"), secret);
        Path model = Files.write(inner.resolve("m.onnx"), modelWithExternal("w.bin", 0, 16).toByteArray());
        assertProblem(model, "links outside the model's folder");
    }

    // ---- helpers ----

    private static void assertArrayEquals(long[] expected, long[] actual) {
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, actual);
    }

    private static void assertProblem(Path file, String expected) {
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> ModelImporter.load(file));
        assertTrue(e.getMessage().startsWith(file + ": "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertFalse(e.getMessage().contains("\n"), "one line: " + e.getMessage());
    }

    private Path write(ModelProto model) throws IOException {
        return Files.write(dir.resolve("model.onnx"), model.toByteArray());
    }

    private static ModelProto model(GraphProto.Builder graph) {
        return ModelProto.newBuilder().setIrVersion(8)
                .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(17))
                .setGraph(graph).build();
    }

    /** x:float[4] -> Relu -> y */
    private static GraphProto.Builder reluGraph() {
        return GraphProto.newBuilder().setName("g")
                .addInput(valueInfo("x"))
                .addNode(node("Relu", "x", "y"))
                .addOutput(valueInfo("y"));
    }

    private static ModelProto modelWithExternal(String location, long offset, long length) {
        TensorProto w = TensorProto.newBuilder().setName("w").setDataType(1).addDims(4)
                .addExternalData(entry("location", location)).addExternalData(entry("offset", "" + offset))
                .addExternalData(entry("length", "" + length)).setDataLocation(TensorProto.DataLocation.EXTERNAL)
                .build();
        GraphProto.Builder g = reluGraph().clearNode().addInitializer(w)
                .addNode(NodeProto.newBuilder().setOpType("Add").addInput("x").addInput("w").addOutput("y"));
        return model(g);
    }

    private static NodeProto node(String op, String input, String output) {
        return NodeProto.newBuilder().setOpType(op).addInput(input).addOutput(output).build();
    }

    private static ValueInfoProto valueInfo(String name) {
        return ValueInfoProto.newBuilder().setName(name).setType(TypeProto.newBuilder().setTensorType(
                TypeProto.Tensor.newBuilder().setElemType(1).setShape(TensorShapeProto.newBuilder()
                        .addDim(TensorShapeProto.Dimension.newBuilder().setDimValue(4))))).build();
    }

    private static StringStringEntryProto entry(String key, String value) {
        return StringStringEntryProto.newBuilder().setKey(key).setValue(value).build();
    }

    private static byte[] floatBytes(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(values);
        return b.array();
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] all = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, all, a.length, b.length);
        return all;
    }
}
