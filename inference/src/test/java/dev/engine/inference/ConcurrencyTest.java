package dev.engine.inference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.engine.api.Backend;
import dev.engine.api.Backends;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/** Many threads share one frozen model; calls after warm-up allocate no native memory. */
class ConcurrencyTest {
    static final int ROWS = 64;

    @Test void eightThreadsTimesTenThousandMatchOneThread() throws Exception {
        try (FrozenModel m = Freezer.freeze(Models.tinyMlp(9, 8, 8, 3), new long[]{1, 8}, FreezeOptions.defaults())) {
            float[][] in = new float[ROWS][];
            float[][] expect = new float[ROWS][];
            Random r = new Random(1);
            for (int i = 0; i < ROWS; i++) {
                in[i] = Models.randn(r, 8, 1);
                expect[i] = m.run(in[i], 1);
            }
            ExecutorService pool = Executors.newFixedThreadPool(8);
            try {
                List<Future<Integer>> fs = new ArrayList<>();
                for (int t = 0; t < 8; t++) {
                    int seed = t;
                    fs.add(pool.submit(() -> {
                        float[] out = new float[3];
                        int ok = 0;
                        for (int k = 0; k < 10_000; k++) {
                            int i = (k * 31 + seed * 7) % ROWS;
                            m.run(in[i], 1, out);
                            assertArrayEquals(expect[i], out, 0f, "thread " + seed + " call " + k);
                            ok++;
                        }
                        return ok;
                    }));
                }
                for (Future<Integer> f : fs) assertEquals(10_000, f.get());
            } finally {
                pool.shutdown();
            }
        }
    }

    @Test void predictorFromABundleIsThreadSafe(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
        java.nio.file.Path p = dir.resolve("tiny.model");
        try (FrozenModel m = Freezer.freeze(Models.tinyMlp(4, 6, 8, 3), new long[]{1, 6}, FreezeOptions.defaults())) {
            Bundle.save(p, m, AffineTransform.of(new float[]{2f}, new float[]{-1f}), PostProcessor.softmax(List.of("x", "y", "z")));
        }
        try (Predictor pr = Predictor.load(p)) {
            float[][] rows = new float[16][];
            Prediction[] expect = new Prediction[16];
            Random r = new Random(2);
            for (int i = 0; i < 16; i++) { rows[i] = Models.randn(r, 6, 1); expect[i] = pr.predict(rows[i]); }
            ExecutorService pool = Executors.newFixedThreadPool(4);
            try {
                List<Future<?>> fs = new ArrayList<>();
                for (int t = 0; t < 4; t++) fs.add(pool.submit(() -> {
                    for (int k = 0; k < 2000; k++) {
                        int i = k % 16;
                        Prediction got = pr.predict(rows[i]);
                        assertEquals(expect[i].label(), got.label());
                        assertArrayEquals(expect[i].scores(), got.scores(), 0f);
                    }
                    return null;
                }));
                for (Future<?> f : fs) f.get();
            } finally {
                pool.shutdown();
            }
            var e = org.junit.jupiter.api.Assertions.assertThrows(dev.engine.api.ShapeException.class, () -> pr.predict(new float[5]));
            org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("[batch, 6]"), e.getMessage());
        }
    }

    @Test void noNativeAllocationPerCallAfterWarmUp() {
        Backend be = Backends.cpu();
        try (FrozenModel m = Freezer.freeze(Models.tinyCnn(3), new long[]{1, 2, 8, 8}, FreezeOptions.defaults().backend(be))) {
            float[] x1 = Models.randn(new Random(1), 128, 1), x4 = Models.randn(new Random(2), 4 * 128, 1);
            float[] o1 = new float[5], o4 = new float[20];
            m.run(x1, 1, o1);
            m.run(x4, 4, o4); // warm-up: one context per batch size
            long allocs = be.memoryStats().allocations(), live = be.memoryStats().liveBytes();
            for (int i = 0; i < 2000; i++) {
                m.run(x1, 1, o1);
                m.run(x4, 4, o4);
            }
            assertEquals(allocs, be.memoryStats().allocations(), "native allocations during steady-state calls");
            // live bytes may only fall: the Cleaner can free another test's garbage meanwhile (the counts are per backend)
            long liveAfter = be.memoryStats().liveBytes();
            org.junit.jupiter.api.Assertions.assertTrue(liveAfter <= live, "live native bytes grew from " + live + " to " + liveAfter);
        }
    }
}
