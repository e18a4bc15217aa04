package dev.engine.bench;

import dev.engine.api.Backend;
import dev.engine.api.Backends;
import dev.engine.api.Buffer;
import dev.engine.api.DType;
import java.util.SplittableRandom;

/** Helpers shared by the benchmark states: pick a backend, make buffers of seeded random data. */
public final class Fixtures {
    private Fixtures() {}

    /** The backend named by a benchmark's {@code backend} param; throws with the reason if unavailable. */
    public static Backend backend(String name) { return Backends.get(name); }

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
