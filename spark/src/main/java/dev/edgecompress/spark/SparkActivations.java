package dev.edgecompress.spark;

import dev.edgecompress.exporter.ExposedValues;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.data.DataFormatException;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.passes.ActivationSource;
import dev.edgecompress.pipeline.RuntimeActivationSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;

/**
 * Calibration data whose statistics are gathered on Spark's executors: the data in parts of whole
 * batches, one task each, the model (its values exposed as outputs) broadcast; each task adds its
 * part to a copy of the statistic and the copies merge here, exactly. Values handed back batch by
 * batch ({@link #collect}) are computed in this process.
 */
final class SparkActivations implements ActivationSource {

    private final JavaSparkContext spark;
    private final Dataset data;
    private final int batchSize;

    SparkActivations(JavaSparkContext spark, Dataset data, int batchSize) {
        this.spark = spark;
        this.data = data;
        this.batchSize = batchSize;
    }

    @Override
    public void collect(Model model, List<String> values, Consumer<Map<String, Tensor>> batch) {
        new RuntimeActivationSource(data, batchSize).collect(model, values, batch);
    }

    @Override
    public <S extends Statistic<S>> S reduce(Model model, List<String> values, S statistic) {
        ExposedValues exposed;
        List<DataPart> parts;
        try {
            exposed = ExposedValues.of(model, values);
            parts = DataPart.split(data, batchSize, spark.defaultParallelism());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (DataFormatException e) {
            throw new IllegalStateException(e.getMessage(), e);
        }
        Broadcast<byte[]> bytes = spark.broadcast(exposed.model());
        Map<String, String> outputs = new LinkedHashMap<>(exposed.outputNames());
        List<String> names = new ArrayList<>(values);
        int batch = batchSize;
        try {
            List<S> gathered = spark.parallelize(parts, parts.size())
                    .map(part -> gather(part, bytes, outputs, names, batch, statistic)).collect();
            gathered.forEach(statistic::merge);
            return statistic;
        } finally {
            bytes.destroy();
        }
    }

    /** On an executor: {@code statistic}, this task's own copy, over one part. */
    private static <S extends Statistic<S>> S gather(DataPart part, Broadcast<byte[]> model,
            Map<String, String> outputs, List<String> names, int batchSize, S statistic) throws DataFormatException {
        new RuntimeActivationSource(part.dataset(), batchSize).collect(model.value(), outputs, names, statistic::add);
        return statistic;
    }

    @Override
    public long samples() {
        return data.size();
    }
}
