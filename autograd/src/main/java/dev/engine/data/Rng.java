package dev.engine.data;

/**
 * A tiny, fully specified pseudo-random generator (SplitMix64) so that shuffles and splits are the same
 * on every JVM and every release: a seed means the same permutation forever. Not thread-safe.
 */
final class Rng {
    private long state;

    Rng(long seed) { this.state = seed; }

    /** A generator for a (seed, stream) pair, e.g. (seed, epoch): the two are mixed, not just added. */
    static Rng of(long seed, long stream) {
        return new Rng(mix(seed) ^ mix(stream * 0x9E3779B97F4A7C15L + 0x632BE59BD9B4E019L));
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

    /** Uniform in [0, bound) without modulo bias. */
    int nextInt(int bound) {
        if (bound <= 0) throw new IllegalArgumentException("bound must be positive: " + bound);
        // Java's own rejection scheme on 63-bit values: rejects the biased tail, deterministic.
        long u = nextLong() >>> 1;
        long r;
        while (u + (bound - 1) - (r = u % bound) < 0) u = nextLong() >>> 1;
        return (int) r;
    }

    /** Fisher-Yates shuffle in place. */
    void shuffle(int[] a) {
        for (int i = a.length - 1; i > 0; i--) {
            int j = nextInt(i + 1);
            int t = a[i]; a[i] = a[j]; a[j] = t;
        }
    }

    /** 0..n-1 in a seeded random order. */
    int[] permutation(int n) {
        int[] p = new int[n];
        for (int i = 0; i < n; i++) p[i] = i;
        shuffle(p);
        return p;
    }
}
