package dev.engine.cuda;

import dev.engine.api.Buffer;
import dev.engine.api.EngineException;
import dev.engine.api.RecordedCall;

/**
 * A frozen call as one CUDA graph: [pinned input -> device input, the recorded kernels, device output ->
 * pinned output], captured once on a private stream (so other threads' work never lands in it) and
 * replayed on the backend's stream. {@link #run} is one native call: the Java array is copied into
 * the pinned input, the graph launched, this replay waited for, the pinned output copied into the Java
 * array. Holds two pinned buffers and the graph; the device buffers stay the caller's. Made by
 * {@link CudaBackend#recordCall}; one caller at a time. Closing the backend frees it too.
 *
 * <pre>{@code
 * try (RecordedCall call = cuda.recordCall(x, 784, y, 10, forward)) {
 *     call.run(pixels, 0, logits, 0);
 * }
 * }</pre>
 */
final class CudaRecordedCall implements RecordedCall {
    private final CudaContext context;
    private final int inputCount, outputCount;
    private long handle;

    private CudaRecordedCall(CudaContext context, long handle, int inputCount, int outputCount) {
        this.context = context;
        this.handle = handle;
        this.inputCount = inputCount;
        this.outputCount = outputCount;
    }

    /** Allocates the pinned staging and captures; frees everything and throws when the work cannot be captured. */
    static CudaRecordedCall record(CudaBackend cuda, Buffer input, int inputCount, Buffer output, int outputCount, Runnable work) {
        RecordedCall.checkRecord(cuda, input, inputCount, output, outputCount, work);
        CudaContext context = cuda.context();
        long ctx = context.handle();
        long h = CudaNative.ecu_call_create(ctx, inputCount, outputCount);
        if (h == 0) {
            int e = CudaNative.ecu_call_last_error();
            if (e == CudaRuntime.MESSAGE) throw new EngineException("recordCall: " + CudaNative.ecu_error_message());
            throw new EngineException("recordCall: no pinned host memory for " + inputCount + " + " + outputCount + " floats: CUDA error "
                    + e + " (" + CudaNative.ecu_error_string(e) + ")");
        }
        try {
            synchronized (CudaGraph.class) {  // one capture at a time: freed scratch is adopted by the graph being captured
                CudaRuntime.check("recordCall (begin capture)", CudaNative.ecu_call_capture_begin(ctx, h, input.address()));
                boolean captured = false;
                try {
                    work.run();
                    captured = true;
                } finally {
                    if (!captured) CudaNative.ecu_call_capture_abort(ctx);
                }
                CudaRuntime.check("recordCall (end capture)", CudaNative.ecu_call_capture_end(ctx, h, output.address()));
            }
        } catch (RuntimeException | Error e) {
            CudaNative.ecu_call_destroy(ctx, h);
            throw e;
        }
        return new CudaRecordedCall(context, h, inputCount, outputCount);
    }

    @Override public int inputCount() { return inputCount; }
    @Override public int outputCount() { return outputCount; }

    @Override public void run(float[] in, int inOffset, float[] out, int outOffset) {
        long h = handle;
        if (h == 0) throw new EngineException("RecordedCall.run: the recorded call was closed");
        RecordedCall.checkRun(this, in, inOffset, out, outOffset);
        CudaRuntime.check("RecordedCall.run", CudaNative.ecu_call_run(context.handle(), h, in, inOffset, inputCount, out, outOffset, outputCount));
    }

    /**
     * Waits for a replay in flight, then frees the graph (and its scratch blocks) and the pinned buffers. Idempotent;
     * nothing to do once the backend was closed (that freed them).
     */
    @Override public void close() {
        long h = handle;
        if (h == 0) return;
        handle = 0;
        if (context.isClosed()) return;
        CudaRuntime.check("RecordedCall.close", CudaNative.ecu_call_destroy(context.handle(), h));
    }
}
