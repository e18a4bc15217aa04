package dev.engine.autograd;

import static org.junit.jupiter.api.Assertions.*;

import dev.engine.api.Backend;
import org.junit.jupiter.api.Test;

/** Deterministic release: scopes close what they own, keep() moves tensors out, long loops do not grow. */
class MemoryScopeTest {
    @Test void scopeClosesItsTensorsButNotKeptOnes() {
        Backend be = Tensor.defaultBackend();
        long before = be.memoryStats().liveBuffers();
        Tensor kept;
        try (MemoryScope s = MemoryScope.open()) {
            Tensor a = Tensor.ones(10);
            Tensor b = a.mul(2);
            kept = MemoryScope.keep(b.add(1));
            assertTrue(s.size() >= 2);
        }
        assertEquals(before + 1, be.memoryStats().liveBuffers());
        assertArrayEquals(new float[]{3, 3, 3, 3, 3, 3, 3, 3, 3, 3}, kept.toFloatArray());
        kept.close();
        assertEquals(before, be.memoryStats().liveBuffers());
    }

    @Test void nestedScopesKeepMovesToParent() {
        Backend be = Tensor.defaultBackend();
        long before = be.memoryStats().liveBuffers();
        try (MemoryScope outer = MemoryScope.open()) {
            Tensor inner;
            try (MemoryScope in = MemoryScope.open()) {
                inner = MemoryScope.keep(Tensor.ones(4));
                Tensor.zeros(4);
            }
            assertFalse(inner.isClosed());
            assertEquals(1, outer.size());
        }
        assertEquals(before, be.memoryStats().liveBuffers());
    }

    /**
     * 20,000 forward+backward+SGD steps of a small MLP; native live bytes must not grow after the first
     * steps (parameters and gradients persist, every intermediate is released with its step's scope).
     */
    @Test void longTrainingLoopDoesNotGrowNativeMemory() {
        Backend be = Tensor.defaultBackend();
        Generator g = new Generator(7);
        Tensor w1, w2, x, y;
        try (MemoryScope setup = MemoryScope.open()) {  // set-up intermediates are released here too
            w1 = MemoryScope.detach(Tensor.randn(g, 8, 16).mul(0.3)).requiresGrad(true);
            w2 = MemoryScope.detach(Tensor.randn(g, 16, 1).mul(0.3)).requiresGrad(true);
            x = MemoryScope.detach(Tensor.randn(g, 32, 8));
            y = MemoryScope.detach(x.sum(1, true).tanh());
        }
        long liveAfterWarmup = -1;
        double firstLoss = 0, lastLoss = 0;
        for (int step = 0; step < 20_000; step++) {
            try (MemoryScope s = MemoryScope.open()) {
                Tensor loss = x.matmul(w1).relu().matmul(w2).sub(y).square().mean();
                w1.zeroGrad();
                w2.zeroGrad();
                loss.backward();
                try (GradMode ng = GradMode.noGrad()) {
                    w1.addInPlace(w1.grad().mul(-0.05));
                    w2.addInPlace(w2.grad().mul(-0.05));
                }
                if (step == 0) firstLoss = loss.item();
                lastLoss = loss.item();
            }
            if (step == 10) liveAfterWarmup = be.memoryStats().liveBytes();
        }
        // other test classes' garbage may be freed by the GC meanwhile, so live bytes can only shrink
        long end = be.memoryStats().liveBytes();
        assertTrue(end <= liveAfterWarmup, "native memory grew during the loop: " + liveAfterWarmup + " -> " + end);
        assertTrue(lastLoss < firstLoss * 0.2, "the loop should also learn: " + firstLoss + " -> " + lastLoss);
    }
}
