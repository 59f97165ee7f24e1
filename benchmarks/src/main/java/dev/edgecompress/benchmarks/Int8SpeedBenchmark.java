package dev.edgecompress.benchmarks;

import dev.edgecompress.ir.Tensor;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.Latency;
import dev.edgecompress.runtime.Progress;
import dev.edgecompress.runtime.SessionConfig;
import dev.edgecompress.runtime.SessionPool;
import dev.edgecompress.runtime.SyntheticInputs;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Times a float model and its int8 versions side by side in one ONNX Runtime process: three
 * sessions per model with intra-op spinning off, run alternately on the same made-up inputs,
 * rounds until every median's 95% interval is within 1% (or the time limit), as {@code validate}
 * times them. Prints
 * one line per model and batch: median milliseconds, and the speedup over float with its interval.
 *
 * <pre>Int8SpeedBenchmark BATCH[,BATCH...] FLOAT.onnx LABEL=INT8.onnx...</pre>
 */
public final class Int8SpeedBenchmark {

    /** Sessions per model, as validation times them: one session's placement bias averages out. */
    private static final int SESSIONS_PER_MODEL = 3;

    private Int8SpeedBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        List<Integer> batches = new ArrayList<>();
        for (String batch : args[0].split(",")) {
            batches.add(Integer.parseInt(batch));
        }
        List<String> labels = new ArrayList<>(List.of("float"));
        List<Path> models = new ArrayList<>(List.of(Path.of(args[1])));
        for (int i = 2; i < args.length; i++) {
            String[] labelled = args[i].split("=", 2);
            labels.add(labelled[0]);
            models.add(Path.of(labelled[1]));
        }
        SessionConfig config = SessionConfig.defaults().withoutSpinning();
        List<SessionPool> pools = new ArrayList<>();
        try {
            for (Path model : models) {
                pools.add(SessionPool.open(model, config, SESSIONS_PER_MODEL));
            }
            List<List<InferenceSession>> sessions = pools.stream().map(SessionPool::sessions).toList();
            for (int batch : batches) {
                Map<String, Tensor> feeds = SyntheticInputs.of(sessions.get(0).get(0).inputs(),
                        SyntheticInputs.Overrides.NONE, batch, 7);
                List<Map<String, Tensor>> allFeeds = sessions.stream().map(s -> feeds).toList();
                Latency.Timings timings = Latency.timePools(sessions, allFeeds, Latency.Plan.defaults(),
                        Progress.NONE);
                for (int m = 0; m < models.size(); m++) {
                    Latency.Stats s = timings.stats(m);
                    Latency.Speedup speedup = timings.speedup(0, m);
                    System.out.println(String.format(Locale.ROOT,
                            "%s batch=%d model=%s median_ms=%.4f speedup=%.3f low=%.3f high=%.3f runs=%d",
                            models.get(0).getFileName(), batch, labels.get(m), s.medianMs(), speedup.median(),
                            speedup.low(), speedup.high(), s.runs()));
                }
            }
        } finally {
            pools.forEach(SessionPool::close);
        }
    }
}
