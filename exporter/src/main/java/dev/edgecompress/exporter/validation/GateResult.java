package dev.edgecompress.exporter.validation;

/**
 * One checked gate.
 *
 * @param name the gate's report name, with the execution provider and batch size for speedup
 *     gates ({@code min_speedup[cpu,batch=64]})
 * @param limit the gate's bound
 * @param value what was measured
 * @param passed whether the value is within the bound
 * @param message a sentence for people: what was measured against what
 */
public record GateResult(String name, double limit, double value, boolean passed, String message) {
}
