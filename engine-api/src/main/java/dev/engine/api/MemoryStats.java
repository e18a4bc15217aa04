package dev.engine.api;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counters of one backend's native memory: live bytes and buffers, peak, and allocations made so far.
 * Tests and benchmarks read them to show that a loop does not grow native memory.
 *
 * <pre>{@code
 * long before = backend.memoryStats().liveBytes();
 * ... run 1000 steps ...
 * assert backend.memoryStats().liveBytes() == before;
 * }</pre>
 */
public final class MemoryStats {
    private final AtomicLong liveBytes = new AtomicLong();
    private final AtomicLong liveBuffers = new AtomicLong();
    private final AtomicLong peakBytes = new AtomicLong();
    private final AtomicLong allocations = new AtomicLong();

    public void onAllocate(long bytes) {
        long now = liveBytes.addAndGet(bytes);
        liveBuffers.incrementAndGet();
        allocations.incrementAndGet();
        peakBytes.accumulateAndGet(now, Math::max);
    }

    public void onFree(long bytes) {
        liveBytes.addAndGet(-bytes);
        liveBuffers.decrementAndGet();
    }

    public long liveBytes() { return liveBytes.get(); }
    public long liveBuffers() { return liveBuffers.get(); }
    public long peakBytes() { return peakBytes.get(); }
    /** Allocations made since the backend started (monotonic). */
    public long allocations() { return allocations.get(); }

    @Override public String toString() {
        return "MemoryStats(live=" + liveBytes() + " B in " + liveBuffers() + " buffers, peak=" + peakBytes()
                + " B, allocations=" + allocations() + ")";
    }
}
