package dev.edgecompress.runtime.training;

import java.util.Map;
import java.util.Set;

/**
 * Masks that change while training (gradual pruning), as the training loop sees them: at the steps
 * it names, new masks (1 keeps, 0 prunes) computed from the weights' current values.
 */
public interface MaskSchedule {

    /** No masks beyond the zeros the model already has. */
    MaskSchedule NONE = new MaskSchedule() {
        @Override
        public Set<String> weights() {
            return Set.of();
        }

        @Override
        public boolean changesAt(long step) {
            return false;
        }

        @Override
        public Map<String, float[]> masks(long step, Map<String, float[]> current) {
            return Map.of();
        }
    };

    /** The initializer names of the weights it masks. */
    Set<String> weights();

    /** Whether masks change before training step {@code step} (counted from 1). */
    boolean changesAt(long step);

    /** The masks for {@link #weights()} at {@code step}, given their current values by name. */
    Map<String, float[]> masks(long step, Map<String, float[]> current);
}
