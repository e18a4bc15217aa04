package dev.engine.bench;

/**
 * Calls timed side by side on a shared host: a block of {@code reps} calls of each per round (rotating which
 * goes first), every call timed, the first tenth of every block dropped. Blocks of about 50 ms are short
 * enough that every method sees the same phases of the host (two-vCPU hosts here ran everything 1.6-1.8x
 * slower for seconds at a time) and long enough that one method's spinning threads and cache footprint are
 * gone from the next one's measured calls (rounds of 1-20 calls measured ONNX Runtime's QDQ MLP at 4x its
 * time alone).
 *
 * <pre>{@code
 * double[][] us = BlockInterleave.run(new Runnable[]{a, b}, 30, 500);
 * double ratio = PairedCheck.median(us[0]) / PairedCheck.median(us[1]);
 * }</pre>
 */
final class BlockInterleave {
    private BlockInterleave() {}

    /** Microseconds per measured call, per method: {@code rounds * (reps - reps / 10)} each, after one warm-up block. */
    static double[][] run(Runnable[] calls, int rounds, int reps) {
        int skip = reps / 10, kept = reps - skip;
        for (Runnable c : calls) for (int i = 0; i < reps; i++) c.run();
        double[][] t = new double[calls.length][rounds * kept];
        for (int r = 0; r < rounds; r++)
            for (int j = 0; j < calls.length; j++) {
                int m = (r + j) % calls.length;
                for (int i = 0; i < reps; i++) {
                    long t0 = System.nanoTime();
                    calls[m].run();
                    if (i >= skip) t[m][r * kept + i - skip] = (System.nanoTime() - t0) / 1e3;
                }
            }
        return t;
    }
}
