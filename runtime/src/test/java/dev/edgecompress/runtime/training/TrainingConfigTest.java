package dev.edgecompress.runtime.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class TrainingConfigTest {

    @Test
    void countsOneStepPerBatchEveryEpoch() {
        assertEquals(3 * 157, new TrainingConfig(3, 1e-3, 64, 1).steps(10_000));
        assertEquals(2 * 8, new TrainingConfig(2, 1e-3, 64, 1).steps(512));
    }

    @Test
    void cosineDecayFallsFromTheLearningRateTowardsZero() {
        TrainingConfig cosine = new TrainingConfig(1, 0.01, 10, 1, true);
        assertEquals(0.01, cosine.learningRateAt(1, 100), 1e-15);
        // halfway: 0.5 (1 + cos(pi / 2)) = 0.5
        assertEquals(0.005, cosine.learningRateAt(51, 100), 1e-15);
        assertEquals(0.01 * 0.5 * (1 + Math.cos(Math.PI * 99 / 100)), cosine.learningRateAt(100, 100), 1e-15);
        assertEquals(0.01, new TrainingConfig(1, 0.01, 10, 1).learningRateAt(100, 100), "constant without decay");
    }

    @Test
    void refusesNonsense() {
        assertThrows(IllegalArgumentException.class, () -> new TrainingConfig(0, 1e-3, 64, 1));
        assertThrows(IllegalArgumentException.class, () -> new TrainingConfig(1, 0, 64, 1));
    }
}
