package dev.edgecompress.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.exporter.ModelExporter;
import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Dim;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.ModelBuilder;
import dev.edgecompress.ir.Shape;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.ir.training.BatchNormMode;
import dev.edgecompress.ir.training.TrainingSettings;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.Progress;
import dev.edgecompress.runtime.SessionConfig;
import dev.edgecompress.runtime.training.TrainableModel;
import dev.edgecompress.runtime.training.TrainingConfig;
import dev.edgecompress.runtime.training.TranslationException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A small network through the operators real CNNs and transformers use beyond the shared models
 * (grouped, dilated and transposed convolutions, padded pooling, BatchNormalization on [N, C], LeakyRelu,
 * Gelu, LayerNormalization, Reshape from a computed shape): the training graph computes ONNX
 * Runtime's outputs, and gradients reach every weight, so it trains.
 */
class TrainableOperatorsTest {

    private final Random random = new Random(3);

    private Value weight(ModelBuilder b, String name, long... dims) {
        long count = 1;
        for (long d : dims) {
            count *= d;
        }
        float[] values = new float[(int) count];
        float scale = (float) Math.sqrt(2.0 / (count / dims[0]));
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) random.nextGaussian() * scale;
        }
        return b.initializer(name, Tensor.ofFloats(dims, values));
    }

    private Value ones(ModelBuilder b, String name, float value, long size) {
        float[] values = new float[(int) size];
        java.util.Arrays.fill(values, value);
        return b.initializer(name, Tensor.ofFloats(new long[] {size}, values));
    }

    private Model network() {
        ModelBuilder b = ModelBuilder.onnx(20);
        Value x = b.input("input", DataType.FLOAT, Shape.of(Dim.symbolic("batch"), Dim.of(1), Dim.of(12), Dim.of(12)));
        Value y = b.op("Conv", List.of(Attribute.of("pads", 1L, 1L, 1L, 1L)), x, weight(b, "c1.weight", 8, 1, 3, 3),
                ones(b, "c1.bias", 0.1f, 8));
        y = b.op("LeakyRelu", List.of(Attribute.of("alpha", 0.1f)), y);
        // depthwise (group 8) and dilated
        y = b.op("Conv", List.of(Attribute.of("group", 8L), Attribute.of("dilations", 2L, 2L),
                Attribute.of("pads", 2L, 2L, 2L, 2L)), y, weight(b, "dw.weight", 8, 1, 3, 3));
        y = b.op("MaxPool", List.of(Attribute.of("kernel_shape", 3L, 3L), Attribute.of("strides", 2L, 2L),
                Attribute.of("pads", 1L, 1L, 1L, 1L)), y);
        // grouped (2 groups of 4)
        y = b.op("Conv", List.of(Attribute.of("group", 2L)), y, weight(b, "g.weight", 8, 4, 1, 1));
        // upsample and back: ConvTranspose (stride 2, pads, output_padding) then a strided Conv
        y = b.op("ConvTranspose", List.of(Attribute.of("strides", 2L, 2L), Attribute.of("pads", 1L, 1L, 1L, 1L),
                Attribute.of("output_padding", 1L, 1L)), y, weight(b, "up.weight", 8, 4, 3, 3), ones(b, "up.bias", 0f, 4));
        y = b.op("Conv", List.of(Attribute.of("strides", 2L, 2L), Attribute.of("pads", 1L, 1L, 1L, 1L)), y,
                weight(b, "down.weight", 8, 4, 3, 3));
        y = b.op("AveragePool", List.of(Attribute.of("kernel_shape", 2L, 2L), Attribute.of("strides", 2L, 2L)), y);
        Value shape = b.op("Concat", List.of(Attribute.of("axis", 0L)),
                b.op("Slice", b.op("Shape", y), b.initializer("zero", Tensor.ofLongs(new long[] {1}, 0)),
                        b.initializer("one", Tensor.ofLongs(new long[] {1}, 1))),
                b.initializer("rest", Tensor.ofLongs(new long[] {1}, -1)));
        y = b.op("Reshape", y, shape);
        y = b.op("Gemm", List.of(Attribute.of("transB", 1L)), y, weight(b, "fc1.weight", 16, 72),
                ones(b, "fc1.bias", 0f, 16));
        y = b.op("BatchNormalization", y, ones(b, "bn.scale", 1.5f, 16), ones(b, "bn.bias", 0.1f, 16),
                ones(b, "bn.mean", 0.2f, 16), ones(b, "bn.var", 2f, 16));
        y = b.op("Gelu", y);
        y = b.op("LayerNormalization", y, ones(b, "ln.scale", 1f, 16), ones(b, "ln.bias", 0f, 16));
        Value logits = b.op("MatMul", y, weight(b, "fc2.weight", 16, 10));
        b.output(logits, DataType.FLOAT, -1, 10);
        logits.setName("logits");
        return b.build();
    }

    private Dataset images(int samples, long seed) throws Exception {
        return images(samples, seed, new long[] {samples, 1, 12, 12});
    }

    private Dataset images(int samples, long seed, long[] dims) throws Exception {
        Random r = new Random(seed);
        float[] pixels = new float[samples * 144];
        long[] labels = new long[samples];
        for (int s = 0; s < samples; s++) {
            labels[s] = r.nextInt(10);
            for (int i = 0; i < 144; i++) {
                // each class lights a different band of rows, plus noise: learnable
                pixels[s * 144 + i] = (float) ((i / 12 == labels[s] ? 1 : 0) + 0.3 * r.nextGaussian());
            }
        }
        return Dataset.of(Path.of("synthetic.npz"), Map.of("input", Tensor.ofFloats(dims, pixels)), labels);
    }

    @Test
    void computesWhatOnnxRuntimeComputesAndTrains() throws Exception {
        Model model = network();
        Dataset data = images(512, 1);
        Map<String, Tensor> feeds = Map.of("input", data.head(32).arrays().get("input"));
        float[] expected;
        try (InferenceSession session = InferenceSession.open(ModelExporter.toBytes(model), SessionConfig.defaults())) {
            expected = session.run(feeds).get("logits").toFloatArray();
        }
        try (TrainableModel trainable = TrainableModel.of(model)) {
            float[] actual = trainable.forward(feeds).get("logits");
            float scale = 0;
            for (float v : expected) {
                scale = Math.max(scale, Math.abs(v));
            }
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 1e-4 * scale, "logit " + i);
            }
            Map<String, Tensor> before = trainable.weights();
            List<TrainableModel.Epoch> epochs = trainable.train(data, new TrainingConfig(8, 3e-3, 32, 1),
                    Progress.NONE);
            assertTrue(epochs.get(7).loss() < 0.5 * epochs.get(0).loss(), epochs.toString());
            Map<String, Tensor> after = trainable.weights();
            for (String name : List.of("c1.weight", "dw.weight", "g.weight", "up.weight", "down.weight", "fc1.weight",
                    "fc2.weight")) {
                assertTrue(!java.util.Arrays.equals(before.get(name).toFloatArray(), after.get(name).toFloatArray()),
                        name + " was trained");
            }
            double accuracy = trainable.accuracy(images(256, 2));
            System.out.printf("Trainable operators: losses %s, held-out top-1 %.3f%n", epochs.stream().map(e -> String.format("%.3f", e.loss())).toList(), accuracy);
            assertTrue(accuracy > 0.8, "learns the synthetic classes: " + accuracy);
        }
    }

    @Test
    void sequencesTrainThroughOneDimensionalConvolutionAndPooling() throws Exception {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("input", DataType.FLOAT, Shape.of(Dim.symbolic("batch"), Dim.of(1), Dim.of(144)));
        Value y = b.op("Conv", List.of(Attribute.of("pads", 2L, 2L), Attribute.of("strides", new long[] {2})), x,
                weight(b, "c.weight", 8, 1, 5), ones(b, "c.bias", 0f, 8));
        y = b.op("MaxPool", List.of(Attribute.of("kernel_shape", new long[] {2}),
                Attribute.of("strides", new long[] {2})), b.op("Relu", y));
        y = b.op("Conv", List.of(Attribute.of("dilations", new long[] {3}), Attribute.of("group", 2L)), y,
                weight(b, "d.weight", 8, 4, 3));
        Value logits = b.op("Gemm", List.of(Attribute.of("transB", 1L)), b.op("Flatten", y),
                weight(b, "fc.weight", 10, 8 * 30));
        b.output(logits, DataType.FLOAT, -1, 10);
        Model model = b.build();
        Dataset data = images(512, 5, new long[] {512, 1, 144});
        Map<String, Tensor> feeds = Map.of("input", data.head(8).arrays().get("input"));
        float[] expected;
        try (InferenceSession session = InferenceSession.open(ModelExporter.toBytes(model), SessionConfig.defaults())) {
            expected = session.run(feeds).values().iterator().next().toFloatArray();
        }
        try (TrainableModel trainable = TrainableModel.of(model)) {
            float[] actual = trainable.forward(feeds).values().iterator().next();
            for (int i = 0; i < expected.length; i++) {
                assertEquals(expected[i], actual[i], 1e-4 * Math.max(1, Math.abs(expected[i])), "logit " + i);
            }
            List<TrainableModel.Epoch> epochs = trainable.train(data, new TrainingConfig(4, 3e-3, 32, 1),
                    Progress.NONE);
            assertTrue(epochs.get(3).loss() < 0.5 * epochs.get(0).loss(), epochs.toString());
        }
    }

    /** Conv, then BatchNormalization whose running statistics are far from the data's. */
    private Model withStaleBatchNorm() {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("input", DataType.FLOAT, Shape.of(Dim.symbolic("batch"), Dim.of(1), Dim.of(12), Dim.of(12)));
        Value y = b.op("Conv", List.of(Attribute.of("pads", 1L, 1L, 1L, 1L)), x, weight(b, "c.weight", 4, 1, 3, 3));
        y = b.op("BatchNormalization", y, ones(b, "bn.scale", 1f, 4), ones(b, "bn.bias", 0f, 4),
                ones(b, "bn.mean", 5f, 4), ones(b, "bn.var", 0.1f, 4));
        y = b.op("Flatten", b.op("GlobalAveragePool", b.op("Relu", y)));
        Value logits = b.op("Gemm", List.of(Attribute.of("transB", 1L)), y, weight(b, "fc.weight", 10, 4));
        b.output(logits, DataType.FLOAT, -1, 10);
        return b.build();
    }

    @Test
    void batchNormalizationLearnsItsRunningStatisticsUnlessFrozen() throws Exception {
        Dataset data = images(512, 4);
        for (boolean train : List.of(true, false)) {
            Model model = withStaleBatchNorm();
            try (TrainableModel trainable = TrainableModel.of(model)) {
                trainable.train(data, new TrainingConfig(TrainingSettings.of(2, 1e-3, 32)
                        .withBatchNorm(train ? BatchNormMode.TRAIN : BatchNormMode.FROZEN), 1), Progress.NONE);
                trainable.writeBack(model);
                Map<String, Tensor> feeds = Map.of("input", data.head(16).arrays().get("input"));
                float[] tensorFlow = trainable.forward(feeds).values().iterator().next();
                float[] onnxRuntime;
                try (InferenceSession session = InferenceSession.open(ModelExporter.toBytes(model),
                        SessionConfig.defaults())) {
                    onnxRuntime = session.run(feeds).values().iterator().next().toFloatArray();
                }
                for (int i = 0; i < onnxRuntime.length; i++) {
                    assertEquals(onnxRuntime[i], tensorFlow[i], 1e-4 * Math.max(1, Math.abs(onnxRuntime[i])),
                            "the written-back model computes what was trained, " + i);
                }
            }
            float[] mean = model.graph().initializers().stream().filter(v -> v.name().equals("bn.mean")).findFirst()
                    .orElseThrow().constValue().toFloatArray();
            if (train) {
                for (float m : mean) {
                    assertTrue(Math.abs(m) < 2, "running means move from 5 towards the conv outputs' (near 0): " + m);
                }
            } else {
                assertEquals(5f, mean[0], "frozen statistics stay");
            }
        }
    }

    @Test
    void anUnsupportedOperatorIsRefusedNamingTheNode() {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, 1, 4);
        Value y = b.op("HardSwish", x);
        b.output(y, DataType.FLOAT, 1, 4);
        Model model = b.build();
        assertEquals(1, TrainableModel.unsupported(model).size());
        TranslationException e = assertThrows(TranslationException.class, () -> TrainableModel.of(model).close());
        assertTrue(e.getMessage().contains("HardSwish is not supported for training"), e.getMessage());
    }
}
