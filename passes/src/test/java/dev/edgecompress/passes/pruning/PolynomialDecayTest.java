package dev.edgecompress.passes.pruning;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.edgecompress.ir.SettingException;
import org.junit.jupiter.api.Test;

class PolynomialDecayTest {

    private final PolynomialDecay schedule = new PolynomialDecay(0.0, 0.9, 100, 1100, 100, 3);

    @Test
    void followsTheCubicFromInitialToFinal() {
        assertEquals(0.0, schedule.sparsityAt(0));
        assertEquals(0.0, schedule.sparsityAt(100));
        // halfway: 0.9 + (0 - 0.9) * 0.5^3 = 0.7875
        assertEquals(0.7875, schedule.sparsityAt(600), 1e-12);
        assertEquals(0.9, schedule.sparsityAt(1100));
        assertEquals(0.9, schedule.sparsityAt(5000));
        for (long t = 100; t < 1100; t += 50) {
            assertTrue(schedule.sparsityAt(t + 50) >= schedule.sparsityAt(t), "rises monotonically");
        }
    }

    @Test
    void prunesEveryFrequencyStepsInsideTheWindow() {
        assertTrue(schedule.prunesAt(100));
        assertTrue(schedule.prunesAt(200));
        assertFalse(schedule.prunesAt(250));
        assertTrue(schedule.prunesAt(1100));
        assertFalse(schedule.prunesAt(1200));
        assertFalse(schedule.prunesAt(0));
        assertTrue(new PolynomialDecay(0, 0.5, 0, 10, 4, 3).prunesAt(10), "the end step always prunes");
    }

    @Test
    void checksItsConfiguration() {
        assertEquals("end_step", assertThrows(SettingException.class,
                () -> new PolynomialDecay(0, 0.9, 100, 100, 10, 3)).field());
        assertEquals("final_sparsity", assertThrows(SettingException.class,
                () -> new PolynomialDecay(0.5, 0.2, 0, 10, 1, 3)).field());
        assertEquals("frequency", assertThrows(SettingException.class,
                () -> new PolynomialDecay(0, 0.5, 0, 10, 0, 3)).field());
    }
}
