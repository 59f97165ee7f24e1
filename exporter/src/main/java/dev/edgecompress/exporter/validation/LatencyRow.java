package dev.edgecompress.exporter.validation;

/**
 * Latency of reference and candidate on one execution provider and batch size, measured side by
 * side; times in milliseconds inside ONNX Runtime's run.
 *
 * @param speedup the median over rounds of the reference's time / the candidate's in the same round
 *     ({@code Latency.Speedup})
 * @param speedupLow the lower end of the speedup's 95% confidence interval
 * @param speedupHigh its upper end
 */
public record LatencyRow(String ep, int batch, int runs, double referenceMsP50, double referenceMsP90,
        double candidateMsP50, double candidateMsP90, double speedup, double speedupLow, double speedupHigh) {
}
