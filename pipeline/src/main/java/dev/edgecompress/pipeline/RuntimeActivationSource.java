package dev.edgecompress.pipeline;

import dev.edgecompress.exporter.ExposedValues;
import dev.edgecompress.exporter.ModelExporter;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.data.Batches;
import dev.edgecompress.ir.data.DataFormatException;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.passes.ActivationSource;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.SessionConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Calibration data run through ONNX Runtime: the model is serialized in memory with the requested
 * values added as graph outputs, those inside If branches too (the model itself is left as it
 * was), then run batch by batch.
 * Graph optimizations are off, so every requested value exists as computed by the model's nodes.
 */
public final class RuntimeActivationSource implements ActivationSource {

    private final Dataset data;
    private final int batchSize;

    /** @param data calibration samples, already checked against the model's inputs */
    public RuntimeActivationSource(Dataset data, int batchSize) {
        this.data = data;
        this.batchSize = batchSize;
    }

    /** Calibration data for {@code model}, checked against its inputs now, so that a mismatch is a data error. */
    public static RuntimeActivationSource checked(Model model, Dataset data, int batchSize)
            throws DataFormatException, IOException {
        try (InferenceSession session = InferenceSession.open(ModelExporter.toBytes(model), SessionConfig.defaults())) {
            data.bind(session.inputs());
        }
        return new RuntimeActivationSource(data, batchSize);
    }

    @Override
    public long samples() {
        return data.size();
    }

    @Override
    public void collect(Model model, List<String> values, Consumer<Map<String, Tensor>> batch) {
        ExposedValues copy;
        try {
            copy = ExposedValues.of(model, values);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        collect(copy.model(), copy.outputNames(), values, batch);
    }

    /**
     * Runs a serialized model that already exposes the values ({@link ExposedValues}): {@code exposed}
     * maps each value named in {@code values} to the graph output that carries it.
     */
    public void collect(byte[] model, Map<String, String> exposed, List<String> values,
            Consumer<Map<String, Tensor>> batch) {
        SessionConfig config = SessionConfig.defaults().withOptimization(SessionConfig.Optimization.NONE);
        try (InferenceSession session = InferenceSession.open(model, config)) {
            Batches batches = data.bind(session.inputs());
            for (Batches.Batch b : batches.of(batchSize)) {
                Map<String, Tensor> outputs = session.run(b.feeds());
                Map<String, Tensor> selected = new LinkedHashMap<>();
                for (String name : values) {
                    Tensor tensor = outputs.get(exposed.get(name));
                    selected.put(name, !b.wholeInputs() && tensor.rank() > 0 && tensor.dim(0) > b.samples()
                            && b.samples() < batchSize ? Batches.rows(tensor, b.samples()) : tensor);
                }
                batch.accept(selected);
            }
        } catch (DataFormatException e) {
            throw new IllegalStateException("calibration data no longer fit the model: " + e.getMessage(), e);
        }
    }
}
