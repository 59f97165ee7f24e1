package dev.edgecompress.passes;

import dev.edgecompress.ir.DataType;
import dev.edgecompress.ir.Tensor;
import java.util.Arrays;
import java.util.Locale;
import java.util.Map;

/**
 * Whether a rewrite that must not change results kept them: the outputs before and after, on the
 * same probe inputs, equal in shape and within a relative tolerance (float outputs; others exactly).
 */
public final class OutputCheck {

    /** Relative to the largest magnitude of each output. */
    public static final double TOLERANCE = 1e-4;

    private OutputCheck() {
    }

    /**
     * The largest relative difference over the outputs, or -1 with {@code problem} filled when an
     * output differs beyond the tolerance (or in shape, or is missing).
     */
    public static double compare(Map<String, Tensor> before, Map<String, Tensor> after, StringBuilder problem) {
        double worst = 0;
        for (Map.Entry<String, Tensor> entry : before.entrySet()) {
            Tensor reference = entry.getValue();
            Tensor rewritten = after.get(entry.getKey());
            if (rewritten == null || !Arrays.equals(reference.dims(), rewritten.dims())) {
                problem.append("output '").append(entry.getKey()).append("': shape ")
                        .append(Arrays.toString(reference.dims())).append(" became ")
                        .append(rewritten == null ? "missing" : Arrays.toString(rewritten.dims()));
                return -1;
            }
            if (reference.type() != DataType.FLOAT) {
                if (!reference.contentEquals(rewritten)) {
                    problem.append("output '").append(entry.getKey()).append("' changed");
                    return -1;
                }
                continue;
            }
            float[] a = reference.toFloatArray();
            float[] b = rewritten.toFloatArray();
            double scale = 1e-6;
            double error = 0;
            for (int i = 0; i < a.length; i++) {
                scale = Math.max(scale, Math.abs(a[i]));
                error = Math.max(error, Math.abs(a[i] - b[i]));
            }
            double relative = error / scale;
            if (!(relative <= TOLERANCE)) {
                problem.append(String.format(Locale.ROOT, "output '%s' changed by %.3g (relative %.3g, tolerance"
                        + " %.0g)", entry.getKey(), error, relative, TOLERANCE));
                return -1;
            }
            worst = Math.max(worst, relative);
        }
        return worst;
    }
}
