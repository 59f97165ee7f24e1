package dev.edgecompress.pipeline;

import dev.edgecompress.exporter.ModelExporter;
import dev.edgecompress.ir.Model;
import dev.edgecompress.ir.Tensor;
import dev.edgecompress.ir.data.DataFormatException;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.passes.ModelRunner;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.SessionConfig;
import dev.edgecompress.runtime.SyntheticInputs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Runs models on ONNX Runtime, in memory, on probe inputs fixed at the first run: the first samples
 * of the given data, or else inputs made up from the model's input specs (with dynamic dimensions
 * given by {@code shapes}), so that every model checked sees the same inputs.
 */
public final class RuntimeModelRunner implements ModelRunner {

    /** Samples of the data a check runs on. */
    static final int PROBE_SAMPLES = 8;

    private final Dataset data;
    private final SyntheticInputs.Overrides overrides;
    private Map<String, Tensor> feeds;

    /**
     * @param data samples to probe with, or null for made-up inputs
     * @param overrides shapes and values of made-up inputs
     */
    public RuntimeModelRunner(Dataset data, SyntheticInputs.Overrides overrides) {
        this.data = data;
        this.overrides = overrides;
    }

    @Override
    public Map<String, Tensor> run(Model model) {
        SessionConfig config = SessionConfig.defaults().withOptimization(SessionConfig.Optimization.NONE);
        try (InferenceSession session = InferenceSession.open(ModelExporter.toBytes(model), config)) {
            return session.run(feeds(session));
        } catch (DataFormatException e) {
            throw new IllegalStateException(e.getMessage(), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * Why ONNX Runtime cannot run {@code model} on the probe inputs (graph optimizations on, as
     * users will run it), or null when it runs, or when no probe inputs can be made for it (a
     * dynamic dimension without a --shape, say).
     */
    public String runProblem(Model model) {
        byte[] bytes;
        try {
            bytes = ModelExporter.toBytes(model);
        } catch (IOException e) {
            return null; // too large to run in memory: the load check alone applies
        }
        return runProblem(() -> InferenceSession.open(bytes, SessionConfig.defaults()));
    }

    /** As {@link #runProblem(Model)}, for a model file. */
    public String runProblem(Path model) {
        return runProblem(() -> InferenceSession.open(model, SessionConfig.defaults()));
    }

    private String runProblem(Supplier<InferenceSession> open) {
        try (InferenceSession session = open.get()) {
            Map<String, Tensor> probe;
            try {
                probe = feeds(session);
            } catch (DataFormatException | RuntimeException e) {
                return null;
            }
            session.run(probe);
            return null;
        } catch (RuntimeException e) {
            return String.valueOf(e.getMessage()).replace('\n', ' ');
        }
    }

    /** The probe inputs, made for the first session and kept, so every model checked sees the same. */
    private Map<String, Tensor> feeds(InferenceSession session) throws DataFormatException {
        if (feeds == null) {
            feeds = data != null ? data.bind(session.inputs()).firstBatch(PROBE_SAMPLES)
                    : SyntheticInputs.of(session.inputs(), overrides, 1, 17);
        }
        return feeds;
    }

    @Override
    public String describeInputs() {
        return data != null ? "the first " + PROBE_SAMPLES + " samples of " + data.source().getFileName()
                : "made-up inputs";
    }
}
