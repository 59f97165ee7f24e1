package dev.edgecompress.passes.quantization;

import dev.edgecompress.ir.SettingException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Configuration of int8 quantization.
 *
 * @param calibration how activation ranges are chosen (static only)
 * @param percentile the central percentile kept by {@link CalibrationMethod#PERCENTILE}
 * @param perChannel one scale per output channel of each weight (else one per weight)
 * @param symmetricActivations int8 symmetric activations instead of uint8 asymmetric
 * @param exclude node names or op types left in float
 * @param perTensor names of nodes whose weights take one scale although {@code perChannel}
 */
public record QuantizationConfig(CalibrationMethod calibration, double percentile, boolean perChannel,
        boolean symmetricActivations, Set<String> exclude, Set<String> perTensor) {

    public static final double DEFAULT_PERCENTILE = 99.999;

    public QuantizationConfig {
        if (!(percentile > 50 && percentile <= 100)) {
            throw new SettingException("percentile", "must be in (50, 100], got " + percentile);
        }
        exclude = new TreeSet<>(exclude);
        perTensor = new TreeSet<>(perTensor);
    }

    public QuantizationConfig(CalibrationMethod calibration, double percentile, boolean perChannel,
            boolean symmetricActivations, Set<String> exclude) {
        this(calibration, percentile, perChannel, symmetricActivations, exclude, Set.of());
    }

    public static QuantizationConfig defaults() {
        return new QuantizationConfig(CalibrationMethod.MINMAX, DEFAULT_PERCENTILE, true, false, Set.of());
    }

    public QuantizationConfig withCalibration(CalibrationMethod method) {
        return new QuantizationConfig(method, percentile, perChannel, symmetricActivations, exclude, perTensor);
    }

    public QuantizationConfig withExclude(Set<String> names) {
        return new QuantizationConfig(calibration, percentile, perChannel, symmetricActivations, names, perTensor);
    }

    /** This configuration with the weights of the nodes named {@code names} per tensor. */
    public QuantizationConfig withPerTensor(Set<String> names) {
        return new QuantizationConfig(calibration, percentile, perChannel, symmetricActivations, exclude, names);
    }

    /** Whether {@code node}'s weight takes one scale per output channel. */
    boolean perChannel(String nodeName) {
        return perChannel && (nodeName == null || !perTensor.contains(nodeName));
    }

    /** Whether the node named {@code nodeName}, of {@code opType}, stays float. */
    public boolean excludes(String nodeName, String opType) {
        return nodeName != null && exclude.contains(nodeName) || exclude.contains(opType);
    }

    Map<String, Object> params(boolean includeCalibration) {
        Map<String, Object> params = new LinkedHashMap<>();
        if (includeCalibration) {
            params.put("calibration", calibration.id());
            if (calibration == CalibrationMethod.PERCENTILE) {
                params.put("percentile", percentile);
            }
            params.put("activations", symmetricActivations ? "int8" : "uint8");
        }
        params.put("weights", perChannel ? "int8 per channel" : "int8 per tensor");
        if (perChannel && !perTensor.isEmpty()) {
            params.put("weights_per_tensor", perTensor);
        }
        if (!exclude.isEmpty()) {
            params.put("exclude", exclude);
        }
        return params;
    }
}
