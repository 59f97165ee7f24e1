package dev.edgecompress.exporter.validation;

import dev.edgecompress.passes.PassPipeline.Step;
import java.util.List;
import java.util.Map;

/**
 * What validation found: both models' size and accuracy, how their outputs differ, their latency
 * side by side, the pipeline steps that made the candidate, and the gates. Written as report.json
 * (see {@link ReportWriter}); its fields are a stable contract for CI scripts.
 *
 * @param data the dataset, or null when none was given
 * @param metrics output comparison, or null without data
 * @param candidateRuntimeOps per execution provider, the operators ONNX Runtime runs for the
 *     candidate after its graph optimizations (whether int8 kernels were fused shows here)
 * @param warnings facts a user should not miss, such as a candidate slower than its reference
 * @param quantization per-node sensitivity and the nodes returned to float, or null
 */
public record ValidationReport(String tool, ModelStats reference, ModelStats candidate, String data,
        OutputMetrics metrics, List<LatencyRow> latency, Map<String, Map<String, Integer>> candidateRuntimeOps,
        List<Step> steps, List<GateResult> gates, List<String> warnings, Quantization quantization, boolean passed) {

    /**
     * What accuracy-aware quantization found.
     *
     * @param sensitivity weighted nodes, most damaging first, when quantized alone
     * @param fallbackToFloat the nodes kept in float so that the accuracy gate passes, in order
     */
    public record Quantization(List<NodeSensitivity> sensitivity,
            List<String> fallbackToFloat) {
    }

    public ValidationReport {
        latency = List.copyOf(latency);
        candidateRuntimeOps = Map.copyOf(candidateRuntimeOps);
        steps = List.copyOf(steps);
        gates = List.copyOf(gates);
        warnings = List.copyOf(warnings);
    }

    /** The gates that failed. */
    public List<GateResult> failedGates() {
        return gates.stream().filter(g -> !g.passed()).toList();
    }

    /** A copy with the pipeline steps that made the candidate; their warnings come first among the warnings. */
    public ValidationReport withSteps(List<Step> pipelineSteps) {
        List<String> all = new java.util.ArrayList<>();
        pipelineSteps.forEach(s -> all.addAll(s.warnings()));
        all.addAll(warnings.stream().filter(w -> !all.contains(w)).toList());
        return new ValidationReport(tool, reference, candidate, data, metrics, latency, candidateRuntimeOps,
                pipelineSteps, gates, all, quantization, passed);
    }

    /** A copy with one more warning. */
    public ValidationReport withWarning(String warning) {
        List<String> all = new java.util.ArrayList<>(warnings);
        all.add(warning);
        return new ValidationReport(tool, reference, candidate, data, metrics, latency, candidateRuntimeOps, steps,
                gates, all, quantization, passed);
    }

    /** A copy with what accuracy-aware quantization found. */
    public ValidationReport withQuantization(Quantization found) {
        return new ValidationReport(tool, reference, candidate, data, metrics, latency, candidateRuntimeOps, steps,
                gates, warnings, found, passed);
    }
}
