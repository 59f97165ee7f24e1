package dev.edgecompress.passes.finetune;

import java.util.Map;

/**
 * Where training simulates int8 (quantization-aware training): the activations fake-quantized to
 * uint8, each with the {min, max} range training starts from, by value name; and the weights
 * fake-quantized to symmetric int8, each with the axis of its per-channel scales (-1: one scale
 * for the tensor), by initializer name.
 */
public record FakeQuantization(Map<String, double[]> activationRanges, Map<String, Integer> weightAxes) {

    /** Training in float. */
    public static final FakeQuantization NONE = new FakeQuantization(Map.of(), Map.of());

    public FakeQuantization {
        activationRanges = Map.copyOf(activationRanges);
        weightAxes = Map.copyOf(weightAxes);
    }

    public boolean isNone() {
        return activationRanges.isEmpty() && weightAxes.isEmpty();
    }
}
