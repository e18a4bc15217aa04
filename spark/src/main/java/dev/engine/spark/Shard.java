package dev.engine.spark;

import java.io.Serializable;
import java.util.Random;

/** One worker's training rows, in a fixed order: features row-major and class labels. */
final class Shard implements Serializable {
    private static final long serialVersionUID = 1L;

    final float[] x;
    final int[] y;
    final int rows, features;

    Shard(float[] x, int[] y, int features) {
        this.x = x; this.y = y; this.features = features; this.rows = y.length;
    }

    /** Batches in one epoch. */
    int steps(int batchSize) { return (rows + batchSize - 1) / batchSize; }

    /** The epoch's row order: a shuffle that depends only on the seed, the epoch and the worker. */
    int[] order(long seed, int epoch, int worker, boolean shuffle) {
        int[] p = new int[rows];
        for (int i = 0; i < rows; i++) p[i] = i;
        if (!shuffle) return p;
        Random r = new Random(seed * 0x9E3779B97F4A7C15L + epoch * 1_000_003L + worker);
        for (int i = rows - 1; i > 0; i--) {
            int j = r.nextInt(i + 1);
            int t = p[i]; p[i] = p[j]; p[j] = t;
        }
        return p;
    }
}
