package dev.edgecompress.ir.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.edgecompress.ir.SettingException;
import org.junit.jupiter.api.Test;

class TrainingSettingsTest {

    @Test
    void countsOneStepPerBatchEveryEpoch() {
        assertEquals(3 * 157, TrainingSettings.of(3, 1e-3, 64).steps(10_000));
        assertEquals(2 * 8, TrainingSettings.of(2, 1e-3, 64).steps(512));
    }

    @Test
    void cosineDecayFallsFromTheLearningRateTowardsZero() {
        TrainingSettings cosine = TrainingSettings.of(1, 0.01, 10).withDecay(LearningRateDecay.COSINE);
        assertEquals(0.01, cosine.learningRateAt(1, 100), 1e-15);
        // halfway: 0.5 (1 + cos(pi / 2)) = 0.5
        assertEquals(0.005, cosine.learningRateAt(51, 100), 1e-15);
        assertEquals(0.01 * 0.5 * (1 + Math.cos(Math.PI * 99 / 100)), cosine.learningRateAt(100, 100), 1e-15);
        assertEquals(0.01, TrainingSettings.of(1, 0.01, 10).learningRateAt(100, 100), "constant without decay");
    }

    @Test
    void stepDecayDividesByTenAtHalfAndThreeQuarters() {
        TrainingSettings step = TrainingSettings.of(1, 0.01, 10).withOptimizer(Optimizer.SGD)
                .withDecay(LearningRateDecay.STEP);
        assertEquals(0.01, step.learningRateAt(50, 100), 1e-15);
        assertEquals(0.001, step.learningRateAt(51, 100), 1e-15);
        assertEquals(0.001, step.learningRateAt(75, 100), 1e-15);
        assertEquals(0.0001, step.learningRateAt(76, 100), 1e-15);
    }

    @Test
    void namesParseOnceIntoEnumsAndBadOnesNameTheirField() {
        assertEquals(Optimizer.RMSPROP, Optimizer.parse("rmsprop"));
        assertEquals(LearningRateDecay.STEP, LearningRateDecay.parse("step"));
        assertEquals(BatchNormMode.FROZEN, BatchNormMode.parse("frozen"));
        SettingException optimizer = assertThrows(SettingException.class, () -> Optimizer.parse("lbfgs"));
        assertEquals("optimizer: must be one of adam, sgd, momentum, rmsprop, adagrad, got 'lbfgs'",
                optimizer.getMessage());
        assertEquals("decay", assertThrows(SettingException.class, () -> LearningRateDecay.parse("linear")).field());
        assertEquals("batch_norm", assertThrows(SettingException.class, () -> BatchNormMode.parse("moving")).field());
    }

    @Test
    void refusesNonsenseNamingTheField() {
        assertEquals("weight_decay", assertThrows(SettingException.class, () -> new TrainingSettings(1, 1e-3, 64,
                Optimizer.ADAM, -1, LearningRateDecay.CONSTANT, BatchNormMode.TRAIN)).field());
        assertEquals("epochs", assertThrows(SettingException.class, () -> TrainingSettings.of(0, 1e-3, 64)).field());
        assertEquals("lr", assertThrows(SettingException.class, () -> TrainingSettings.of(1, 0, 64)).field());
        assertEquals("batch", assertThrows(SettingException.class, () -> TrainingSettings.of(1, 1e-3, 0)).field());
    }
}
