package dev.edgecompress.benchmarks;

import dev.edgecompress.importer.data.DataFiles;
import dev.edgecompress.ir.data.Dataset;
import dev.edgecompress.runtime.Evaluation;
import dev.edgecompress.runtime.InferenceSession;
import dev.edgecompress.runtime.Progress;
import dev.edgecompress.runtime.SessionConfig;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * Where evaluation time goes: loading the data, then evaluating a model against itself over the
 * whole dataset several times in one process (the first pass includes JIT warm-up), reporting the
 * share of each pass spent inside ONNX Runtime's run.
 *
 * <pre>EvaluationBenchmark MODEL DATA.npz [PASSES] [BATCH]</pre>
 */
public final class EvaluationBenchmark {

    private EvaluationBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        Path model = Path.of(args[0]);
        Path data = Path.of(args[1]);
        int passes = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        int batch = args.length > 3 ? Integer.parseInt(args[3]) : 64;

        long start = System.nanoTime();
        Dataset dataset = DataFiles.load(data);
        double loadSeconds = (System.nanoTime() - start) / 1e9;

        double[] shares = new double[passes];
        double[] seconds = new double[passes];
        double accuracy = Double.NaN;
        try (InferenceSession reference = InferenceSession.open(model, SessionConfig.defaults());
                InferenceSession candidate = InferenceSession.open(model, SessionConfig.defaults())) {
            for (int pass = 0; pass < passes; pass++) {
                Evaluation.Result result = Evaluation.run(reference, candidate, dataset, batch, Progress.NONE);
                shares[pass] = result.runtimeShare();
                seconds[pass] = result.totalNanos() / 1e9;
                accuracy = result.referenceAccuracy();
            }
        }
        double[] warm = Arrays.copyOfRange(shares, 1, passes);
        Arrays.sort(warm);
        System.out.printf("{\"model\": \"%s\", \"samples\": %d, \"batch\": %d, \"load_s\": %.3f, \"accuracy\": %.4f,"
                        + " \"pass_s\": %s, \"runtime_share\": %s, \"first_pass_share\": %.3f,"
                        + " \"warm_median_share\": %.3f}%n", model.getFileName(), dataset.size(), batch, loadSeconds,
                accuracy, Arrays.toString(round(seconds)), Arrays.toString(round(shares)), shares[0],
                warm.length == 0 ? Double.NaN : warm[warm.length / 2]);
    }

    private static double[] round(double[] values) {
        return Arrays.stream(values).map(v -> Math.round(v * 1000) / 1000.0).toArray();
    }
}
