package dev.engine.spark;

import dev.engine.api.Backends;
import dev.engine.inference.Predictor;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * The executor side of {@link EnginePredictor}: one {@link Predictor} per broadcast bundle per JVM, built on
 * first use and shared by every task of that JVM (a Predictor is thread-safe). This is the one piece of
 * process-wide state in the module, and it has to be: Spark gives tasks no other place that outlives them.
 * Tasks hold a lease; at most {@link #MAX_MODELS} bundles stay loaded, the least recently used one is closed
 * once its last lease ends, and the rest are closed when the JVM shuts down.
 */
final class PredictorCache {
    static final int MAX_MODELS = 4;

    private static final class Entry {
        final Predictor predictor;
        int leases;
        boolean evicted;
        Entry(Predictor p) { predictor = p; }
    }

    /** A task's use of a cached predictor; closing it lets an evicted predictor go. */
    static final class Lease implements AutoCloseable {
        private final Entry entry;
        private boolean closed;
        private Lease(Entry e) { entry = e; }
        Predictor predictor() { return entry.predictor; }
        @Override public void close() {
            synchronized (PredictorCache.class) {
                if (closed) return;
                closed = true;
                if (--entry.leases == 0 && entry.evicted) entry.predictor.close();
            }
        }
    }

    private static final Map<Long, Entry> ENTRIES = new LinkedHashMap<>(16, 0.75f, true);
    private static boolean hooked;

    private PredictorCache() {}

    /**
     * The predictor of broadcast {@code id}, loading it from {@code bytes} the first time; {@code threads} > 0
     * sets the backend's kernel threads for this JVM when a bundle is first loaded.
     */
    static synchronized Lease acquire(long id, Supplier<byte[]> bytes, String source, int threads) {
        Entry e = ENTRIES.get(id);
        if (e == null) {
            if (threads > 0) Backends.preferred().setThreads(threads);
            e = new Entry(Predictor.load(bytes.get(), Backends.preferred(), source));
            ENTRIES.put(id, e);
            evictBeyondLimit();
            if (!hooked) {
                Runtime.getRuntime().addShutdownHook(new Thread(PredictorCache::closeAll, "engine-predictor-cache"));
                hooked = true;
            }
        }
        e.leases++;
        return new Lease(e);
    }

    private static void evictBeyondLimit() {
        Iterator<Entry> it = ENTRIES.values().iterator();
        while (ENTRIES.size() > MAX_MODELS && it.hasNext()) {
            Entry old = it.next();
            it.remove();
            old.evicted = true;
            if (old.leases == 0) old.predictor.close();
        }
    }

    /** How many bundles this JVM holds loaded (for tests). */
    static synchronized int size() { return ENTRIES.size(); }

    private static synchronized void closeAll() {
        for (Entry e : ENTRIES.values()) e.predictor.close();
        ENTRIES.clear();
    }
}
