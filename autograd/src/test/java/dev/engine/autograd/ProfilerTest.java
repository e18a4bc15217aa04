package dev.engine.autograd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.EngineException;
import org.junit.jupiter.api.Test;

/** The opt-in profiler counts each recorded op's forward and backward calls, and spans; off, it records nothing. */
class ProfilerTest {
    private static void step(Tensor w, Tensor x) {
        try (MemoryScope s = MemoryScope.open()) {
            x.matmul(w).relu().sum().backward();
        }
    }

    @Test
    void countsForwardAndBackwardCallsPerOp() {
        Tensor w = Tensor.randn(new Generator(1), 8, 4).requiresGrad(true);
        Tensor x = Tensor.randn(new Generator(2), 5, 8);
        try (Profiler prof = Profiler.start()) {
            for (int i = 0; i < 3; i++) step(w, x);
            try (Profiler.Span sp = Profiler.span("optimizer")) { w.grad().toFloatArray(); }
            for (String op : new String[]{"matmul", "sum"}) {
                assertEquals(3, prof.forward().get(op).calls(), op + " forward\n" + prof.table());
                assertEquals(3, prof.backward().get(op).calls(), op + " backward\n" + prof.table());
                assertTrue(prof.backward().get(op).nanos() > 0);
            }
            assertEquals(1, prof.spans().get("optimizer").calls());
            String table = prof.table(3);
            assertTrue(table.contains("matmul") && table.contains("optimizer") && table.contains("total"), table);
            prof.reset();
            assertTrue(prof.forward().isEmpty() && prof.backward().isEmpty() && prof.spans().isEmpty());
            assertThrows(EngineException.class, Profiler::start, "a second profiler on one thread");
        }
        assertNull(Profiler.current(), "closed: nothing is recorded");
        step(w, x);
        try (Profiler again = Profiler.start()) { assertTrue(again.forward().isEmpty()); }
    }
}
