package dev.engine.autograd;

import static org.junit.jupiter.api.Assertions.*;

import dev.engine.api.ClosedBufferException;
import dev.engine.api.EngineException;
import dev.engine.api.ShapeException;
import org.junit.jupiter.api.Test;

/** The autograd engine's contract: accumulation, retain/detach/noGrad, and the clear errors. */
class AutogradErrorsTest {
    @Test void gradientsAccumulateAcrossBackwardCalls() {
        Tensor w = Tensor.of(new float[]{1, 2}, 2).requiresGrad(true);
        w.mul(3).sum().backward();
        w.mul(3).sum().backward();
        assertArrayEquals(new float[]{6, 6}, w.grad().toFloatArray());
        w.zeroGrad();
        assertArrayEquals(new float[]{0, 0}, w.grad().toFloatArray());
    }

    @Test void backwardTwiceNeedsRetainGraph() {
        Tensor w = Tensor.of(new float[]{1, 2}, 2).requiresGrad(true);
        Tensor loss = w.exp().sum();
        loss.backward(Tensor.onesLike(loss), true);
        loss.backward();  // graph was retained the first time
        assertEquals(2 * Math.exp(1), w.grad().toDoubleArray()[0], 1e-5);
        EngineException e = assertThrows(EngineException.class, loss::backward);
        assertTrue(e.getMessage().contains("retainGraph"), e.getMessage());
    }

    @Test void nonScalarBackwardNeedsGradient() {
        Tensor w = Tensor.of(new float[]{1, 2}, 2).requiresGrad(true);
        Tensor y = w.mul(2);
        ShapeException e = assertThrows(ShapeException.class, y::backward);
        assertTrue(e.getMessage().contains("non-scalar"), e.getMessage());
        y.backward(Tensor.of(new float[]{1, 10}, 2));
        assertArrayEquals(new float[]{2, 20}, w.grad().toFloatArray());
        assertThrows(ShapeException.class, () -> w.mul(2).backward(Tensor.ones(3)));
    }

    @Test void inPlaceChangeOfSavedTensorIsDetected() {
        Tensor w = Tensor.of(new float[]{1, 2}, 2).requiresGrad(true);
        Tensor h = w.mul(2);
        Tensor loss = h.exp().sum();   // exp saves its output; mul(h) would save h
        Tensor y = h.mul(h).sum();
        h.fill(5);
        EngineException e = assertThrows(EngineException.class, y::backward);
        assertTrue(e.getMessage().contains("modified in place"), e.getMessage());
        assertNotNull(loss);
    }

    @Test void leafInPlaceChangeRequiresNoGrad() {
        Tensor w = Tensor.of(new float[]{1, 2}, 2).requiresGrad(true);
        assertThrows(EngineException.class, () -> w.fill(0));
        try (GradMode g = GradMode.noGrad()) {
            w.mulInPlace(2);
        }
        assertArrayEquals(new float[]{2, 4}, w.toFloatArray());
    }

    @Test void detachAndNoGradStopRecording() {
        Tensor w = Tensor.of(new float[]{1, 2}, 2).requiresGrad(true);
        assertFalse(w.detach().mul(2).requiresGrad());
        try (GradMode g = GradMode.noGrad()) {
            assertFalse(w.mul(2).requiresGrad());
            assertFalse(GradMode.isEnabled());
        }
        assertTrue(GradMode.isEnabled());
        assertThrows(EngineException.class, () -> Tensor.ones(2).sum().backward());
    }

    @Test void retainGradKeepsIntermediateGradient() {
        Tensor w = Tensor.of(new float[]{1, 2}, 2).requiresGrad(true);
        Tensor h = w.mul(3).retainGrad();
        h.square().sum().backward();
        assertArrayEquals(new float[]{6, 12}, h.grad().toFloatArray());
        assertArrayEquals(new float[]{18, 36}, w.grad().toFloatArray());
    }

    @Test void closedTensorThrows() {
        Tensor t = Tensor.ones(3);
        t.close();
        assertThrows(ClosedBufferException.class, () -> t.add(1));
        t.close();  // idempotent
    }

    @Test void viewKeepsStorageAliveAfterBaseIsClosed() {
        Tensor base = Tensor.of(new float[]{1, 2, 3, 4}, 2, 2);
        Tensor row = base.t();
        dev.engine.api.Buffer buf = base.buffer();
        base.close();
        assertFalse(buf.isClosed());
        assertArrayEquals(new float[]{1, 3, 2, 4}, row.toFloatArray());
        row.close();
        assertTrue(buf.isClosed());
    }

    @Test void badValueCountNamesTheShape() {
        ShapeException e = assertThrows(ShapeException.class, () -> Tensor.of(new float[5], 2, 3));
        assertTrue(e.getMessage().contains("[2, 3]"), e.getMessage());
    }
}
