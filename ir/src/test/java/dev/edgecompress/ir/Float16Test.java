package dev.edgecompress.ir;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class Float16Test {

    @Test
    void everyHalfSurvivesTheRoundTrip() {
        for (int bits = 0; bits < 0x10000; bits++) {
            short half = (short) bits;
            float value = Float16.toFloat(half);
            if (Float.isNaN(value)) {
                assertTrue(Float.isNaN(Float16.toFloat(Float16.fromFloat(value))));
                continue;
            }
            assertEquals(bits, Float16.fromFloat(value) & 0xffff, "half 0x" + Integer.toHexString(bits));
        }
    }

    @Test
    void valuesBetweenTwoHalvesRoundToTheNearestTiesToEven() {
        for (int bits = 0; bits < 0x7bff; bits++) {
            float low = Float16.toFloat((short) bits);
            float high = Float16.toFloat((short) (bits + 1));
            float middle = (low + high) / 2; // exact: a float has the bits to spare
            int even = (bits & 1) == 0 ? bits : bits + 1;
            assertEquals(even, Float16.fromFloat(middle), "tie between 0x" + Integer.toHexString(bits) + " and next");
            assertEquals(bits, Float16.fromFloat(Math.nextDown(middle)), "just below the tie");
            assertEquals(bits + 1, Float16.fromFloat(Math.nextUp(middle)), "just above the tie");
            assertEquals(bits | 0x8000, Float16.fromFloat(-Math.nextDown(middle)) & 0xffff, "negative");
        }
    }

    @Test
    void knownValuesAndLimits() {
        assertEquals(0x3c00, Float16.fromFloat(1f));
        assertEquals(0xc000, Float16.fromFloat(-2f) & 0xffff);
        assertEquals(0x7bff, Float16.fromFloat(65504f));
        assertEquals(0x7c00, Float16.fromFloat(65520f), "halfway to the next power rounds to infinity");
        assertEquals(0x7bff, Float16.fromFloat(65519f));
        assertEquals(0x0001, Float16.fromFloat(0x1p-24f), "the smallest subnormal");
        assertEquals(0x0000, Float16.fromFloat(0x1p-25f), "half the smallest subnormal ties to zero");
        assertEquals(0x0400, Float16.fromFloat(0x1p-14f), "the smallest normal");
        assertEquals(0x7c00, Float16.fromFloat(Float.POSITIVE_INFINITY));
        assertEquals(0x8000, Float16.fromFloat(-0f) & 0xffff);
        assertEquals(0.333251953125f, Float16.round(1f / 3));
    }

    @Test
    void tensorsRoundTrip() {
        Tensor tensor = Float16.tensor(new long[] {2, 2}, new float[] {1f, -0.5f, 1000.25f, 3e-6f});
        assertEquals(DataType.FLOAT16, tensor.type());
        assertEquals(8, tensor.byteSize());
        assertArrayEquals(new float[] {1f, -0.5f, 1000f, Float16.round(3e-6f)}, Float16.values(tensor));
    }
}
