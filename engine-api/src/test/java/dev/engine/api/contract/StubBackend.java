package dev.engine.api.contract;

import dev.engine.api.Activation;
import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.CheckedBackend;
import dev.engine.api.Conv2dShape;
import dev.engine.api.DType;
import dev.engine.api.Device;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.Epilogue;
import dev.engine.api.KernelChecks;
import dev.engine.api.MatrixRef;
import dev.engine.api.MemoryStats;
import dev.engine.api.OptimizerHyperparams;
import dev.engine.api.Pool2dShape;
import dev.engine.api.ReduceOp;

/**
 * A backend with no kernels, for tests of what happens above them: discovery and ranking, and buffers
 * of another device handed to a real backend (its {@link #foreignBuffer} is never dereferenced, since the
 * checked layer refuses it first). Every hook throws {@link UnsupportedOperationException}.
 *
 * <pre>{@code
 * Buffer alien = new StubBackend("stub", 1, true).foreignBuffer(DType.F32, 4);
 * be.softmax(alien, out, 1, 4, false);   // DeviceException
 * }</pre>
 */
public class StubBackend extends CheckedBackend {
    private final String name;
    private final int rank;
    private final boolean available;
    private final MemoryStats stats = new MemoryStats();

    public StubBackend(String name, int rank, boolean available) {
        this.name = name;
        this.rank = rank;
        this.available = available;
    }

    @Override public String name() { return name; }
    @Override public int rank() { return rank; }
    @Override public boolean isAvailable() { return available; }
    @Override public String unavailableReason() { return available ? null : name + ": no such device in this test"; }
    @Override public Device device() { return Device.of(name, 0); }
    @Override public String describe() { return name; }
    @Override public int threads() { return 1; }
    @Override public void synchronize() {}
    @Override public MemoryStats memoryStats() { return stats; }
    @Override public String toString() { return name; }

    /** A buffer that claims to live on this backend at a fake address. */
    public Buffer foreignBuffer(DType dt, long length) { return new Buffer(this, dt, length, 0x10L, (a, b) -> {}, stats); }

    private static RuntimeException no() { throw new UnsupportedOperationException("stub backend has no kernels"); }

    @Override protected void setThreadsUnchecked(int threads) { no(); }
    @Override protected Buffer allocateUnchecked(DType dtype, long length) { throw no(); }
    @Override protected void copyInUnchecked(float[] s, int so, Buffer d, long o, int n) { no(); }
    @Override protected void copyInUnchecked(double[] s, int so, Buffer d, long o, int n) { no(); }
    @Override protected void copyInUnchecked(int[] s, int so, Buffer d, long o, int n) { no(); }
    @Override protected void copyInUnchecked(long[] s, int so, Buffer d, long o, int n) { no(); }
    @Override protected void copyOutUnchecked(Buffer s, long so, float[] d, int o, int n) { no(); }
    @Override protected void copyOutUnchecked(Buffer s, long so, double[] d, int o, int n) { no(); }
    @Override protected void copyOutUnchecked(Buffer s, long so, int[] d, int o, int n) { no(); }
    @Override protected void copyOutUnchecked(Buffer s, long so, long[] d, int o, int n) { no(); }
    @Override protected void copyUnchecked(BufferView src, BufferView dst) { no(); }
    @Override protected void elementwiseUnchecked(ElementwiseProgram p, BufferView[] in, BufferView out) { no(); }
    @Override protected void gemmUnchecked(boolean ta, boolean tb, long m, long n, long k, double al, MatrixRef a, MatrixRef b, double be,
                                           MatrixRef c, long batch, Epilogue e) { no(); }
    @Override protected void reduceUnchecked(ReduceOp op, BufferView x, KernelChecks.ReductionSplit s, Buffer out) { no(); }
    @Override protected void softmaxUnchecked(Buffer x, Buffer out, long r, long c, boolean log) { no(); }
    @Override protected void attentionUnchecked(BufferView q, BufferView k, BufferView v, Buffer p, boolean c, double s, BufferView o) { no(); }
    @Override protected void softmaxBackwardUnchecked(Buffer y, Buffer gy, Buffer gx, long r, long c, boolean log) { no(); }
    @Override protected long crossEntropyUnchecked(Buffer l, Buffer t, Buffer w, long r, long c, double ls, long ii, Buffer lo, Buffer rw,
                                                   Buffer g) { throw no(); }
    @Override protected void layerNormForwardUnchecked(Buffer x, Buffer g, Buffer b, long r, long c, double e, Buffer y, Buffer m, Buffer s) { no(); }
    @Override protected void layerNormBackwardUnchecked(Buffer x, Buffer gy, Buffer g, Buffer m, Buffer s, long r, long c, Buffer gx, Buffer gg,
                                                        Buffer gb) { no(); }
    @Override protected void batchNormForwardUnchecked(Buffer x, Buffer g, Buffer b, Buffer rm, Buffer rv, long n, long c, long hw, boolean t,
                                                       double mo, double e, Buffer y, Buffer sm, Buffer sr) { no(); }
    @Override protected void batchNormBackwardUnchecked(Buffer x, Buffer gy, Buffer g, Buffer sm, Buffer sr, long n, long c, long hw, Buffer gx,
                                                        Buffer gg, Buffer gb) { no(); }
    @Override protected void conv2dForwardUnchecked(Conv2dShape g, Buffer x, Buffer w, Buffer b, Activation a, Buffer y) { no(); }
    @Override protected void conv2dBackwardInputUnchecked(Conv2dShape g, Buffer gy, Buffer w, Buffer gx) { no(); }
    @Override protected void conv2dBackwardWeightUnchecked(Conv2dShape g, Buffer x, Buffer gy, Buffer gw, Buffer gb) { no(); }
    @Override protected long firstBadIndex(Buffer i, long c, long l) { throw no(); }
    @Override protected void maxPool2dForwardUnchecked(Pool2dShape g, Buffer x, Buffer y, Buffer i) { no(); }
    @Override protected void maxPool2dBackwardUnchecked(Pool2dShape g, Buffer gy, Buffer i, Buffer gx) { no(); }
    @Override protected void avgPool2dForwardUnchecked(Pool2dShape g, Buffer x, Buffer y) { no(); }
    @Override protected void avgPool2dBackwardUnchecked(Pool2dShape g, Buffer gy, Buffer gx) { no(); }
    @Override protected void adaptiveAvgPool2dUnchecked(Buffer s, Buffer d, long nc, long h, long w, long oh, long ow, boolean b) { no(); }
    @Override protected void gatherRowsUnchecked(Buffer s, long sr, long rl, Buffer i, long c, Buffer d) { no(); }
    @Override protected void scatterAddRowsUnchecked(Buffer s, Buffer i, long c, long rl, Buffer d, long dr) { no(); }
    @Override protected void dropoutMaskUnchecked(long seed, long off, double p, Buffer m, long c) { no(); }
    @Override protected void sgdStepUnchecked(Buffer[] p, Buffer[] g, Buffer[] m, OptimizerHyperparams.Sgd hp) { no(); }
    @Override protected void adamStepUnchecked(Buffer[] p, Buffer[] g, Buffer[] m, Buffer[] v, OptimizerHyperparams.Adam hp) { no(); }
    @Override protected void rmspropStepUnchecked(Buffer[] p, Buffer[] g, Buffer[] s, Buffer[] m, OptimizerHyperparams.RmsProp hp) { no(); }
}
