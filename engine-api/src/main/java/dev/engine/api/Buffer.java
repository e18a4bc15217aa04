package dev.engine.api;

import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Native memory on one device holding {@code length} elements of one dtype. Closing it frees the memory
 * at once; any later use throws {@link ClosedBufferException}. A {@link Cleaner} frees a buffer that was
 * never closed, as a safety net only; with {@code -Dengine.leakDebug=true} such a leak is reported with
 * the stack trace of its allocation.
 *
 * <pre>{@code
 * try (Buffer b = backend.allocate(DType.F32, 1024)) {
 *     backend.copyIn(new float[1024], 0, b, 0, 1024);
 * }
 * }</pre>
 */
public final class Buffer implements AutoCloseable {
    /** Frees a native address; supplied by the backend that allocated it. */
    public interface Deallocator { void free(long address, long bytes); }

    private static final Cleaner CLEANER = Cleaner.create();
    private static final boolean LEAK_DEBUG = Boolean.getBoolean("engine.leakDebug");

    private final Backend backend;
    private final DType dtype;
    private final long length;
    private final long address;
    private final State state;
    private final Cleaner.Cleanable cleanable;
    private final long bytes;
    /** For a slice, the owner (kept reachable so the cleaner cannot free it under the slice). */
    private final Buffer parent;

    /** Shared with the cleaner; must not reference the buffer itself. */
    private static final class State implements Runnable {
        final long address, bytes;
        final Deallocator deallocator;
        final MemoryStats stats;
        final Throwable allocationSite;
        final AtomicBoolean freed = new AtomicBoolean();
        volatile boolean explicitlyClosed;

        State(long address, long bytes, Deallocator d, MemoryStats stats, Throwable site) {
            this.address = address; this.bytes = bytes; this.deallocator = d; this.stats = stats; this.allocationSite = site;
        }

        @Override public void run() {
            if (!freed.compareAndSet(false, true)) return;
            if (!explicitlyClosed && allocationSite != null) {
                System.err.println("engine: leaked buffer of " + bytes + " bytes freed by the GC; allocated at:");
                allocationSite.printStackTrace();
            }
            deallocator.free(address, bytes);
            stats.onFree(bytes);
        }
    }

    /** Called by backends after they allocated {@code dtype.bytes(length)} bytes at {@code address}. */
    public Buffer(Backend backend, DType dtype, long length, long address, Deallocator deallocator, MemoryStats stats) {
        this.backend = backend;
        this.dtype = dtype;
        this.length = length;
        this.address = address;
        long bytes = dtype.bytes(length);
        stats.onAllocate(bytes);
        this.bytes = bytes;
        this.parent = null;
        this.state = new State(address, bytes, deallocator, stats, LEAK_DEBUG ? new Throwable("allocation site") : null);
        this.cleanable = CLEANER.register(this, state);
    }

    /** An alias of part of {@code parent}'s memory: no allocation, no freeing, closed when the parent is. */
    private Buffer(Buffer parent, DType dtype, long length, long address) {
        this.backend = parent.backend;
        this.dtype = dtype;
        this.length = length;
        this.address = address;
        this.bytes = dtype.bytes(length);
        this.parent = parent;
        this.state = parent.state;
        this.cleanable = null;
    }

    /**
     * A buffer that aliases {@code length} elements of {@code dtype} starting {@code byteOffset} bytes
     * into this one, without allocating (allocation counters are untouched). Used for arenas: kernels that
     * take whole buffers can then work on a planned region. The slice is closed when this buffer is;
     * closing the slice itself does nothing. {@code byteOffset} must be aligned to {@code dtype}.
     *
     * <pre>{@code
     * Buffer arena = backend.allocate(DType.F32, 1 << 20);
     * Buffer region = arena.slice(DType.F32, 4096, 256);   // elements 1024..1279 of the arena
     * }</pre>
     */
    public Buffer slice(DType dtype, long byteOffset, long length) {
        if (dtype == null) throw new EngineException("buffer slice without a dtype");
        long b = dtype.bytes(length);
        if (byteOffset < 0 || byteOffset % dtype.byteSize() != 0 || byteOffset > bytes || b > bytes - byteOffset)
            throw new ShapeException("buffer slice of " + length + " x " + dtype + " at byte " + byteOffset
                    + " does not fit (aligned) in " + this);
        return new Buffer(this, dtype, length, address() + byteOffset);
    }

    public Backend backend() { return backend; }
    public Device device() { return backend.device(); }
    public DType dtype() { return dtype; }
    /** Number of elements. */
    public long length() { return length; }
    public long byteSize() { return bytes; }
    public boolean isClosed() { return state.freed.get(); }

    /** The native address; throws if closed. */
    public long address() {
        if (state.freed.get()) throw new ClosedBufferException("buffer of " + length + " x " + dtype + " on " + device() + " was already closed");
        return address;
    }

    /** Frees the memory now. Idempotent. */
    @Override public void close() {
        if (cleanable == null) return; // a slice: its parent owns the memory
        state.explicitlyClosed = true;
        cleanable.clean();
    }

    @Override public String toString() {
        return "Buffer(" + length + " x " + dtype + " on " + device() + (isClosed() ? ", closed" : "") + ")";
    }
}
