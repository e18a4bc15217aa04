package dev.engine.data;

import dev.engine.api.EngineException;
import dev.engine.autograd.Generator;
import java.util.Iterator;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * Cuts a {@link Dataset} into {@link Batch}es, epoch after epoch. The row order of epoch {@code e} is a
 * seeded permutation that mixes {@code e} into the seed, so every run with the same seed sees the same
 * batches, a resumed run can continue at any epoch ({@link #epoch(int)}), and iterating an epoch twice
 * gives identical batches. Each epoch covers every row exactly once (minus the incomplete last batch
 * with drop-last). With prefetch (the default) a daemon thread prepares batches ahead into a queue of
 * two, so the next batch is ready when a training step finishes; closing the epoch or the loader
 * stops it. Rows with missing values (NaN) are refused: impute first.
 *
 * <pre>{@code
 * try (DataLoader loader = DataLoader.builder(train).batchSize(32).shuffle(true).seed(7).build()) {
 *     for (int e = 0; e < epochs; e++) {
 *         try (DataLoader.Epoch it = loader.epoch(e)) {
 *             while (it.hasNext()) step(it.next());
 *         }
 *     }
 *     for (Batch b : loader) { ... }   // plain for-each: the next epoch not yet started (0, 1, ...)
 * }
 * }</pre>
 */
public final class DataLoader implements Iterable<Batch>, AutoCloseable {
    private static final Object END = new Object();

    private final Dataset data;
    private final int batchSize;
    private final boolean shuffle;
    private final long seed;
    private final boolean dropLast;
    private final boolean prefetch;
    private final Set<Epoch> open = ConcurrentHashMap.newKeySet();
    private volatile boolean closed;
    private int nextEpoch;
    private Epoch lastIterated;

    private DataLoader(Builder b) {
        this.data = b.data;
        this.batchSize = b.batchSize;
        this.shuffle = b.shuffle;
        this.seed = b.seed;
        this.dropLast = b.dropLast;
        this.prefetch = b.prefetch;
        long missing = data.countMissing();
        if (missing > 0) {
            throw new EngineException("the dataset has " + missing + " missing values (NaN); impute them "
                    + "(e.g. Impute.median()) before loading batches");
        }
    }

    /** A builder over {@code data}; defaults: batch 32, shuffled, seed 0, keep the last batch, prefetch. */
    public static Builder builder(Dataset data) { return new Builder(data); }

    /** Settings of a {@link DataLoader}. */
    public static final class Builder {
        private final Dataset data;
        private int batchSize = 32;
        private boolean shuffle = true;
        private long seed;
        private boolean dropLast;
        private boolean prefetch = true;

        private Builder(Dataset data) { this.data = data; }

        /** Rows per batch (at least 1). */
        public Builder batchSize(int n) {
            if (n < 1) throw new EngineException("batch size must be at least 1: " + n);
            this.batchSize = n;
            return this;
        }

        /** Whether each epoch visits the rows in a seeded random order (else in dataset order). */
        public Builder shuffle(boolean s) { this.shuffle = s; return this; }

        /** The seed of the shuffles. */
        public Builder seed(long s) { this.seed = s; return this; }

        /** Whether to skip the last batch when it is smaller than the batch size. */
        public Builder dropLast(boolean d) { this.dropLast = d; return this; }

        /** Whether a background thread prepares the next batches. */
        public Builder prefetch(boolean p) { this.prefetch = p; return this; }

        /** The loader. */
        public DataLoader build() { return new DataLoader(this); }
    }

    /** The dataset. */
    public Dataset dataset() { return data; }

    /** Rows per batch. */
    public int batchSize() { return batchSize; }

    /** Batches per epoch. */
    public int numBatches() {
        int n = data.size();
        return dropLast ? n / batchSize : (n + batchSize - 1) / batchSize;
    }

    /** The row order of epoch {@code e} (a permutation of all rows, before batching and drop-last). */
    public int[] order(int e) {
        if (e < 0) throw new EngineException("epoch must be >= 0: " + e);
        if (shuffle) return Generator.of(seed, e).permutation(data.size());
        int[] p = new int[data.size()];
        for (int i = 0; i < p.length; i++) p[i] = i;
        return p;
    }

    /** The batches of epoch {@code e}; close it (or exhaust it) to stop its prefetch thread. */
    public Epoch epoch(int e) {
        if (closed) throw new EngineException("the data loader is closed");
        Epoch it = new Epoch(e, order(e));
        open.add(it);
        if (closed) it.close();
        return it;
    }

    /**
     * The batches of the next epoch not yet started by {@code iterator()}: 0, then 1, ... (see
     * {@link #setNextEpoch}). Starting one stops the prefetch thread of the epoch the previous call
     * returned, so a for-each loop left early by {@code break} leaks no thread.
     */
    @Override
    public synchronized Iterator<Batch> iterator() {
        if (lastIterated != null) lastIterated.close();
        lastIterated = epoch(nextEpoch++);
        return lastIterated;
    }

    /** Makes the next {@link #iterator()} call start at epoch {@code e}, e.g. when resuming training. */
    public synchronized void setNextEpoch(int e) {
        if (e < 0) throw new EngineException("epoch must be >= 0: " + e);
        nextEpoch = e;
    }

    /** Stops every prefetch thread; the loader cannot be used afterwards. */
    @Override
    public void close() {
        closed = true;
        for (Epoch e : open) e.close();
    }

    private Batch makeBatch(int[] order, int b) {
        int from = b * batchSize, to = Math.min(order.length, from + batchSize), m = to - from;
        int w = data.featureSize(), tw = data.targetWidth();
        float[] x = data.rawFeatures();
        int[] labels = data.rawLabels();
        float[] targets = data.rawTargets();
        float[] bx = new float[m * w];
        int[] bl = labels == null ? null : new int[m];
        float[] bt = targets == null ? null : new float[m * tw];
        int[] idx = new int[m];
        for (int k = 0; k < m; k++) {
            int i = order[from + k];
            idx[k] = i;
            System.arraycopy(x, i * w, bx, k * w, w);
            if (bl != null) bl[k] = labels[i];
            if (bt != null) System.arraycopy(targets, i * tw, bt, k * tw, tw);
        }
        int[] fs = data.featureShape();
        int[] shape = new int[fs.length + 1];
        shape[0] = m;
        System.arraycopy(fs, 0, shape, 1, fs.length);
        return new Batch(bx, shape, bl, bt, idx);
    }

    /** The batches of one epoch, in order; closing it stops its prefetch thread. Not thread-safe. */
    public final class Epoch implements Iterator<Batch>, AutoCloseable {
        private final int epoch;
        private final int[] order;
        private final int count;
        private final BlockingQueue<Object> queue;
        private final Thread thread;
        private volatile boolean stopped;
        private int produced;      // without prefetch
        private Object next;
        private boolean done;

        private Epoch(int epoch, int[] order) {
            this.epoch = epoch;
            this.order = order;
            this.count = numBatches();
            if (prefetch) {
                queue = new ArrayBlockingQueue<>(2);
                thread = new Thread(this::produce, "engine-dataloader-prefetch-epoch-" + epoch);
                thread.setDaemon(true);
                thread.start();
            } else {
                queue = null;
                thread = null;
            }
        }

        /** The epoch number. */
        public int number() { return epoch; }

        private void produce() {
            Object last = END;
            try {
                for (int b = 0; b < count && !stopped; b++) {
                    Batch batch = makeBatch(order, b);
                    while (!queue.offer(batch, 50, TimeUnit.MILLISECONDS)) if (stopped) return;
                }
            } catch (InterruptedException e) {
                return;
            } catch (Throwable t) {
                last = t;
            }
            try {
                while (!stopped && !queue.offer(last, 50, TimeUnit.MILLISECONDS)) { /* wait for room */ }
            } catch (InterruptedException ignored) {
                // closing
            }
        }

        @Override
        public boolean hasNext() {
            if (done) return false;
            if (next != null) return true;
            if (stopped) throw new EngineException("epoch " + epoch + " was closed");
            Object o;
            if (queue == null) {
                o = produced < count ? makeBatch(order, produced++) : END;
            } else {
                try {
                    o = queue.take();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new EngineException("interrupted while waiting for the next batch", e);
                }
            }
            if (o == END) { close(); done = true; return false; }
            if (o instanceof Throwable t) {
                close();
                done = true;
                throw new EngineException("preparing a batch of epoch " + epoch + " failed: " + t, t);
            }
            next = o;
            return true;
        }

        @Override
        public Batch next() {
            if (!hasNext()) throw new NoSuchElementException("epoch " + epoch + " has no more batches");
            Batch b = (Batch) next;
            next = null;
            return b;
        }

        /** Stops the prefetch thread (waits for it to end); further calls return nothing. */
        @Override
        public void close() {
            stopped = true;
            open.remove(this);
            if (thread != null && thread != Thread.currentThread()) {
                thread.interrupt();
                try {
                    thread.join(5000);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }

        /** The prefetch thread, or null without prefetch (for tests). */
        Thread prefetchThread() { return thread; }
    }
}
