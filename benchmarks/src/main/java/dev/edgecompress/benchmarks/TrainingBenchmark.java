package dev.edgecompress.benchmarks;

import dev.edgecompress.importer.ModelImporter;
import dev.edgecompress.importer.data.DataFiles;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.runtime.Progress;
import dev.edgecompress.runtime.training.TrainableModel;
import dev.edgecompress.runtime.training.TrainingConfig;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;

/**
 * Training throughput of the TensorFlow Java translation: Adam, batch 64, samples per second per
 * epoch (the first includes graph building and warm-up).
 *
 * <pre>TrainingBenchmark MODEL TRAIN.npz EPOCHS</pre>
 */
public final class TrainingBenchmark {

    private TrainingBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        Dataset data = DataFiles.load(Path.of(args[1]));
        int epochs = Integer.parseInt(args[2]);
        try (TrainableModel trainable = TrainableModel.of(ModelImporter.load(model))) {
            List<TrainableModel.Epoch> result = trainable.train(data, new TrainingConfig(epochs, 1e-3, 64, 1),
                    Progress.NONE);
            double[] rates = result.stream().mapToDouble(TrainableModel.Epoch::samplesPerSecond).toArray();
            double[] warm = Arrays.copyOfRange(rates, 1, rates.length);
            Arrays.sort(warm);
            System.out.printf("%s: edgecompress (TensorFlow Java 1.1.0, CPU) training, samples/s per epoch %s,"
                    + " median after the first %.0f%n", model.getFileName(),
                    Arrays.toString(Arrays.stream(rates).map(Math::round).toArray()), warm[warm.length / 2]);
        }
    }
}
