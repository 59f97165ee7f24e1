package dev.edgecompress.exporter.validation;

import dev.edgecompress.passes.PassPipeline.Step;
import java.util.List;

/**
 * What validation found: both models' size and accuracy, how their outputs differ, their latency
 * side by side, the pipeline steps that made the candidate, and the gates. Written as report.json
 * (see {@link ReportWriter}); its fields are a stable contract for CI scripts.
 *
 * @param data the dataset, or null when none was given
 * @param metrics output comparison, or null without data
 */
public record ValidationReport(String tool, ModelStats reference, ModelStats candidate, String data,
        OutputMetrics metrics, List<LatencyRow> latency, List<Step> steps, List<GateResult> gates, boolean passed) {

    public ValidationReport {
        latency = List.copyOf(latency);
        steps = List.copyOf(steps);
        gates = List.copyOf(gates);
    }

    /** The gates that failed. */
    public List<GateResult> failedGates() {
        return gates.stream().filter(g -> !g.passed()).toList();
    }

    /** A copy with the pipeline steps that made the candidate. */
    public ValidationReport withSteps(List<Step> pipelineSteps) {
        return new ValidationReport(tool, reference, candidate, data, metrics, latency, pipelineSteps, gates, passed);
    }
}
