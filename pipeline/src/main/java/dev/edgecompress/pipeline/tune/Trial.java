package dev.edgecompress.pipeline.tune;

import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * One recipe {@link Tuner} tried, and what validation found.
 *
 * @param number the order in which it started, from 1
 * @param stage the part of the search it belongs to (quantize, prune, low-rank, channels)
 * @param steps the recipe's steps as a recipe file holds them ({@code type} and its fields); after
 *     an accuracy-aware fallback, the nodes it left in float are in the quantize step's
 *     {@code exclude}, so the steps reproduce the model
 * @param bytes the written model's size (null when the trial failed before writing)
 * @param gzipBytes its gzip size
 * @param accuracy top-1 accuracy on the evaluation data, or agreement with the original without labels
 * @param accuracyDrop the original's accuracy minus this, in points
 * @param speedup the smallest speedup over the batch sizes measured, or null when not measured
 *     (only trials that pass the other gates are timed)
 * @param seconds how long the trial took
 * @param passed whether every gate passed
 * @param failedGates the gates that failed, as validation words them
 * @param miss how far the worst failed gate was from its limit, relative to the limit (0 when
 *     passed, null when the trial did not run)
 * @param error why the trial could not run (null when it ran): a pass that had nothing to act on
 */
public record Trial(int number, String stage, List<Map<String, Object>> steps, Long bytes, Long gzipBytes,
        Double accuracy, Double accuracyDrop, Double speedup, double seconds, boolean passed, List<String> failedGates,
        Double miss, String error) implements java.io.Serializable {

    public Trial {
        steps = List.copyOf(steps);
        failedGates = List.copyOf(failedGates);
    }

    /** The steps in a line: {@code prune l1 0.75, finetune 2 epochs, quantize static}. */
    public String describe() {
        return steps.stream().map(step -> step.get("type") + step.entrySet().stream()
                .filter(e -> !e.getKey().equals("type")).map(e -> " " + e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(""))).collect(Collectors.joining(", "));
    }

    /** Whether it ran and was measured (it may have failed its gates). */
    public boolean measured() {
        return error == null && bytes != null;
    }
}
