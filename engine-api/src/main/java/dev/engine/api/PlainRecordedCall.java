package dev.engine.api;

/** {@link RecordedCall#plain}: nothing recorded, each run makes the ordinary calls again. */
final class PlainRecordedCall implements RecordedCall {
    private final Backend backend;
    private final Buffer input, output;
    private final int inputCount, outputCount;
    private final Runnable work;
    private volatile boolean closed;

    PlainRecordedCall(Backend backend, Buffer input, int inputCount, Buffer output, int outputCount, Runnable work) {
        this.backend = backend;
        this.input = input;
        this.inputCount = inputCount;
        this.output = output;
        this.outputCount = outputCount;
        this.work = work;
    }

    @Override public int inputCount() { return inputCount; }
    @Override public int outputCount() { return outputCount; }

    @Override public void run(float[] in, int inOffset, float[] out, int outOffset) {
        if (closed) throw new EngineException("RecordedCall.run: the recorded call was closed");
        RecordedCall.checkRun(this, in, inOffset, out, outOffset);
        backend.copyIn(in, inOffset, input, 0, inputCount);
        work.run();
        backend.copyOut(output, 0, out, outOffset, outputCount);
    }

    @Override public void close() { closed = true; }
}
