package dev.edgecompress.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.ir.testing.TestModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bad data and bad options on the command line: exit code 2, one line on stderr naming the file
 * or option and the problem, and no output model left behind.
 */
class BadDataTest {

    private static final String MLP = TestModels.model("mlp.onnx").toString();

    @TempDir
    Path dir;

    private final CliRun cli = new CliRun();

    private void assertRefused(String file, String problem, String... args) {
        CliRun cli = new CliRun();
        ExitCode code = cli.run(args);
        assertEquals(ExitCode.BAD_INPUT, code, cli.stdout() + cli.stderr());
        String message = cli.stderr().strip();
        assertEquals(1, message.lines().filter(l -> l.startsWith("edgecompress")).count(), message);
        assertTrue(message.contains(file), message);
        assertTrue(message.contains(problem), message);
        assertFalse(Files.exists(dir.resolve("out.onnx")), "no output left behind");
    }

    private Path images(String name, long[] shape, boolean labels, long label) throws Exception {
        Map<String, NpzFiles.Array> arrays = new LinkedHashMap<>();
        long count = Arrays.stream(shape).reduce(1, Math::multiplyExact);
        arrays.put("input", NpzFiles.Array.floats(shape, new float[(int) count]));
        if (labels) {
            long[] values = new long[(int) shape[0]];
            Arrays.fill(values, label);
            arrays.put("labels", NpzFiles.Array.longs(new long[] {shape[0]}, values));
        }
        return NpzFiles.write(dir.resolve(name), arrays);
    }

    private String out() {
        return dir.resolve("out.onnx").toString();
    }

    @Test
    void anArrayOfTheWrongShape() throws Exception {
        String data = images("shape.npz", new long[] {4, 1, 27, 28}, true, 0).toString();
        assertRefused(data, "has shape [4, 1, 27, 28], the model takes [?, 1, 28, 28]", "compress", MLP, "-o",
                out(), "--prune", "l1:0.5", "--data", data);
    }

    @Test
    void anArrayOfTheWrongType() throws Exception {
        Path file = NpzFiles.write(dir.resolve("type.npz"), Map.of("input",
                NpzFiles.Array.longs(new long[] {1, 1, 28, 28}, new long[784])));
        assertRefused(file.toString(), "is int64, the model takes float32", "compress", MLP, "-o", out(), "--prune",
                "l1:0.5", "--data", file.toString());
    }

    @Test
    void labelsOutOfRange() throws Exception {
        String data = images("labels.npz", new long[] {4, 1, 28, 28}, true, 10).toString();
        assertRefused(data, "label 10 of sample 0 is out of range: the model has 10 classes", "compress", MLP, "-o",
                out(), "--prune", "l1:0.5", "--data", data);
    }

    @Test
    void aTruncatedNpz() throws Exception {
        Path whole = images("whole.npz", new long[] {4, 1, 28, 28}, true, 1);
        byte[] bytes = Files.readAllBytes(whole);
        Path truncated = Files.write(dir.resolve("truncated.npz"), Arrays.copyOf(bytes, bytes.length / 2));
        ExitCode code = cli.run("compress", MLP, "-o", out(), "--prune", "l1:0.5", "--data", truncated.toString());
        assertEquals(ExitCode.BAD_INPUT, code, cli.stderr());
        assertTrue(cli.stderr().contains(truncated.toString()), cli.stderr());
        assertFalse(Files.exists(dir.resolve("out.onnx")), "no output left behind");
    }

    @Test
    void fineTuningOnDataWithoutLabelsNeedsDistillation() throws Exception {
        String data = images("unlabelled.npz", new long[] {8, 1, 28, 28}, false, 0).toString();
        assertRefused("distill", "has no 'labels' array", "compress", MLP, "-o", out(), "--finetune", "epochs=1",
                "--train", data);
    }

    @Test
    void fineTuningAnOperatorTrainingDoesNotTranslate() throws Exception {
        String cls = TestModels.model("third-party/ppocr_cls_v2_opset9.onnx").toString();
        Map<String, NpzFiles.Array> arrays = new LinkedHashMap<>();
        arrays.put("x", NpzFiles.Array.floats(new long[] {2, 3, 48, 192}, new float[2 * 3 * 48 * 192]));
        arrays.put("labels", NpzFiles.Array.longs(new long[] {2}, 0, 1));
        String data = NpzFiles.write(dir.resolve("pages.npz"), arrays).toString();
        assertRefused("node 'p2o.HardSigmoid.0' (HardSigmoid)", "is not supported for training yet", "compress", cls,
                "-o", out(), "--finetune", "epochs=1", "--train", data);
    }

    @Test
    void anUnknownOptionOnCompressSuggestsTheNearest() {
        assertRefused("--prun", "unknown option --prun; did you mean --prune?", "compress", MLP, "-o", out(), "--prun",
                "l1:0.5");
        assertRefused("--qunatize", "unknown option --qunatize; did you mean --quantize?", "compress", MLP, "-o",
                out(), "--qunatize", "static");
        assertRefused("--zzz", "unknown option --zzz (see edgecompress compress --help)", "compress", MLP, "-o",
                out(), "--zzz");
    }

    @Test
    void anUnknownCommandSuggestsTheNearest() {
        assertRefused("compres", "unknown command 'compres'; did you mean compress?", "compres", MLP);
        assertRefused("frobnicate", "unknown command 'frobnicate'; commands: inspect, compress, validate, bench, tune",
                "frobnicate");
    }
}
