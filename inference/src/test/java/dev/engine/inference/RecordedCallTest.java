package dev.engine.inference;

import dev.engine.graph.Traceable;
import static org.junit.jupiter.api.Assertions.*;

import dev.engine.api.EngineException;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A frozen model records each context's call after its first run ({@code Backend.recordCall}; on the CPU
 * the SPI default, which makes the same calls), and closing is safe while calls are running.
 */
class RecordedCallTest {
    @Test void laterCallsGoThroughTheRecordingAndGiveTheSameValues() {
        Traceable model = Models.tinyCnn(3);
        try (FrozenModel f = Freezer.freeze(model, new long[]{1, 2, 8, 8}, FreezeOptions.defaults());
             FrozenModel plain = Freezer.freeze(model, new long[]{1, 2, 8, 8}, FreezeOptions.none())) {
            Random r = new Random(1);
            for (int b : new int[]{1, 3}) {
                float[] x = Models.randn(r, b * f.inputFeatures(), 1);
                float[] first = f.run(x, b);
                float[] second = f.run(x, b);
                assertArrayEquals(first, second, "batch " + b);
                assertArrayEquals(plain.run(x, b), second, 1e-5f);
                float[] x2 = Models.randn(r, x.length, 1);
                assertArrayEquals(plain.run(x2, b), f.run(x2, b), 1e-5f, "the recording reads the new input");
            }
            assertEquals(2, f.recordedContexts());
            assertNull(f.recordingFailure());
        }
    }

    @Test void closedModelRefusesCalls() {
        FrozenModel f = Freezer.freeze(Models.tinyMlp(2, 5, 8, 3), new long[]{1, 5}, FreezeOptions.defaults());
        f.run(new float[5], 1);
        f.run(new float[5], 1);
        f.close();
        EngineException e = assertThrows(EngineException.class, () -> f.run(new float[5], 1));
        assertTrue(e.getMessage().contains("closed"), e.getMessage());
        f.close();
    }

    /** Calls that started before close finish on their own context; later calls throw; nothing is freed under a call. */
    @Test void closingWhileCallsRunIsSafe() throws Exception {
        Traceable model = Models.tinyMlp(4, 16, 64, 4);
        float[] x = Models.randn(new Random(2), 8 * 16, 1);
        float[] expected;
        try (FrozenModel ref = Freezer.freeze(model, new long[]{1, 16}, FreezeOptions.defaults())) {
            expected = ref.run(x, 8);
        }
        for (int round = 0; round < 20; round++) {
            FrozenModel f = Freezer.freeze(model, new long[]{1, 16}, FreezeOptions.defaults());
            AtomicInteger ok = new AtomicInteger();
            AtomicReference<Throwable> wrong = new AtomicReference<>();
            Thread[] ts = new Thread[3];
            for (int t = 0; t < ts.length; t++) {
                ts[t] = new Thread(() -> {
                    try {
                        while (true) {
                            float[] y = f.run(x, 8);
                            assertArrayEquals(expected, y, 1e-6f);
                            ok.incrementAndGet();
                        }
                    } catch (EngineException e) {
                        if (!e.getMessage().contains("closed")) wrong.set(e);
                    } catch (Throwable e) {
                        wrong.set(e);
                    }
                });
                ts[t].start();
            }
            while (ok.get() < 3 * (round + 1)) Thread.onSpinWait();
            f.close();
            for (Thread t : ts) t.join();
            if (wrong.get() != null) throw new AssertionError("round " + round, wrong.get());
        }
    }
}
