package dev.edgecompress.runtime.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.edgecompress.ir.Attribute;
import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Dim;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.ModelBuilder;
import dev.edgecompress.ir.Shape;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.Value;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.runtime.Progress;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class TrainingDeviceTest {

    private static final boolean GPU_BUILD = TrainingDevice.class.getClassLoader()
            .getResource("org/tensorflow/internal/c_api/linux-x86_64-gpu/") != null;

    /** A softmax regression over 16 features, 4 classes. */
    private static Model linear() {
        ModelBuilder b = ModelBuilder.onnx(17);
        Value x = b.input("x", DataType.FLOAT, Shape.of(Dim.symbolic("batch"), Dim.of(16)));
        Value w = b.initializer("w", Tensor.ofFloats(new long[] {4, 16}, new float[64]));
        Value y = b.op("Gemm", List.of(Attribute.of("transB", 1L)), x, w, b.initializer("b",
                Tensor.ofFloats(new long[] {4}, new float[4])));
        b.output(y, DataType.FLOAT, -1, 4);
        return b.build();
    }

    private static Dataset separable() throws Exception {
        Random random = new Random(5);
        float[] x = new float[256 * 16];
        long[] labels = new long[256];
        for (int s = 0; s < 256; s++) {
            labels[s] = s % 4;
            for (int i = 0; i < 16; i++) {
                x[s * 16 + i] = (float) ((i % 4 == labels[s] ? 1 : 0) + 0.2 * random.nextGaussian());
            }
        }
        return Dataset.of(Path.of("separable.npz"), Map.of("x", Tensor.ofFloats(new long[] {256, 16}, x)), labels);
    }

    @Test
    void theCpuBuildSaysHowToGetTheGpu() {
        assumeTrue(!GPU_BUILD, "this checks the CPU build's message; the GPU build (mvn -Pgpu) has the GPU library");
        assertNotNull(TrainingDevice.gpuProblem());
        assertTrue(TrainingDevice.gpuProblem().contains("mvn -Pgpu"), TrainingDevice.gpuProblem());
        assertEquals(TrainingDevice.CPU, TrainingDevice.best());
        assertEquals(TrainingDevice.CPU, TrainingDevice.parse("auto"));
        DeviceUnavailableException e = assertThrows(DeviceUnavailableException.class,
                () -> TrainableModel.of(linear(), TrainingDevice.GPU).close());
        assertEquals(TrainingDevice.gpuProblem(), e.getMessage());
    }

    @Test
    void trainsOnTheCpu() throws Exception {
        try (TrainableModel model = TrainableModel.of(linear(), TrainingDevice.CPU)) {
            List<TrainableModel.Epoch> epochs = model.train(separable(), new TrainingConfig(3, 0.05, 32, 1),
                    Progress.NONE);
            assertEquals(TrainingDevice.CPU, model.device());
            assertTrue(epochs.get(2).loss() < epochs.get(0).loss(), epochs.toString());
        }
    }

    @Test
    void trainsOnTheGpu() throws Exception {
        assumeTrue(TrainingDevice.gpuProblem() == null, "no GPU for TensorFlow here: " + TrainingDevice.gpuProblem());
        Dataset data = separable();
        try (TrainableModel model = TrainableModel.of(linear(), TrainingDevice.GPU)) {
            List<TrainableModel.Epoch> epochs = model.train(data, new TrainingConfig(3, 0.05, 32, 1), Progress.NONE);
            assertEquals(TrainingDevice.GPU, model.device());
            assertTrue(epochs.get(2).loss() < epochs.get(0).loss(), epochs.toString());
            assertTrue(model.accuracy(data) > 0.9, "learns a separable problem on the GPU");
        }
    }
}
