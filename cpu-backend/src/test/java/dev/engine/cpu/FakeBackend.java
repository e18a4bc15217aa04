package dev.engine.cpu;

import dev.engine.api.Activation;
import dev.engine.api.Backend;
import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.Conv2dShape;
import dev.engine.api.DType;
import dev.engine.api.Device;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.Epilogue;
import dev.engine.api.MatrixRef;
import dev.engine.api.MemoryStats;
import dev.engine.api.OptimizerHyperparams;
import dev.engine.api.Pool2dShape;
import dev.engine.api.ReduceOp;

/**
 * A backend for discovery tests, registered through the test class path's
 * {@code META-INF/services/dev.engine.api.Backend}: ranked above the CPU (like CUDA) but never available,
 * with a reason. Its kernels are never reached.
 */
public class FakeBackend implements Backend {
    static final String REASON = "fake backend: no such device in this test";
    private final MemoryStats stats = new MemoryStats();

    @Override public String name() { return "fake"; }
    @Override public int rank() { return 100; }
    @Override public boolean isAvailable() { return false; }
    @Override public String unavailableReason() { return REASON; }
    @Override public Device device() { return Device.of("fake", 0); }
    @Override public String describe() { return "fake"; }
    @Override public int threads() { return 1; }
    @Override public void setThreads(int threads) { no(); }
    @Override public void synchronize() {}
    @Override public MemoryStats memoryStats() { return stats; }

    /** A buffer that claims to live on this backend; its address is never dereferenced by a correct backend. */
    Buffer foreignBuffer(DType dt, long length) { return new Buffer(this, dt, length, 0x10L, (a, b) -> {}, stats); }

    private static RuntimeException no() { throw new UnsupportedOperationException("fake backend"); }

    @Override public Buffer allocate(DType dtype, long length) { throw no(); }
    @Override public void copyIn(float[] s, int so, Buffer d, long o, int n) { no(); }
    @Override public void copyIn(double[] s, int so, Buffer d, long o, int n) { no(); }
    @Override public void copyIn(int[] s, int so, Buffer d, long o, int n) { no(); }
    @Override public void copyIn(long[] s, int so, Buffer d, long o, int n) { no(); }
    @Override public void copyOut(Buffer s, long so, float[] d, int o, int n) { no(); }
    @Override public void copyOut(Buffer s, long so, double[] d, int o, int n) { no(); }
    @Override public void copyOut(Buffer s, long so, int[] d, int o, int n) { no(); }
    @Override public void copyOut(Buffer s, long so, long[] d, int o, int n) { no(); }
    @Override public void copy(BufferView src, BufferView dst) { no(); }
    @Override public void elementwise(ElementwiseProgram p, BufferView[] in, BufferView out) { no(); }
    @Override public void gemm(boolean ta, boolean tb, long m, long n, long k, double al, MatrixRef a, MatrixRef b, double be, MatrixRef c,
                               long batch, Epilogue e) { no(); }
    @Override public void reduce(ReduceOp op, BufferView x, int[] axes, Buffer out) { no(); }
    @Override public void softmax(Buffer x, Buffer out, long r, long c, boolean log) { no(); }
    @Override public void softmaxBackward(Buffer y, Buffer gy, Buffer gx, long r, long c, boolean log) { no(); }
    @Override public void crossEntropy(Buffer l, Buffer t, Buffer w, long r, long c, double ls, long ii, Buffer lo, Buffer rw, Buffer g) { no(); }
    @Override public void layerNormForward(Buffer x, Buffer g, Buffer b, long r, long c, double e, Buffer y, Buffer m, Buffer s) { no(); }
    @Override public void layerNormBackward(Buffer x, Buffer gy, Buffer g, Buffer m, Buffer s, long r, long c, Buffer gx, Buffer gg, Buffer gb) { no(); }
    @Override public void batchNormForward(Buffer x, Buffer g, Buffer b, Buffer rm, Buffer rv, long n, long c, long hw, boolean t, double mo,
                                           double e, Buffer y, Buffer sm, Buffer sr) { no(); }
    @Override public void batchNormBackward(Buffer x, Buffer gy, Buffer g, Buffer sm, Buffer sr, long n, long c, long hw, Buffer gx, Buffer gg,
                                            Buffer gb) { no(); }
    @Override public void conv2dForward(Conv2dShape g, Buffer x, Buffer w, Buffer b, Activation a, Buffer y) { no(); }
    @Override public void conv2dBackwardInput(Conv2dShape g, Buffer gy, Buffer w, Buffer gx) { no(); }
    @Override public void conv2dBackwardWeight(Conv2dShape g, Buffer x, Buffer gy, Buffer gw, Buffer gb) { no(); }
    @Override public void maxPool2dForward(Pool2dShape g, Buffer x, Buffer y, Buffer i) { no(); }
    @Override public void maxPool2dBackward(Pool2dShape g, Buffer gy, Buffer i, Buffer gx) { no(); }
    @Override public void avgPool2dForward(Pool2dShape g, Buffer x, Buffer y) { no(); }
    @Override public void avgPool2dBackward(Pool2dShape g, Buffer gy, Buffer gx) { no(); }
    @Override public void adaptiveAvgPool2dForward(Buffer x, Buffer y, long nc, long h, long w, long oh, long ow) { no(); }
    @Override public void adaptiveAvgPool2dBackward(Buffer gy, Buffer gx, long nc, long h, long w, long oh, long ow) { no(); }
    @Override public void gatherRows(Buffer s, long sr, long rl, Buffer i, long c, Buffer d) { no(); }
    @Override public void scatterAddRows(Buffer s, Buffer i, long c, long rl, Buffer d, long dr) { no(); }
    @Override public void dropoutMask(long seed, long off, double p, Buffer m, long c) { no(); }
    @Override public void sgdStep(Buffer[] p, Buffer[] g, Buffer[] m, OptimizerHyperparams.Sgd hp) { no(); }
    @Override public void adamStep(Buffer[] p, Buffer[] g, Buffer[] m, Buffer[] v, OptimizerHyperparams.Adam hp) { no(); }
    @Override public void rmspropStep(Buffer[] p, Buffer[] g, Buffer[] s, Buffer[] m, OptimizerHyperparams.RmsProp hp) { no(); }

    /** A provider whose constructor fails, as a backend whose native library is missing might. */
    public static class Broken extends FakeBackend {
        public Broken() { throw new IllegalStateException("broken provider: cannot initialise"); }
    }
}
