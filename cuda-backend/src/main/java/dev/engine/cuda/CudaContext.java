package dev.engine.cuda;

import dev.engine.api.BackendUnavailableException;
import dev.engine.api.EngineException;
import java.util.function.LongToIntFunction;

/**
 * One native CUDA context ({@code native/cuda/context.cuh}): a device, its stream, caching allocator, graph
 * bookkeeping, transfer staging and cuBLASLt handle. Each {@link CudaBackend} owns one and passes its handle
 * as the first argument of every native call that touches the device, so two backends never share a stream
 * or a cache. {@link #close()} waits for the stream and frees everything the context holds, buffers and
 * graphs still open included; it must not race with calls that use the context.
 */
final class CudaContext implements AutoCloseable {
    private final int device;
    private final LongToIntFunction destroy;
    private volatile long handle;

    CudaContext(long handle, int device, LongToIntFunction destroy) {
        if (handle == 0) throw new IllegalArgumentException("a CUDA context handle is never 0");
        this.handle = handle;
        this.device = device;
        this.destroy = destroy;
    }

    /** Makes a context on {@code device}; throws with the native reason when it cannot. */
    static CudaContext create(int device) {
        long h = CudaNative.ecu_context_create(device);
        if (h == 0) throw new EngineException("CUDA device " + device + " could not be initialised: " + CudaNative.ecu_error_message());
        return new CudaContext(h, device, CudaNative::ecu_context_destroy);
    }

    int device() { return device; }

    boolean isClosed() { return handle == 0; }

    /** The native handle; throws {@link BackendUnavailableException} once closed. */
    long handle() {
        long h = handle;
        if (h == 0) throw new BackendUnavailableException("cuda backend unavailable: " + closedReason());
        return h;
    }

    String closedReason() { return "its CUDA context (device " + device + ") was closed"; }

    /** Returns a buffer's block to this context's cache; nothing once closed (closing freed every block). */
    void free(long address) {
        long h = handle;
        if (h != 0) CudaRuntime.check("free", CudaNative.ecu_free(h, address));
    }

    /** Synchronises and frees everything the context holds. Idempotent. */
    @Override public void close() {
        long h;
        synchronized (this) {
            h = handle;
            if (h == 0) return;
            handle = 0;
        }
        int e = destroy.applyAsInt(h);
        if (e != 0) CudaRuntime.check("CudaContext.close (device " + device + ")", e);
    }

    @Override public String toString() { return "CudaContext[device " + device + (isClosed() ? ", closed]" : "]"); }
}
