package dev.engine.train;

import static org.junit.jupiter.api.Assertions.*;

import dev.engine.api.EngineException;
import org.junit.jupiter.api.Test;

class MetricsTest {
    @Test void classificationByHand() {
        int[] truth = {0, 0, 1, 1, 1, 2};
        int[] pred = {0, 1, 1, 1, 2, 2};
        ClassificationMetrics m = ClassificationMetrics.of(pred, truth, 3);
        assertEquals(4.0 / 6, m.accuracy(), 1e-12);
        assertArrayEquals(new long[]{1, 1, 0}, m.confusion()[0]);
        assertArrayEquals(new long[]{0, 2, 1}, m.confusion()[1]);
        assertEquals(1.0, m.precision(0), 1e-12);   // 1 of 1 predicted 0
        assertEquals(2.0 / 3, m.precision(1), 1e-12); // 2 of 3 predicted 1
        assertEquals(0.5, m.precision(2), 1e-12);
        assertEquals(0.5, m.recall(0), 1e-12);
        assertEquals(2.0 / 3, m.recall(1), 1e-12);
        assertEquals(1.0, m.recall(2), 1e-12);
        assertEquals(2 * 0.5 / 1.5, m.f1(0), 1e-12);
        assertEquals((m.f1(0) + m.f1(1) + m.f1(2)) / 3, m.macroF1(), 1e-12);
        assertTrue(m.report(null).contains("confusion"));
        assertThrows(EngineException.class, () -> ClassificationMetrics.of(new int[]{3}, new int[]{0}, 3));
    }

    @Test void regressionByHand() {
        RegressionMetrics r = RegressionMetrics.of(new float[]{1, 2, 4}, new float[]{1, 3, 5});
        assertEquals((0 + 1 + 1) / 3.0, r.mse(), 1e-9);
        assertEquals(2 / 3.0, r.mae(), 1e-9);
        // mean 3, total SS = 4 + 0 + 4 = 8, residual SS = 2 -> R² = 0.75
        assertEquals(0.75, r.r2(), 1e-9);
    }
}
