package dev.edgecompress.passes.pruning;

import dev.edgecompress.ir.SettingException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A gradual pruning schedule, as TensorFlow Model Optimization's {@code PolynomialDecay}: sparsity
 * rises from {@code initialSparsity} at {@code beginStep} to {@code finalSparsity} at
 * {@code endStep} along
 * <pre>
 *   s(t) = s_final + (s_initial - s_final) * (1 - (t - begin) / (end - begin)) ^ power
 * </pre>
 * and pruning happens every {@code frequency} training steps in between (and at the end step),
 * so the network can recover between cuts. Fine-tuning drives it; pruned weights stay zero
 * between cuts.
 */
public record PolynomialDecay(double initialSparsity, double finalSparsity, long beginStep, long endStep,
        long frequency, double power) {

    public PolynomialDecay {
        check("initial_sparsity", initialSparsity);
        check("final_sparsity", finalSparsity);
        if (finalSparsity < initialSparsity) {
            throw new SettingException("final_sparsity", "must not be below initial_sparsity");
        }
        if (beginStep < 0 || endStep <= beginStep) {
            throw new SettingException("end_step", "must be after begin_step (" + beginStep + "), got " + endStep);
        }
        if (frequency < 1) {
            throw new SettingException("frequency", "must be at least 1 step, got " + frequency);
        }
        if (!(power > 0)) {
            throw new SettingException("power", "must be positive, got " + power);
        }
    }

    /** Its parameters as a step's {@code schedule} holds them (and {@code Steps.schedule} reads them). */
    public Map<String, Object> params() {
        Map<String, Object> params = new LinkedHashMap<>();
        params.put("initial_sparsity", initialSparsity);
        params.put("final_sparsity", finalSparsity);
        params.put("begin_step", beginStep);
        params.put("end_step", endStep);
        params.put("frequency", frequency);
        params.put("power", power);
        return params;
    }

    /** The target sparsity at training step {@code step}. */
    public double sparsityAt(long step) {
        if (step <= beginStep) {
            return initialSparsity;
        }
        if (step >= endStep) {
            return finalSparsity;
        }
        double progress = (double) (step - beginStep) / (endStep - beginStep);
        return finalSparsity + (initialSparsity - finalSparsity) * Math.pow(1 - progress, power);
    }

    /** Whether weights are pruned (to {@link #sparsityAt}) at training step {@code step}. */
    public boolean prunesAt(long step) {
        return step >= beginStep && step <= endStep && ((step - beginStep) % frequency == 0 || step == endStep);
    }

    private static void check(String field, double value) {
        if (!(value >= 0 && value < 1)) {
            throw new SettingException(field, "must be a fraction in [0, 1), got " + value);
        }
    }
}
