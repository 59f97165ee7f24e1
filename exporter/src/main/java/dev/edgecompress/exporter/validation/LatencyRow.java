package dev.edgecompress.exporter.validation;

/**
 * Latency of reference and candidate on one execution provider and batch size, measured side by
 * side; times in milliseconds inside ONNX Runtime's run.
 *
 * @param speedup reference median / candidate median
 * @param speedupLow the speedup's lower end: reference median's lower 95% bound / candidate's upper
 * @param speedupHigh its upper end: reference median's upper bound / candidate's lower
 */
public record LatencyRow(String ep, int batch, int runs, double referenceMsP50, double referenceMsP90,
        double candidateMsP50, double candidateMsP90, double speedup, double speedupLow, double speedupHigh) {
}
