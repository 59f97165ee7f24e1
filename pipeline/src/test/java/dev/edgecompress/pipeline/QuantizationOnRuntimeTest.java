package dev.edgecompress.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.exporter.ModelExporter;
import dev.edgecompress.exporter.validation.Validation;
import dev.edgecompress.exporter.validation.ValidationReport;
import dev.edgecompress.importer.data.DataFiles;
import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.ModelBuilder;
import dev.edgecompress.ir.SettingException;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.ir.testing.TestModels;
import dev.edgecompress.runtime.ExecutionProvider;
import dev.edgecompress.runtime.SessionConfig;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** int8 models must keep their accuracy, shrink, and run on ONNX Runtime's integer kernels. */
class QuantizationOnRuntimeTest {

    private static final Path MLP = TestModels.model("mlp.onnx");
    private static final Path TEST = TestModels.model("fashion_mnist_test_2k.npz");

    @TempDir
    Path dir;

    private ValidationReport quantize(String mode, String fusedKernel) throws Exception {
        Compressor compressor = Compressor.load(MLP).quantize(mode);
        if (mode.equals("static")) {
            compressor.calibration(DataFiles.load(TestModels.model("fashion_mnist_calib_512.npz")));
        }
        compressor.export(dir.resolve(mode + ".onnx"));
        ValidationReport report = compressor.validation().data(TEST).withoutLatency().run();
        Map<String, Integer> ops = report.candidateRuntimeOps().get("cpu");
        assertEquals(3, ops.get(fusedKernel), ops.toString());
        return report;
    }

    @Test
    void staticQuantizationKeepsAccuracyAndRunsQGemm() throws Exception {
        ValidationReport report = quantize("static", "com.microsoft.QGemm");
        double drop = (report.reference().accuracy() - report.candidate().accuracy()) * 100;
        assertTrue(drop <= 0.3, "top-1 drop " + drop + " points");
        double ratio = (double) report.candidate().bytes() / report.reference().bytes();
        assertTrue(ratio <= 0.27, "size ratio " + ratio);
        assertTrue(report.metrics().sqnrDb() > 30, "SQNR " + report.metrics().sqnrDb());
    }

    @Test
    void dynamicQuantizationKeepsAccuracyAndRunsDynamicQuantizeMatMul() throws Exception {
        ValidationReport report = quantize("dynamic", "com.microsoft.DynamicQuantizeMatMul");
        double drop = (report.reference().accuracy() - report.candidate().accuracy()) * 100;
        assertTrue(drop <= 0.3, "top-1 drop " + drop + " points");
    }

    @Test
    void aConvNetworkBuiltInCodeQuantizesCloseToFloat() throws Exception {
        Random random = new Random(9);
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, new dev.edgecompress.ir.Shape(List.of(
                dev.edgecompress.ir.Dim.symbolic("batch"), dev.edgecompress.ir.Dim.of(1),
                dev.edgecompress.ir.Dim.of(8), dev.edgecompress.ir.Dim.of(8))));
        Value conv = b.op("Conv", List.of(Attribute.of("pads", 1L, 1, 1, 1)), x,
                b.initializer("cw", Tensor.ofFloats(new long[] {4, 1, 3, 3}, gaussian(random, 36, 0.5f))),
                b.initializer("cb", Tensor.ofFloats(new long[] {4}, gaussian(random, 4, 0.1f))));
        Value pooled = b.op("MaxPool", List.of(Attribute.of("kernel_shape", 2L, 2), Attribute.of("strides", 2L, 2)),
                b.op("Relu", conv));
        Value flat = b.op("Flatten", pooled);
        b.output(b.op("Gemm", List.of(Attribute.of("transB", 1L)), flat,
                b.initializer("gw", Tensor.ofFloats(new long[] {3, 64}, gaussian(random, 192, 0.2f))),
                b.initializer("gb", Tensor.ofFloats(new long[] {3}, gaussian(random, 3, 0.1f)))));
        Model model = b.build();
        Path floatModel = dir.resolve("float.onnx");
        ModelExporter.write(model, floatModel);
        Dataset data = Dataset.of(dir.resolve("images.npz"), Map.of("x",
                Tensor.ofFloats(new long[] {64, 1, 8, 8}, uniform(random, 64 * 64))), null);

        Compressor compressor = Compressor.load(floatModel).quantize("static").calibration(data);
        compressor.export(dir.resolve("int8.onnx"));
        ValidationReport report = compressor.validation().data(data).withoutLatency().run();

        assertTrue(report.metrics().sqnrDb() > 25, "SQNR " + report.metrics().sqnrDb());
        Map<String, Integer> ops = Validation.optimizedOps(dir.resolve("int8.onnx"),
                SessionConfig.defaults().withProvider(ExecutionProvider.CPU));
        assertEquals(1, ops.get("com.microsoft.QLinearConv"), ops.toString());
        assertEquals(1, ops.get("com.microsoft.QGemm"), ops.toString());
    }

    @Test
    void staticQuantizationWithoutCalibrationDataSaysSo() throws Exception {
        Compressor compressor = Compressor.load(MLP).quantize("static");
        SettingException e = assertThrows(SettingException.class, compressor::run);
        assertTrue(e.getMessage().contains("needs calibration data"), e.getMessage());
    }

    private static float[] gaussian(Random random, int n, float scale) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian() * scale;
        }
        return values;
    }

    private static float[] uniform(Random random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = random.nextFloat();
        }
        return values;
    }
}
