package dev.edgecompress.exporter.validation;

/**
 * One node's damage when it alone is quantized, as the report lists it.
 *
 * @param accuracyDrop top-1 accuracy lost, in points (NaN without labels)
 * @param agreement top-1 agreement with the float model
 * @param sqnrDb signal-to-quantization-noise ratio of the outputs (null when identical)
 */
public record NodeSensitivity(String node, String opType, double accuracyDrop, double agreement, Double sqnrDb) {
}
