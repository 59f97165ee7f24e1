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
        TrainingConfig cosine = new TrainingConfig(1, 0.01, 10, 1, Optimizer.ADAM, 0, TrainingConfig.Decay.COSINE);
        assertEquals(0.01, cosine.learningRateAt(1, 100), 1e-15);
        // halfway: 0.5 (1 + cos(pi / 2)) = 0.5
        assertEquals(0.005, cosine.learningRateAt(51, 100), 1e-15);
        assertEquals(0.01 * 0.5 * (1 + Math.cos(Math.PI * 99 / 100)), cosine.learningRateAt(100, 100), 1e-15);
        assertEquals(0.01, new TrainingConfig(1, 0.01, 10, 1).learningRateAt(100, 100), "constant without decay");
    }

    @Test
    void stepDecayDividesByTenAtHalfAndThreeQuarters() {
        TrainingConfig step = new TrainingConfig(1, 0.01, 10, 1, Optimizer.SGD, 0, TrainingConfig.Decay.STEP);
        assertEquals(0.01, step.learningRateAt(50, 100), 1e-15);
        assertEquals(0.001, step.learningRateAt(51, 100), 1e-15);
        assertEquals(0.001, step.learningRateAt(75, 100), 1e-15);
        assertEquals(0.0001, step.learningRateAt(76, 100), 1e-15);
    }

    @Test
    void namesParse() {
        assertEquals(Optimizer.RMSPROP, Optimizer.parse("rmsprop"));
        assertEquals(TrainingConfig.Decay.STEP, TrainingConfig.Decay.parse("step"));
        assertThrows(IllegalArgumentException.class, () -> Optimizer.parse("lbfgs"));
    }

    @Test
    void refusesNonsense() {
        assertThrows(IllegalArgumentException.class, () -> new TrainingConfig(1, 1e-3, 64, 1, Optimizer.ADAM, -1,
                TrainingConfig.Decay.CONSTANT));
        assertThrows(IllegalArgumentException.class, () -> new TrainingConfig(0, 1e-3, 64, 1));
        assertThrows(IllegalArgumentException.class, () -> new TrainingConfig(1, 0, 64, 1));
    }
}
