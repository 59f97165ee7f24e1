package dev.edgecompress.exporter.validation;

/**
 * How the candidate's outputs compare with the reference's on the data.
 *
 * @param samples samples evaluated
 * @param labels whether accuracy is against labels (else against the reference's top-1)
 * @param agreement fraction of samples with the same top-1 class
 * @param maxAbsError largest absolute difference of any output value
 * @param meanAbsError mean absolute difference
 * @param sqnrDb signal-to-quantization-noise ratio in dB; null when the outputs are identical
 * @param evaluationSeconds wall time of evaluating both models
 * @param runtimeShare share of that time spent inside ONNX Runtime
 * @param outputs each output's SQNR (null when identical) and cosine similarity, by output name
 */
public record OutputMetrics(long samples, boolean labels, double agreement, double maxAbsError, double meanAbsError,
        Double sqnrDb, double evaluationSeconds, double runtimeShare, java.util.Map<String, Output> outputs) {

    /** How one output compares: SQNR in dB (null when identical) and cosine similarity. */
    public record Output(Double sqnrDb, double cosine) {
    }

    public OutputMetrics {
        outputs = outputs == null ? java.util.Map.of() : java.util.Collections.unmodifiableMap(
                new java.util.LinkedHashMap<>(outputs));
    }
}
