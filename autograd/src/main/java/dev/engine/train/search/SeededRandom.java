package dev.engine.train.search;

/**
 * SplitMix64, fully specified so that a search seed gives the same trials on every JVM and release.
 * Not thread-safe.
 */
final class SeededRandom {
    private long state;

    SeededRandom(long seed) { this.state = seed; }

    /** A generator for a (seed, stream) pair such as (search seed, trial id); the two are mixed, not added. */
    static SeededRandom of(long seed, long stream) { return new SeededRandom(mixPair(seed, stream)); }

    /** A well-mixed 64-bit value from two inputs (used for per-trial seeds). */
    static long mixPair(long seed, long stream) {
        return mix(seed) ^ mix(stream * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L);
    }

    static long mix(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    long nextLong() {
        state += 0x9E3779B97F4A7C15L;
        return mix(state);
    }

    /** Uniform in [0, 1) with 53 random bits. */
    double nextDouble() { return (nextLong() >>> 11) * 0x1.0p-53; }

    /** Uniform in [0, bound) without modulo bias. */
    long nextLong(long bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive: " + bound);
        long u = nextLong() >>> 1;
        long r;
        while (u + (bound - 1) - (r = u % bound) < 0) u = nextLong() >>> 1;
        return r;
    }

    int nextInt(int bound) { return (int) nextLong(bound); }
}
