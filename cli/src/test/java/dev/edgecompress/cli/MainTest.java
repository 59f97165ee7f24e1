package dev.edgecompress.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.ModelBuilder;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.testing.TestModels;
import com.fasterxml.jackson.databind.JsonNode;
import dev.edgecompress.importer.proto.ModelProto;
import dev.edgecompress.importer.proto.NodeProto;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class MainTest {

    @TempDir
    Path dir;

    private final CliRun cli = new CliRun();

    private ExitCode run(String... args) {
        return cli.run(args);
    }

    private String stdout() {
        return cli.stdout();
    }

    private String stderr() {
        return cli.stderr();
    }

    /** Bad input: exit code 2 and exactly one line on stderr that names the file and the problem. */
    private void assertBadInput(ExitCode code, String file, String problem) {
        assertEquals(ExitCode.BAD_INPUT, code, stderr());
        String message = stderr();
        assertEquals(1, message.lines().count(), message);
        assertTrue(message.contains(file), message);
        assertTrue(message.contains(problem), message);
    }

    @Test
    void inspectPrintsTheModelAndItsTargets() {
        assertEquals(ExitCode.OK, run("inspect", TestModels.model("lenet5_bn.onnx").toString()));
        String text = stdout();
        assertTrue(text.contains("Input       input : float[batch,1,28,28]"), text);
        assertTrue(text.contains("Conv                     2"), text);
        assertTrue(text.contains("Parameters  61,706"), text);
        assertTrue(text.contains("Pruning: 5 weights"), text);
        assertTrue(text.contains("Low-rank factorization: 5 weights"), text);
        assertTrue(text.contains("Fine-tuning: every operator translates to TensorFlow"), text);
        assertEquals("", stderr());
    }

    @Test
    void inspectListsTheNodesTrainingCannotTranslate() throws Exception {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 1, 4);
        b.output(b.op("HardSwish", b.op("Relu", x)), DataType.FLOAT, 1, 4);
        Path file = dir.resolve("hardswish.onnx");
        dev.edgecompress.exporter.ModelExporter.write(b.build(), file);
        assertEquals(ExitCode.OK, run("inspect", file.toString()));
        assertTrue(stdout().contains("Fine-tuning: 1 nodes have operators training does not translate yet"), stdout());
        assertTrue(stdout().contains("HardSwish"), stdout());
        assertEquals(ExitCode.OK, run("inspect", file.toString(), "--json"));
        JsonNode training = Json.mapper().readTree(stdout().substring(stdout().indexOf('{'))).get("training");
        assertEquals(false, training.get("translatable").asBoolean());
        assertEquals(1, training.get("unsupported_nodes").size());
    }

    @Test
    void inspectNamesTheClusteredWeights() throws Exception {
        Path clustered = dir.resolve("clustered.onnx");
        assertEquals(ExitCode.OK, run("compress", TestModels.model("mlp.onnx").toString(), "-o", clustered.toString(),
                "--cluster", "8"));
        assertEquals(ExitCode.OK, run("inspect", clustered.toString()));
        assertTrue(stdout().contains("Clustering: the 3 pruning weights\n  fc1.weight is clustered: 8 distinct"
                + " non-zero values"), stdout());
        assertEquals(ExitCode.OK, run("inspect", clustered.toString(), "--json"));
        JsonNode targets = Json.mapper().readTree(stdout()).get("summary").get("targets");
        assertEquals(8, targets.get("clustered").get("fc3.weight").asInt());
        assertEquals(ExitCode.OK, run("inspect", TestModels.model("mlp.onnx").toString(), "--json"));
        assertEquals(0, Json.mapper().readTree(stdout()).get("summary").get("targets").get("clustered").size(),
                "a trained model's values that repeat by chance are no clusters");
    }

    @Test
    void inspectJsonIsMachineReadable() throws Exception {
        assertEquals(ExitCode.OK, run("inspect", TestModels.model("mlp.onnx").toString(), "--json"));
        JsonNode json = Json.mapper().readTree(stdout());
        assertEquals(1067219, json.get("bytes").asLong());
        JsonNode summary = json.get("summary");
        assertEquals(266610, summary.get("parameters").asLong());
        assertEquals(3, summary.get("op_counts").get("Gemm").asInt());
        assertEquals(17, summary.get("opsets").get("ai.onnx").asInt());
        assertEquals("fc1.weight", summary.get("largest_initializers").get(0).get("name").asText());
        assertEquals(216, summary.get("targets").get("factorizable").get(0).get("max_useful_rank").asInt());
    }

    @Test
    void compressWithoutPassesCopiesLosslesslyAndLeavesTheInputAlone() throws Exception {
        Path input = Files.copy(TestModels.model("mlp.onnx"), dir.resolve("in.onnx"));
        byte[] before = Files.readAllBytes(input);
        Path output = dir.resolve("out.onnx");

        assertEquals(ExitCode.OK, run("compress", input.toString(), "-o", output.toString()));

        assertArrayEquals(before, Files.readAllBytes(input));
        assertEquals(ModelProto.parseFrom(before), ModelProto.parseFrom(Files.readAllBytes(output)));
        assertTrue(stdout().startsWith("wrote      " + output), stdout());
    }

    @Test
    void compressCanMoveWeightsToExternalData() throws Exception {
        Path output = dir.resolve("out.onnx");
        assertEquals(ExitCode.OK, run("compress", TestModels.model("mlp.onnx").toString(), "-o", output.toString(),
                "--external-data", "always"));
        assertTrue(Files.size(dir.resolve("out.onnx.data")) > 1_000_000);
        assertEquals(ExitCode.OK, run("inspect", output.toString()));
        assertTrue(stdout().contains("external data"), stdout());
    }

    @Test
    void missingFile() {
        Path missing = dir.resolve("missing.onnx");
        assertBadInput(run("inspect", missing.toString()), missing.toString(), "no such file");
    }

    @Test
    void directoryInsteadOfAFile() {
        assertBadInput(run("inspect", dir.toString()), dir.toString(), "is a directory");
    }

    @Test
    void emptyFile() throws Exception {
        Path empty = Files.createFile(dir.resolve("empty.onnx"));
        assertBadInput(run("compress", empty.toString(), "-o", dir.resolve("o.onnx").toString()), empty.toString(),
                "empty");
    }

    @Test
    void truncatedFile() throws Exception {
        byte[] whole = Files.readAllBytes(TestModels.model("lenet5_bn.onnx"));
        Path cut = Files.write(dir.resolve("cut.onnx"), Arrays.copyOf(whole, 1000));
        assertBadInput(run("inspect", cut.toString()), cut.toString(), "truncated or corrupt");
    }

    @Test
    void randomBytes() throws Exception {
        byte[] noise = new byte[4096];
        new Random(1).nextBytes(noise);
        Path file = Files.write(dir.resolve("noise.onnx"), noise);
        assertBadInput(run("inspect", file.toString()), file.toString(), "");
    }

    @Test
    void modelBreakingTheIrRules() throws Exception {
        ModelProto.Builder model = ModelProto.parseFrom(Files.readAllBytes(TestModels.model("mlp.onnx"))).toBuilder();
        NodeProto first = model.getGraph().getNode(0);
        model.getGraphBuilder().addNode(first); // the same outputs produced twice
        Path file = Files.write(dir.resolve("dup.onnx"), model.build().toByteArray());
        assertBadInput(run("inspect", file.toString()), file.toString(), "is produced twice");
    }

    @Test
    void outputFolderMissing() {
        Path output = dir.resolve("no/such/folder/out.onnx");
        assertBadInput(run("compress", TestModels.model("mlp.onnx").toString(), "-o", output.toString()),
                output.toString(), "cannot write");
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "frobnicate", "compress", "inspect --no-such-option"})
    void badUsageIsExitCodeTwo(String args) {
        String[] argv = args.isEmpty() ? new String[0] : args.split(" ");
        assertEquals(ExitCode.BAD_INPUT, run(argv));
        assertTrue(!stderr().isEmpty());
    }

    @Test
    void badOptionValueNamesTheOption() {
        assertBadInput(run("compress", "m.onnx", "-o", "x.onnx", "--external-data", "sometimes"),
                "--external-data", "auto, always or never");
    }

    @Test
    void helpIsExitCodeZero() {
        assertEquals(ExitCode.OK, run("--help"));
        assertTrue(stdout().contains("inspect"));
        assertEquals(ExitCode.OK, run("compress", "--help"));
        assertTrue(stdout().contains("--output"), stdout());
    }
}
