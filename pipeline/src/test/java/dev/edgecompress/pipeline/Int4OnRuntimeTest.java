package dev.edgecompress.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.exporter.ModelExporter;
import dev.edgecompress.exporter.validation.ValidationReport;
import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.ModelBuilder;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.ir.testing.TestModels;
import dev.edgecompress.passes.quantization.int4.Int4Config;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.SessionConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * 4-bit models run on ONNX Runtime and compute what their codes say: the MatMulNBits form and the
 * standard DequantizeLinear form of the same codes give the same outputs, close to float.
 */
class Int4OnRuntimeTest {

    @TempDir
    Path dir;

    private Path floatModel() throws Exception {
        Random random = new Random(4);
        ModelBuilder b = ModelBuilder.onnx(21);
        Value x = b.input("x", DataType.FLOAT, 8, 64);
        Value hidden = b.op("Relu", b.op("MatMul", x, b.initializer("w1",
                Tensor.ofFloats(new long[] {64, 48}, gaussian(random, 64 * 48, 0.125f)))));
        b.output(b.op("Gemm", List.of(Attribute.of("transB", 1L), Attribute.of("alpha", 0.5f),
                Attribute.of("beta", 2f)), hidden,
                b.initializer("w2", Tensor.ofFloats(new long[] {16, 48}, gaussian(random, 16 * 48, 0.2f))),
                b.initializer("b2", Tensor.ofFloats(new long[] {16}, gaussian(random, 16, 0.1f)))));
        Path path = dir.resolve("float.onnx");
        ModelExporter.write(b.build(), path);
        return path;
    }

    private Dataset samples(String name, int count, long seed) throws Exception {
        Random random = new Random(seed);
        float[] values = new float[count * 64];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) (random.nextGaussian() + 0.5);
        }
        return Dataset.of(dir.resolve(name + ".npz"), Map.of("x", Tensor.ofFloats(new long[] {count, 64}, values)),
                null);
    }

    @ParameterizedTest
    @ValueSource(strings = {"rtn", "hqq", "gptq"})
    void bothFormsComputeTheSameCodesCloseToFloat(String method) throws Exception {
        Path source = floatModel();
        Map<String, Tensor> probe = samples("probe", 8, 99).bind(List.of(new dev.edgecompress.ir.data.TensorSpec(
                "x", DataType.FLOAT, new long[] {8, 64}))).firstBatch(8);
        Map<Int4Config.Format, float[]> outputs = new java.util.EnumMap<>(Int4Config.Format.class);
        for (Int4Config.Format format : Int4Config.Format.values()) {
            Path out = dir.resolve(method + "-" + format.id() + ".onnx");
            Compressor compressor = Compressor.load(source).step(new Step.Int4(new Int4Config(32,
                    Int4Config.Method.parse(method), format, 0, Set.of())));
            if (method.equals("gptq")) {
                compressor.calibration(samples("calib", 256, 5));
            }
            compressor.export(out);
            // Unoptimized, DequantizeLinear computes exactly; optimized, ONNX Runtime fuses it into its
            // 4-bit kernel computing with int8 activations (session.qdq_matmulnbits_accuracy_level, 4).
            try (InferenceSession session = InferenceSession.open(out, SessionConfig.defaults()
                    .withOptimization(SessionConfig.Optimization.NONE))) {
                outputs.put(format, session.run(probe).values().iterator().next().toFloatArray());
            }
        }
        float[] reference;
        try (InferenceSession session = InferenceSession.open(source, SessionConfig.defaults())) {
            reference = session.run(probe).values().iterator().next().toFloatArray();
        }
        float[] nbits = outputs.get(Int4Config.Format.MATMULNBITS);
        float[] qdq = outputs.get(Int4Config.Format.QDQ);
        double scale = 0;
        double signal = 0;
        double noise = 0;
        for (int i = 0; i < reference.length; i++) {
            scale = Math.max(scale, Math.abs(reference[i]));
            signal += reference[i] * reference[i];
            noise += (reference[i] - nbits[i]) * (reference[i] - nbits[i]);
        }
        for (int i = 0; i < reference.length; i++) {
            assertEquals(qdq[i], nbits[i], 1e-4 * scale, "output " + i + ": MatMulNBits against DequantizeLinear");
        }
        double sqnr = 10 * Math.log10(signal / noise);
        assertTrue(sqnr > 14, method + ": SQNR " + sqnr + " dB against float");
    }

    @ParameterizedTest
    @CsvSource({"rtn, 1.5, 25", "hqq, 1.0, 29", "gptq, 0.3, 40"})
    void theMlpKeepsItsAccuracyAtAFifthOfTheSize(String method, double maxDrop, double minSqnr) throws Exception {
        Path out = dir.resolve("mlp-int4.onnx");
        Compressor compressor = Compressor.load(TestModels.model("mlp.onnx")).step(StepParser.parse("quantize",
                Map.of("mode", "int4", "method", method)));
        compressor.calibration(dev.edgecompress.importer.data.DataFiles.load(
                TestModels.model("fashion_mnist_calib_512.npz")));
        compressor.export(out);
        ValidationReport report = compressor.validation().data(TestModels.model("fashion_mnist_test_2k.npz"))
                .withoutLatency().run();
        double drop = (report.reference().accuracy() - report.candidate().accuracy()) * 100;
        assertTrue(drop <= maxDrop, method + ": top-1 drop " + drop + " points");
        assertTrue(report.metrics().sqnrDb() >= minSqnr, method + ": SQNR " + report.metrics().sqnrDb());
        double ratio = (double) report.candidate().bytes() / report.reference().bytes();
        assertTrue(ratio <= 0.17, method + ": size ratio " + ratio);
        assertEquals(3, report.candidateRuntimeOps().get("cpu").get("com.microsoft.MatMulNBits"));
    }

    private static float[] gaussian(Random random, int n, float scale) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian() * scale;
        }
        return values;
    }
}
