package dev.engine.bench;

import dev.engine.api.Backend;
import dev.engine.api.Backends;
import dev.engine.api.Buffer;
import dev.engine.api.DType;
import java.util.SplittableRandom;

/** Helpers shared by the benchmark states: pick a backend, make buffers of seeded random data. */
public final class Fixtures {
    private Fixtures() {}

    /**
     * The backend named by a benchmark's {@code backend} param; throws with the reason if unavailable.
     * When {@code OPENBLAS_NUM_THREADS} is set, the backend's thread count follows it, so the engine and
     * the bytedeco OpenBLAS instance (which reads that variable) use the same number of threads.
     */
    public static Backend backend(String name) {
        Backend be = Backends.get(name);
        int t = envThreads();
        if (t > 0 && be.threads() != t) be.setThreads(t);
        return be;
    }

    /** OPENBLAS_NUM_THREADS as a positive int, or 0 when unset or unreadable. */
    static int envThreads() {
        try {
            String v = System.getenv("OPENBLAS_NUM_THREADS");
            return v == null ? 0 : Math.max(0, Integer.parseInt(v.trim()));
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** Uniform values in [-1, 1), reproducible by seed. */
    public static float[] random(int n, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] a = new float[n];
        for (int i = 0; i < n; i++) a[i] = (float) (r.nextDouble() * 2 - 1);
        return a;
    }

    /** A new F32 buffer of {@code n} random values. */
    public static Buffer randomF32(Backend be, int n, long seed) {
        Buffer b = be.allocate(DType.F32, n);
        be.copyIn(random(n, seed), 0, b, 0, n);
        return b;
    }

    /** Closes every non-null buffer. */
    public static void close(Buffer... buffers) {
        for (Buffer b : buffers) if (b != null) b.close();
    }
}
