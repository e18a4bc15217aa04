package dev.engine.api;

/**
 * A whole host-to-host call recorded once and replayed: copy a {@code float[]} into a device input
 * buffer, run the recorded work, copy a device output buffer back into a {@code float[]}. Made by
 * {@link Backend#recordCall}. On CUDA it is one CUDA graph (the copies from and to preallocated pinned
 * host memory inside it), so a run is one native call: array into pinned memory, one launch, one wait,
 * pinned memory into the array. Other backends get {@link #plain} by default: the same three steps as
 * ordinary calls. Not thread-safe (one caller at a time); closing frees what the recording holds, never
 * the buffers it reads and writes, which must stay open while it is used.
 *
 * <pre>{@code
 * try (RecordedCall call = backend.recordCall(input, 784, output, 10, () -> forward.run())) {
 *     call.run(pixels, 0, logits, 0);            // pixels[0..784) in, logits[0..10) out
 * }
 * }</pre>
 */
public interface RecordedCall extends AutoCloseable {
    /** Values copied from the input array on each run. */
    int inputCount();

    /** Values copied into the output array on each run. */
    int outputCount();

    /** Copies {@code in[inOffset ..]} in, runs the recorded work, waits, copies the result into {@code out[outOffset ..]}. */
    void run(float[] in, int inOffset, float[] out, int outOffset);

    /** Frees the recording. Idempotent; a run afterwards throws. */
    @Override void close();

    /**
     * The default recording: each run is {@code copyIn}, {@code work}, {@code copyOut} on {@code backend}.
     * Checks the buffers now, like {@link Backend#recordCall} does on every backend.
     */
    static RecordedCall plain(Backend backend, Buffer input, int inputCount, Buffer output, int outputCount, Runnable work) {
        checkRecord(backend, input, inputCount, output, outputCount, work);
        return new PlainRecordedCall(backend, input, inputCount, output, outputCount, work);
    }

    /** The arguments of {@link Backend#recordCall}: open F32 buffers of {@code backend} large enough, and work to record. */
    static void checkRecord(Backend backend, Buffer input, int inputCount, Buffer output, int outputCount, Runnable work) {
        String op = "recordCall";
        KernelChecks.buffer(op, "input", backend, input, inputCount, DType.F32);
        KernelChecks.buffer(op, "output", backend, output, outputCount, DType.F32);
        if (work == null) throw new EngineException(op + ": work is null");
    }

    /** The arguments of {@link #run}: both arrays present and holding the counts from their offsets. */
    static void checkRun(RecordedCall call, float[] in, int inOffset, float[] out, int outOffset) {
        array("input", in, inOffset, call.inputCount());
        array("output", out, outOffset, call.outputCount());
    }

    private static void array(String what, float[] a, int offset, int count) {
        if (a == null) throw new EngineException("RecordedCall.run: " + what + " array is null");
        if (offset < 0 || offset > a.length - count)
            throw new ShapeException("RecordedCall.run: " + what + " array of " + a.length + " values cannot hold " + count
                    + " values from offset " + offset);
    }
}
