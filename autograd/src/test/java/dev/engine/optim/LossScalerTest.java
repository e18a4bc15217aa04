package dev.engine.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.EngineException;
import dev.engine.autograd.Autocast;
import dev.engine.autograd.Functional;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The dynamic loss scaler: exact unscaling, skipped steps on overflow, backoff and growth of the scale. */
class LossScalerTest {
    @Test void unscalesExactlyAndGrowsAfterTheInterval() {
        Tensor w = MemoryScope.detach(Tensor.of(new float[]{1, 2, 3}, 3).requiresGrad(true));
        SGD opt = new SGD(List.of(w), 0.5);
        LossScaler scaler = new LossScaler(1024, 2, 0.5, 2);
        for (int step = 0; step < 3; step++) {
            try (MemoryScope s = MemoryScope.open()) {
                opt.zeroGrad();
                Tensor x = Tensor.of(new float[]{0.25f, -1, 4}, 3);
                scaler.scale(w.mul(x).sum()).backward();
                assertArrayEquals(new float[]{0.25f * (float) scaler.scale(), -(float) scaler.scale(), 4 * (float) scaler.scale()},
                        w.grad().toFloatArray(), "scaled gradient at step " + step);
                assertTrue(scaler.unscale(opt));
                assertTrue(scaler.unscale(opt), "a second unscale before step does nothing");
                assertArrayEquals(new float[]{0.25f, -1, 4}, w.grad().toFloatArray(), "unscaled once, exactly");
                assertTrue(scaler.step(opt));
            }
        }
        assertArrayEquals(new float[]{1 - 3 * 0.125f, 2 + 3 * 0.5f, 3 - 3 * 2f}, w.toFloatArray(), 1e-6f);
        assertEquals(2048, scaler.scale(), "grown once after two clean steps, not yet again");
    }

    @Test void anOverflowSkipsTheStepAndBacksOff() {
        Tensor w = MemoryScope.detach(Tensor.of(new float[]{1, 2}, 2).requiresGrad(true));
        Adam opt = new Adam(List.of(w), 0.1);
        LossScaler scaler = new LossScaler(1e38, 2, 0.25, 100);
        try (MemoryScope s = MemoryScope.open()) {
            opt.zeroGrad();
            scaler.scale(w.mul(Tensor.of(new float[]{1e3f, 1}, 2)).sum()).backward();  // 1e41: infinity in F32
            assertFalse(scaler.step(opt));
        }
        assertArrayEquals(new float[]{1, 2}, w.toFloatArray(), "the skipped step left the weights alone");
        assertEquals(0, opt.stepCount());
        assertEquals(0.25e38, scaler.scale(), 1e30);
        try (MemoryScope s = MemoryScope.open()) {
            opt.zeroGrad();
            scaler.scale(w.mul(Tensor.of(new float[]{1, 1}, 2)).sum()).backward();
            assertTrue(scaler.step(opt));
        }
        assertEquals(1, opt.stepCount());
    }

    @Test void f16ProductsWithScalingKeepSmallGradients() {
        // gradients of 1e-8 underflow in F16 (below 2^-24) unless the loss is scaled first
        Tensor x = MemoryScope.detach(Tensor.of(new float[]{1, 1, 1, 1}, 1, 4));
        Tensor w = MemoryScope.detach(Tensor.of(new float[]{0.5f, 0.5f, 0.5f, 0.5f}, 1, 4).requiresGrad(true));
        SGD opt = new SGD(List.of(w), 1);
        LossScaler scaler = LossScaler.dynamic();
        try (MemoryScope s = MemoryScope.open()) {
            Tensor y;
            try (Autocast a = Autocast.f16()) {
                y = Functional.linear(x, w, null);
            }
            opt.zeroGrad();
            y.mul(1e-8).sum().backward(null, true);  // the graph is used again below
            assertArrayEquals(new float[4], w.grad().toFloatArray(), "unscaled: the F16 product flushes 1e-8 to zero");
            opt.zeroGrad();
            scaler.scale(y.mul(1e-8).sum()).backward();
            scaler.unscale(opt);
            for (float v : w.grad().toFloatArray()) assertEquals(1e-8, v, 1e-11, "scaled: the gradient survives");
        }
    }

    @Test void aRestoredStateContinues() {
        LossScaler s = new LossScaler(8, 2, 0.5, 3);
        s.restore(512, 2);
        assertEquals(512, s.scale());
        assertEquals(2, s.cleanSteps());
        Tensor w = MemoryScope.detach(Tensor.of(new float[]{1}, 1).requiresGrad(true));
        SGD opt = new SGD(List.of(w), 0.1);
        try (MemoryScope m = MemoryScope.open()) {
            s.scale(w.sum()).backward();
            assertTrue(s.step(opt));
        }
        assertEquals(1024, s.scale(), "the third clean step in a row grows the scale");
        assertEquals(0, s.cleanSteps());
        assertEquals("LossScaler: restored scale NaN must be finite and > 0",
                assertThrows(EngineException.class, () -> s.restore(Double.NaN, 0)).getMessage());
        assertEquals("LossScaler: restored clean steps -1 must be >= 0", assertThrows(EngineException.class, () -> s.restore(1, -1)).getMessage());
    }

    @Test void badSettingsAreRefused() {
        assertEquals("LossScaler: initial scale 0.0 must be finite and > 0",
                assertThrows(EngineException.class, () -> new LossScaler(0, 2, 0.5, 10)).getMessage());
        assertEquals("LossScaler: growth factor 1.0 must be > 1", assertThrows(EngineException.class, () -> new LossScaler(1, 1, 0.5, 10)).getMessage());
        assertEquals("LossScaler: backoff factor 1.0 must be in (0, 1)", assertThrows(EngineException.class, () -> new LossScaler(1, 2, 1, 10)).getMessage());
        assertEquals("LossScaler: growth interval 0 must be >= 1", assertThrows(EngineException.class, () -> new LossScaler(1, 2, 0.5, 0)).getMessage());
    }
}
