package dev.engine.cuda;

import dev.engine.api.EngineException;

/**
 * A captured sequence of kernel launches replayed with one call: what a frozen CUDA forward becomes.
 * Capture runs the given code once in capture mode (its kernels are recorded, not run); {@link #launch()}
 * replays them on the same buffers. Buffers touched during capture must stay open while the graph is
 * used; copies between host and device are not allowed inside a capture (they fail with a CUDA error), nor
 * are ops whose index check the host reads (gather, scatter-add, cross-entropy targets): a replay could
 * not report a bad index. A frozen model's whole call is recorded by {@link CudaBackend#recordCall} instead.
 * The graph belongs to the backend's context: it replays on that backend's stream, and closing the backend
 * destroys it (closing it afterwards does nothing). Not thread-safe: capture and launch from one thread at a
 * time.
 *
 * <pre>{@code
 * try (CudaGraph g = CudaGraph.capture(cuda, () -> model.forwardInto(input, output))) {
 *     cuda.copyIn(batch, 0, input, 0, n);
 *     g.launch();
 *     cuda.copyOut(output, 0, result, 0, m);   // waits for the replay
 * }
 * }</pre>
 */
public final class CudaGraph implements AutoCloseable {
    private final CudaBackend backend;
    private long handle;

    private CudaGraph(CudaBackend backend, long handle) { this.backend = backend; this.handle = handle; }

    /** Records every kernel {@code body} queues on {@code backend} into a graph ready to launch. */
    public static CudaGraph capture(CudaBackend backend, Runnable body) {
        CudaRuntime.ready();
        if (backend == null) throw new EngineException("CudaGraph.capture: backend is null");
        long ctx = backend.ctx();
        synchronized (CudaGraph.class) {
            CudaRuntime.check("CudaGraph.capture (begin)", CudaNative.ecu_graph_begin(ctx));
            RuntimeException failure = null;
            try {
                body.run();
            } catch (RuntimeException e) {
                failure = e;
            }
            long h = CudaNative.ecu_graph_end(ctx);  // always end, so the stream leaves capture mode
            if (failure != null) {
                if (h != 0) CudaNative.ecu_graph_destroy(ctx, h);
                throw failure;
            }
            if (h == 0) CudaRuntime.check("CudaGraph.capture (end)", CudaNative.ecu_last_graph_error());
            return new CudaGraph(backend, h);
        }
    }

    /** Queues one replay on the backend's stream; {@link CudaBackend#synchronize()} or a copyOut waits for it. */
    public void launch() {
        if (handle == 0) throw new EngineException("CudaGraph.launch: the graph was already closed");
        CudaRuntime.check("CudaGraph.launch", CudaNative.ecu_graph_launch(backend.ctx(), handle));
    }

    public CudaBackend backend() { return backend; }

    public boolean isClosed() { return handle == 0; }

    /** Frees the graph. Idempotent; nothing to do once its backend was closed (that destroyed the graph). */
    @Override public void close() {
        if (handle == 0) return;
        long h = handle;
        handle = 0;
        CudaContext c = backend.context();
        if (c.isClosed()) return;
        CudaRuntime.check("CudaGraph.close", CudaNative.ecu_graph_destroy(c.handle(), h));
    }
}
