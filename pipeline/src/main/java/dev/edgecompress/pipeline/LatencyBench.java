package dev.edgecompress.pipeline;

import dev.edgecompress.importer.ModelFormatException;
import dev.edgecompress.importer.ModelImporter;
import dev.edgecompress.importer.data.DataFiles;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.data.DataFormatException;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.runtime.ExecutionProvider;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.Latency;
import dev.edgecompress.runtime.Progress;
import dev.edgecompress.runtime.SessionConfig;
import dev.edgecompress.runtime.SyntheticInputs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The latency of one model on ONNX Runtime, as {@code edgecompress bench} measures it: per
 * execution provider and batch size, on the first samples of a data file or on made-up inputs.
 */
public final class LatencyBench {

    /** One measurement: an execution provider and batch size. */
    public record Row(String ep, int batch, int runs, double msP50, double msP90, double msMean,
            double samplesPerSecond) {
    }

    private LatencyBench() {
    }

    /**
     * Measures {@code model}; {@code data} (null: made-up inputs, shaped and valued by
     * {@code inputs}) gives the samples.
     */
    public static List<Row> run(Path model, Path data, List<ExecutionProvider> providers, List<Integer> batches,
            Latency.Plan plan, SyntheticInputs.Overrides inputs, Progress progress)
            throws ModelFormatException, DataFormatException {
        ModelImporter.load(model); // a clear error for a bad file before ONNX Runtime's
        Dataset samples = data == null ? null : DataFiles.load(data);
        List<Row> rows = new ArrayList<>();
        for (ExecutionProvider ep : providers) {
            try (InferenceSession session = InferenceSession.open(model, SessionConfig.defaults().withProvider(ep))) {
                for (int batch : batches) {
                    Map<String, Tensor> feeds = SyntheticInputs.feeds(samples, session.inputs(), inputs, batch, 7);
                    int actual = SyntheticInputs.batchOf(feeds);
                    Latency.Stats s = Latency.measure(List.of(session), List.of(feeds), plan, progress).get(0);
                    rows.add(new Row(ep.id(), actual, s.runs(), s.medianMs(), s.p90Ms(), s.meanMs(),
                            actual / (s.medianMs() / 1000)));
                }
            }
        }
        return rows;
    }
}
