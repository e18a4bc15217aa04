package dev.engine.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class DigitsTest {
    @Test
    void shippedDigitsLoadFromTheClasspath() {
        Dataset d = Digits.load();
        assertEquals(1797, d.size());
        assertArrayEquals(new int[] {64}, d.featureShape());
        assertEquals(10, d.numClasses());
        assertEquals("p63", d.columnNames().get(63));
        assertEquals(0, d.label(0));
        assertEquals(1, d.label(1));
        // first image of the file: 0,0,5,13,9,1,0,0,...
        assertArrayEquals(new float[] {0, 0, 5, 13, 9, 1, 0, 0}, java.util.Arrays.copyOf(d.row(0), 8));
        float min = Float.MAX_VALUE, max = -Float.MAX_VALUE;
        for (float v : d.features()) { min = Math.min(min, v); max = Math.max(max, v); }
        assertEquals(0f, min);
        assertEquals(16f, max);
        int[] perClass = new int[10];
        for (int l : d.labels()) perClass[l]++;
        for (int c : perClass) assertTrue(c >= 170 && c <= 190, "class count " + c);
        assertNotNull(Digits.class.getResource("DIGITS_LICENSE.txt"));
    }

    @Test
    void standardSplitIsFirst1437ThenLast360() {
        Split s = Digits.trainTestSplit();
        assertEquals(1437, s.train().size());
        assertEquals(0, s.validation().size());
        assertEquals(360, s.test().size());
        Dataset all = Digits.load();
        assertArrayEquals(all.row(1436), s.train().row(1436));
        assertArrayEquals(all.row(1437), s.test().row(0));
        assertEquals(all.label(1796), s.test().label(359));
        Pipeline prep = Pipeline.of(new Scale(1f / 16)).fit(s.train());
        float max = 0;
        for (float v : prep.apply(s.train()).features()) max = Math.max(max, v);
        assertEquals(1f, max);
    }
}
