package dev.engine.inference;

import dev.engine.graph.Tracer;
import dev.engine.graph.Traceable;
import dev.engine.graph.Value;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.EngineException;
import dev.engine.autograd.Functional;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import dev.engine.nn.Module;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Module.freeze traces a Traceable module (here a hand-written one: layer classes come later). */
class ModuleFreezeTest {
    /** A two-layer perceptron written directly on Module, the way a layer implements Traceable. */
    static final class TwoLayer extends Module implements Traceable {
        final Tensor w1, b1, w2, b2;

        TwoLayer(Random r) {
            w1 = registerParameter("w1", Tensor.of(Models.randn(r, 12, 0.5), 4, 3));
            b1 = registerParameter("b1", Tensor.of(Models.randn(r, 4, 0.1), 4));
            w2 = registerParameter("w2", Tensor.of(Models.randn(r, 8, 0.5), 2, 4));
            b2 = registerParameter("b2", Tensor.of(Models.randn(r, 2, 0.1), 2));
        }

        @Override public Tensor forward(Tensor x) { return Functional.linear(Functional.linear(x, w1, b1).relu(), w2, b2); }

        @Override public Value trace(Tracer t, Value x) {
            return t.named("fc2").linear(t.relu(t.named("fc1").linear(x, w1, b1)), w2, b2);
        }
    }

    static final class NotTraceable extends Module {
        @Override public Tensor forward(Tensor x) { return x; }
    }

    @Test void freezeMatchesForward() {
        TwoLayer m = new TwoLayer(new Random(1));
        try (MemoryScope s = MemoryScope.open()) {
            Tensor x = Tensor.of(Models.randn(new Random(2), 15, 1), 5, 3);
            float[] eager = m.forward(x).toFloatArray();
            try (FrozenModel f = Freezer.freeze(m, Tensor.zeros(1, 3))) {
                assertArrayEquals(eager, f.run(x).toFloatArray(), 1e-5f);
                assertTrue(f.describePlan(5).contains("fc1+bias+relu"));
                assertTrue(m.isTraining(), "training mode restored");
            }
        }
    }

    @Test void nonTraceableModulesSayWhy() {
        try (MemoryScope s = MemoryScope.open()) {
            var e = assertThrows(EngineException.class, () -> Freezer.freeze(new NotTraceable(), Tensor.zeros(1, 3)));
            assertTrue(e.getMessage().contains("Traceable"), e.getMessage());
        }
    }
}
