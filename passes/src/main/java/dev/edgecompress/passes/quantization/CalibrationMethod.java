package dev.edgecompress.passes.quantization;

import dev.edgecompress.ir.SettingException;
import java.util.Locale;

/** How an activation's quantization range is chosen from calibration data, as ONNX Runtime's calibrators. */
public enum CalibrationMethod {
    /** The observed minimum and maximum. */
    MINMAX,
    /** The central percentile (99.999% by default) of the observed values: outliers are clipped. */
    PERCENTILE,
    /** The clipping threshold whose 128-level quantization loses least information (KL divergence). */
    ENTROPY,
    /**
     * The range whose 8-bit quantization has the least mean squared error over the observed
     * values, clipping included (as PyTorch's HistogramObserver aims for).
     */
    MSE;

    public String id() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static CalibrationMethod parse(String text) {
        for (CalibrationMethod method : values()) {
            if (method.id().equals(text)) {
                return method;
            }
        }
        throw new SettingException("calibration", "must be minmax, percentile, entropy or mse, got '" + text + "'");
    }
}
