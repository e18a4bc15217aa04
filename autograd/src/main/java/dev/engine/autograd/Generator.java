package dev.engine.autograd;

/**
 * A seeded random generator (SplitMix64 stream) for initialisation, shuffling and sampling. Identical
 * seeds give identical sequences on every machine. Not thread-safe: give each thread its own.
 *
 * <pre>{@code
 * Generator g = new Generator(42);
 * Tensor w = Tensor.randn(g, 128, 64);
 * }</pre>
 */
public final class Generator {
    private long state;
    private double spareNormal = Double.NaN;

    public Generator(long seed) { this.state = seed * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L; }

    private Generator(long state, boolean raw) { this.state = state; }

    /** A generator whose SplitMix64 state starts exactly at {@code state} (a fully specified stream). */
    public static Generator fromState(long state) { return new Generator(state, true); }

    /**
     * A generator for a (seed, stream) pair such as (seed, epoch) or (search seed, trial id): the two are
     * mixed, not added, so neighbouring streams are unrelated.
     */
    public static Generator of(long seed, long stream) { return fromState(mixPair(seed, stream)); }

    /** A well-mixed 64-bit value from two inputs. */
    public static long mixPair(long seed, long stream) {
        return mix(seed) ^ mix(stream * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L);
    }

    /** The SplitMix64 finaliser. */
    public static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Next 64 random bits. */
    public long nextLong() { return mix(state += 0x9E3779B97F4A7C15L); }

    /** Uniform in [0, bound) without modulo bias (Java's rejection scheme on 63-bit values). */
    public long nextLong(long bound) {
        if (bound <= 0) throw new dev.engine.api.EngineException("generator: bound must be positive, got " + bound);
        long u = nextLong() >>> 1;
        long r;
        while (u + (bound - 1) - (r = u % bound) < 0) u = nextLong() >>> 1;
        return r;
    }

    /** Fisher-Yates shuffle in place. */
    public void shuffle(int[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
    }

    /** 0..n-1 in a seeded random order. */
    public int[] permutation(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        shuffle(p);
        return p;
    }

    /** Uniform in [0, 1). */
    public double nextDouble() { return (nextLong() >>> 11) * 0x1.0p-53; }

    /** Uniform integer in [0, bound). */
    public int nextInt(int bound) { return (int) nextLong(bound); }

    /** Standard normal (Box-Muller). */
    public double nextGaussian() {
        if (!Double.isNaN(spareNormal)) {
            double s = spareNormal;
            spareNormal = Double.NaN;
            return s;
        }
        double u1 = nextDouble(), u2 = nextDouble();
        while (u1 <= 0) u1 = nextDouble();
        double r = Math.sqrt(-2 * Math.log(u1));
        spareNormal = r * Math.sin(2 * Math.PI * u2);
        return r * Math.cos(2 * Math.PI * u2);
    }

    /** A fresh generator seeded from this one, for independent streams. */
    public Generator split() { return new Generator(nextLong()); }
}
