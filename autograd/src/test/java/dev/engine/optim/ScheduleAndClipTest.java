package dev.engine.optim;

import static org.junit.jupiter.api.Assertions.*;

import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** LR schedules against their formulas, and gradient clipping. */
class ScheduleAndClipTest {
    private static SGD opt(double lr) {
        return new SGD(List.of(MemoryScope.detach(Tensor.zeros(1)).requiresGrad(true)), lr);
    }

    private static double[] seq(LRScheduler s, int n) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) { out[i] = s.currentLr(); s.step(); }
        return out;
    }

    @Test void stepAndExponential() {
        assertArrayEquals(new double[]{1, 1, 1, 0.5, 0.5, 0.5, 0.25}, seq(new StepLR(opt(1), 3, 0.5), 7), 1e-15);
        double[] e = seq(new ExponentialLR(opt(0.1), 0.9), 5);
        for (int t = 0; t < 5; t++) assertEquals(0.1 * Math.pow(0.9, t), e[t], 1e-15);
    }

    @Test void cosineWithWarmup() {
        double base = 0.4, min = 0.01;
        double[] s = seq(new CosineWithWarmup(opt(base), 4, 12, min), 14);
        for (int t = 0; t < 14; t++) {
            double expected = t < 4 ? base * t / 4 : min + (base - min) * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, (t - 4) / 8.0)));
            assertEquals(expected, s[t], 1e-15, "t=" + t);
        }
        assertEquals(base, s[4], 1e-15);
        assertEquals(min, s[12], 1e-15);
    }

    @Test void oneCycleMatchesPyTorchFormula() {
        double max = 1.0;
        int total = 10;
        double[] s = seq(new OneCycleLR(opt(0.5), max, total), total);
        double init = max / 25, fin = init / 1e4, up = 0.3 * total - 1, down = total - 1;
        for (int t = 0; t < total; t++) {
            double exp = t <= up ? max + (init - max) / 2 * (1 + Math.cos(Math.PI * t / up))
                    : fin + (max - fin) / 2 * (1 + Math.cos(Math.PI * (t - up) / (down - up)));
            assertEquals(exp, s[t], 1e-12, "t=" + t);
        }
        assertEquals(init, s[0], 1e-15);
        assertEquals(max, s[2], 1e-15);
        assertEquals(fin, s[9], 1e-15);
    }

    @Test void reduceOnPlateau() {
        SGD o = opt(1);
        var r = new ReduceLROnPlateau(o, false, 0.5, 2, 1e-4, 1, 0.1);
        double[] metrics = {10, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9};
        double[] lrs = new double[metrics.length];
        for (int i = 0; i < metrics.length; i++) { r.step(metrics[i]); lrs[i] = o.lr(); }
        // bad steps at i=2,3,4 -> the third (> patience 2) reduces at i=4; cooldown 1 skips counting at i=5,
        // then i=6,7,8 bad -> reduce at i=8; then 0.25 -> 0.125 at i=12; the floor 0.1 holds after
        assertArrayEquals(new double[]{1, 1, 1, 1, 0.5, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25, 0.25, 0.125, 0.125}, lrs, 1e-15);
        for (int i = 0; i < 10; i++) r.step(9);
        assertEquals(0.1, o.lr(), 1e-15);
        assertEquals(9, r.best());
    }

    @Test void clipByNormAndValue() {
        try (MemoryScope s = MemoryScope.open()) {
            Tensor a = MemoryScope.detach(Tensor.zeros(2)).requiresGrad(true), b = MemoryScope.detach(Tensor.zeros(1)).requiresGrad(true);
            a.setGrad(Tensor.of(new float[]{3, 0}, 2));
            b.setGrad(Tensor.of(new float[]{4}, 1));
            assertEquals(5, GradClip.byNorm(List.of(a, b), 10), 1e-6);
            assertArrayEquals(new float[]{3, 0}, a.grad().toFloatArray(), "below the limit: unchanged");
            assertEquals(5, GradClip.byNorm(List.of(a, b), 1), 1e-6);
            assertArrayEquals(new float[]{0.6f, 0}, a.grad().toFloatArray(), 1e-6f);
            assertArrayEquals(new float[]{0.8f}, b.grad().toFloatArray(), 1e-6f);
            assertEquals(1, GradClip.globalNorm(List.of(a, b)), 1e-5);
            a.setGrad(Tensor.of(new float[]{-3, 0.2f}, 2));
            GradClip.byValue(List.of(a, b), 0.5);
            assertArrayEquals(new float[]{-0.5f, 0.2f}, a.grad().toFloatArray());
            assertArrayEquals(new float[]{0.5f}, b.grad().toFloatArray());
        }
    }
}
