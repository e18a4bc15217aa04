package dev.engine.cpu;

import static dev.engine.api.KernelChecks.buffer;
import static dev.engine.api.KernelChecks.floating;
import static dev.engine.api.KernelChecks.product;

import dev.engine.api.Activation;
import dev.engine.api.Backend;
import dev.engine.api.BackendUnavailableException;
import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.Conv2dShape;
import dev.engine.api.DType;
import dev.engine.api.DTypeException;
import dev.engine.api.Device;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.EngineException;
import dev.engine.api.Epilogue;
import dev.engine.api.IndexOutOfRangeException;
import dev.engine.api.KernelChecks;
import dev.engine.api.Layout;
import dev.engine.api.MatrixRef;
import dev.engine.api.MemoryStats;
import dev.engine.api.OptimizerHyperparams;
import dev.engine.api.PackedMatrix;
import dev.engine.api.Pool2dShape;
import dev.engine.api.ReduceOp;
import dev.engine.api.ShapeException;
import java.util.Arrays;

/**
 * The CPU backend: OpenBLAS for GEMM and our own C++ kernels (native/cpu) for everything else, called
 * through JavaCPP with one native call per kernel. Checks every argument in Java first.
 *
 * <pre>{@code
 * Backend cpu = Backends.get("cpu");
 * cpu.setThreads(2);   // our kernels and OpenBLAS
 * }</pre>
 */
public final class CpuBackend implements Backend {
    private static final int MAX_RANK = 16;
    /** More threads than this is a mistake (each is a native worker of the kernel pool). */
    static final int MAX_THREADS = 512;
    /** Tensors per native optimizer call, so the argument block never overflows. */
    private static final int OPTIMIZER_CHUNK = 1000;
    private final MemoryStats stats = new MemoryStats();
    private final CpuConvPool convPool = new CpuConvPool(this);
    private final Buffer.Deallocator deallocator = (address, bytes) -> CpuNative.engine_free(address);

    /** Loads the native library once; remembers why it failed. */
    private static final class Native {
        static final String FAILURE;
        static {
            String failure = null;
            try {
                CpuNative.load();
                CpuNative.engine_set_threads(Runtime.getRuntime().availableProcessors());
            } catch (Throwable t) {
                failure = "native library failed to load: " + t;
            }
            FAILURE = failure;
        }
    }

    public CpuBackend() {}

    @Override public String name() { return "cpu"; }
    @Override public int rank() { return 10; }
    @Override public boolean isAvailable() { return Native.FAILURE == null; }
    @Override public String unavailableReason() { return Native.FAILURE; }
    @Override public Device device() { return Device.CPU; }
    @Override public MemoryStats memoryStats() { return stats; }
    @Override public void synchronize() {}

    void ready() {
        if (Native.FAILURE != null) throw new BackendUnavailableException("cpu backend unavailable: " + Native.FAILURE);
    }

    /** OpenBLAS core name (e.g. "Haswell"), its build configuration and the CPU's vector features. */
    @Override public String describe() {
        ready();
        String[] p = CpuNative.engine_describe().split("\\|", -1);
        return "OpenBLAS core: " + p[0] + "; OpenBLAS config: " + p[1].trim() + "; CPU features: " + p[2].trim()
                + "; packed GEMM kernel: " + CpuNative.engine_packed_isa() + "; threads: " + threads();
    }

    /** The instruction set of the packed GEMM kernel in use: "avx512", "avx2" or "baseline" ({@code ENGINE_CPU_ISA} narrows it). */
    public String packedGemmIsa() {
        ready();
        return CpuNative.engine_packed_isa();
    }

    /**
     * Measured FP32 fused multiply-add throughput of one core, in GFLOP/s, at the packed GEMM kernel's
     * instruction set: 16 independent vector FMA chains, no memory traffic, best of ten runs of about
     * {@code millis} ms on the calling thread. Benchmarks divide by it to state how close a kernel gets to
     * the hardware; it takes about {@code 11 * millis} ms, so call it once, not per measurement.
     *
     * <pre>{@code
     * double perCore = cpu.fmaPeakGflops(50);   // e.g. ~115 on a Zen 4 core (one 512-bit FMA per cycle)
     * }</pre>
     */
    public double fmaPeakGflops(int millis) {
        ready();
        if (millis < 1 || millis > 10_000) throw new IllegalArgumentException("fmaPeakGflops: millis must be in [1, 10000], got " + millis);
        return CpuNative.engine_fma_peak(millis);
    }

    /** The OpenBLAS kernel core in use, e.g. "Haswell". */
    public String openBlasCore() {
        ready();
        return CpuNative.engine_describe().split("\\|", -1)[0];
    }

    @Override public int threads() { ready(); return CpuNative.engine_get_threads(); }

    @Override public void setThreads(int threads) {
        ready();
        if (threads < 1 || threads > MAX_THREADS)
            throw new EngineException("setThreads: thread count " + threads + " must be in [1, " + MAX_THREADS + "]");
        CpuNative.engine_set_threads(threads);
    }

    // ---- memory -----------------------------------------------------------------------------------

    @Override public Buffer allocate(DType dtype, long length) {
        ready();
        if (dtype == null) throw new EngineException("allocate: dtype is null");
        DTypeCodes.of("allocate", dtype);
        if (length < 0) throw new ShapeException("allocate: negative length " + length + " of " + dtype);
        if (length > Long.MAX_VALUE / 8 - 64)
            throw new ShapeException("allocate: " + length + " x " + dtype + " overflows a 64-bit byte size");
        long bytes = dtype.bytes(length);
        long address = CpuNative.engine_alloc(bytes);
        if (address == 0) throw new EngineException("allocate: out of native memory for " + length + " x " + dtype + " (" + bytes + " bytes)");
        return new Buffer(this, dtype, length, address, deallocator, stats);
    }

    private void checkTransfer(String op, Object array, int arrayLength, int arrayOffset, Buffer b, long bufOffset, int count, DType want) {
        ready();
        if (array == null) throw new EngineException(op + ": the Java array is null");
        buffer(op, "buffer", this, b, 0, want);
        if (count < 0 || arrayOffset < 0 || arrayOffset > arrayLength - count)
            throw new ShapeException(op + ": array range [" + arrayOffset + ", " + ((long) arrayOffset + count) + ") outside array of " + arrayLength);
        if (bufOffset < 0 || bufOffset > b.length() - count)
            throw new ShapeException(op + ": buffer range [" + bufOffset + ", " + (bufOffset + count) + ") outside buffer of " + b.length());
    }

    private long at(Buffer b, long index) { return b.address() + index * b.dtype().byteSize(); }

    @Override public void copyIn(float[] src, int so, Buffer dst, long dof, int n) {
        checkTransfer("copyIn", src, src == null ? 0 : src.length, so, dst, dof, n, DType.F32);
        if (n > 0) CpuNative.copy_in_f32(src, so, at(dst, dof), n);
    }
    @Override public void copyIn(double[] src, int so, Buffer dst, long dof, int n) {
        checkTransfer("copyIn", src, src == null ? 0 : src.length, so, dst, dof, n, DType.F64);
        if (n > 0) CpuNative.copy_in_f64(src, so, at(dst, dof), n);
    }
    @Override public void copyIn(int[] src, int so, Buffer dst, long dof, int n) {
        checkTransfer("copyIn", src, src == null ? 0 : src.length, so, dst, dof, n, DType.I32);
        if (n > 0) CpuNative.copy_in_i32(src, so, at(dst, dof), n);
    }
    @Override public void copyIn(long[] src, int so, Buffer dst, long dof, int n) {
        checkTransfer("copyIn", src, src == null ? 0 : src.length, so, dst, dof, n, DType.I64);
        if (n > 0) CpuNative.copy_in_i64(src, so, at(dst, dof), n);
    }
    @Override public void copyOut(Buffer src, long sof, float[] dst, int d, int n) {
        checkTransfer("copyOut", dst, dst == null ? 0 : dst.length, d, src, sof, n, DType.F32);
        if (n > 0) CpuNative.copy_out_f32(at(src, sof), dst, d, n);
    }
    @Override public void copyOut(Buffer src, long sof, double[] dst, int d, int n) {
        checkTransfer("copyOut", dst, dst == null ? 0 : dst.length, d, src, sof, n, DType.F64);
        if (n > 0) CpuNative.copy_out_f64(at(src, sof), dst, d, n);
    }
    @Override public void copyOut(Buffer src, long sof, int[] dst, int d, int n) {
        checkTransfer("copyOut", dst, dst == null ? 0 : dst.length, d, src, sof, n, DType.I32);
        if (n > 0) CpuNative.copy_out_i32(at(src, sof), dst, d, n);
    }
    @Override public void copyOut(Buffer src, long sof, long[] dst, int d, int n) {
        checkTransfer("copyOut", dst, dst == null ? 0 : dst.length, d, src, sof, n, DType.I64);
        if (n > 0) CpuNative.copy_out_i64(at(src, sof), dst, d, n);
    }

    private void view(String op, String what, BufferView v) {
        if (v == null) throw new EngineException(op + ": " + what + " is null");
        KernelChecks.fits(op, what, this, v);
        if (v.layout().rank() > MAX_RANK) throw new ShapeException(op + ": rank " + v.layout().rank() + " of " + what + " exceeds " + MAX_RANK);
        DTypeCodes.of(op, v.dtype());
    }

    /** An output view must not write one element twice (a broadcast, stride-0 view). */
    private static void writable(String op, String what, BufferView v) {
        Layout l = v.layout();
        for (int d = 0; d < l.rank(); d++)
            if (l.stride(d) == 0 && l.shape(d) > 1)
                throw new ShapeException(op + ": " + what + " " + l + " is a broadcast view (stride 0 in dim " + d + "); outputs must not overlap");
    }

    @Override public void copy(BufferView src, BufferView dst) {
        ready();
        view("copy", "src", src);
        view("copy", "dst", dst);
        writable("copy", "dst", dst);
        KernelChecks.sameShape("copy", "src", src.layout().shape(), "dst", dst.layout().shape());
        if (src.layout().numel() == 0) return;
        Layout s = src.layout(), d = dst.layout();
        NativeArgs a = NativeArgs.begin().put((long) s.rank()).put(s.shape());
        a.put(src.buffer().address() + s.offset() * src.dtype().byteSize()).put((long) DTypeCodes.of(src.dtype())).put(s.strides());
        a.put(dst.buffer().address() + d.offset() * dst.dtype().byteSize()).put((long) DTypeCodes.of(dst.dtype())).put(d.strides());
        CpuNative.engine_copy(a.address());
    }

    // ---- elementwise ------------------------------------------------------------------------------

    @Override public void elementwise(ElementwiseProgram p, BufferView[] inputs, BufferView out) {
        ready();
        if (p == null || inputs == null) throw new EngineException("elementwise: program or inputs are null");
        if (inputs.length != p.inputs())
            throw new EngineException("elementwise: program expects " + p.inputs() + " inputs, got " + inputs.length);
        view("elementwise", "out", out);
        writable("elementwise", "out", out);
        DType dt = dtypeOf("elementwise", "out", out.buffer());
        floating("elementwise", "out", dt);
        long[] shape = out.layout().shape();
        for (int i = 0; i < inputs.length; i++) {
            view("elementwise", "input " + i, inputs[i]);
            KernelChecks.sameDType("elementwise", "input " + i, inputs[i].dtype(), "out", dt);
            if (!Arrays.equals(inputs[i].layout().shape(), shape))
                throw new ShapeException("elementwise: input " + i + " has shape " + Arrays.toString(inputs[i].layout().shape())
                        + " but the output has shape " + Arrays.toString(shape) + " (broadcast inputs first)");
        }
        if (out.layout().numel() == 0) return;
        int nd = shape.length;
        NativeArgs a = NativeArgs.begin().put((long) DTypeCodes.of(dt)).put((long) nd).put(shape).put((long) inputs.length + 1);
        for (BufferView in : inputs) putOperand(a, in);
        putOperand(a, out);
        a.put((long) p.inputs()).put((long) p.registers()).put((long) p.result()).put((long) p.instructions());
        int ints = p.instructions() * ElementwiseProgram.INSTRUCTION_INTS;
        for (int i = 0; i < ints; i++) a.put((long) p.codeAt(i));
        for (int i = 0; i < p.instructions(); i++) a.put(p.immediateAt(i));
        CpuNative.engine_elementwise(a.address());
    }

    private static void putOperand(NativeArgs a, BufferView v) {
        a.put(v.buffer().address() + v.layout().offset() * v.dtype().byteSize());
        for (int d = 0; d < v.layout().rank(); d++) a.put(v.layout().stride(d));
    }

    // ---- GEMM -------------------------------------------------------------------------------------

    /** KernelChecks.matrix plus OpenBLAS's 32-bit leading-dimension limit. */
    static void matrix(String op, String what, Backend be, MatrixRef r, long rows, long cols, long batch, DType dt) {
        KernelChecks.matrix(op, what, be, r, rows, cols, batch, dt);
        if (r.ld() > Integer.MAX_VALUE)
            throw new ShapeException(op + ": " + what + " leading dimension " + r.ld() + " exceeds BLAS's 32-bit limit");
    }

    @Override public void gemm(boolean transA, boolean transB, long m, long n, long k, double alpha, MatrixRef a, MatrixRef b,
                               double beta, MatrixRef c, long batch, Epilogue epi) {
        ready();
        String op = "gemm";
        for (long v : new long[]{m, n, k, batch})
            if (v < 0 || v > Integer.MAX_VALUE) throw new ShapeException(op + ": size " + v + " out of range in m=" + m + " n=" + n + " k=" + k + " batch=" + batch);
        if (c == null) throw new EngineException(op + ": C is null");
        DType dt = dtypeOf(op, "C", c.buffer());
        floating(op, "C", dt);
        matrix(op, "A", this, a, transA ? k : m, transA ? m : k, batch, dt);
        matrix(op, "B", this, b, transB ? n : k, transB ? k : n, batch, dt);
        matrix(op, "C", this, c, m, n, batch, dt);
        if (epi == null) epi = Epilogue.NONE;
        if (epi.bias() != null) buffer(op, "bias", this, epi.bias(), n, dt);
        if (epi.residual() != null) matrix(op, "residual", this, epi.residual(), m, n, batch, dt);
        if (m == 0 || n == 0 || batch == 0) return;
        int es = dt.byteSize();
        NativeArgs q = NativeArgs.begin().put((long) DTypeCodes.of(dt)).put(transA).put(transB).put(m).put(n).put(k).put(alpha).put(beta);
        q.put(a.buffer().address() + a.offset() * es).put(a.ld()).put(a.batchStride());
        q.put(b.buffer().address() + b.offset() * es).put(b.ld()).put(b.batchStride());
        q.put(c.buffer().address() + c.offset() * es).put(c.ld()).put(c.batchStride()).put(batch);
        q.put(epi.bias() == null ? 0L : epi.bias().address());
        MatrixRef r = epi.residual();
        q.put(r == null ? 0L : r.buffer().address() + r.offset() * es).put(r == null ? 1L : r.ld()).put(r == null ? 0L : r.batchStride());
        q.put((long) epi.activation().op().code()).put(epi.activationParam());
        CpuNative.engine_gemm(q.address());
    }

    @Override public PackedMatrix packMatrix(Buffer b, long rows, long cols) {
        ready();
        return CpuPackedGemm.pack(this, b, rows, cols);
    }

    @Override public void gemmPacked(long m, MatrixRef a, PackedMatrix b, MatrixRef c, Epilogue epi) {
        ready();
        CpuPackedGemm.run(this, m, a, b, c, epi);
    }

    /**
     * A plain row-major sgemm with no checks or marshalling, for the benchmark that measures what the
     * engine's path costs over a raw OpenBLAS call. Not part of the SPI.
     */
    public void sgemmUnchecked(int m, int n, int k, Buffer a, Buffer b, Buffer c) {
        // the cheapest checks that keep a wrong call from crashing: a few comparisons, no allocation
        String op = "sgemmUnchecked";
        if (m < 0 || n < 0 || k < 0) throw new ShapeException(op + ": negative size m=" + m + " n=" + n + " k=" + k);
        buffer(op, "A", this, a, (long) m * k, DType.F32);
        buffer(op, "B", this, b, (long) k * n, DType.F32);
        buffer(op, "C", this, c, (long) m * n, DType.F32);
        if (m == 0 || n == 0) return;
        CpuNative.engine_sgemm_direct(m, n, k, a.address(), b.address(), c.address());
    }

    // ---- reductions -------------------------------------------------------------------------------

    @Override public void reduce(ReduceOp op, BufferView x, int[] axes, Buffer out) {
        ready();
        String name = "reduce." + op;
        view(name, "x", x);
        floating(name, "x", x.dtype());
        Layout l = x.layout();
        KernelChecks.ReductionSplit split = KernelChecks.reductionAxes(name, l, op, axes);
        long[] ks = split.keptShape(), kst = split.keptStrides(), rs = split.reducedShape(), rst = split.reducedStrides();
        int nk = ks.length;
        long outN = product(name, ks);
        buffer(name, "out", this, out, outN, op.producesIndices() ? DType.I64 : x.dtype());
        if (outN == 0) return;
        if (op.producesIndices() && product(name, rs) == 0) throw new ShapeException(name + ": cannot reduce an empty axis");
        NativeArgs q = NativeArgs.begin().put((long) DTypeCodes.of(x.dtype())).put((long) op.code()).put((long) nk).put(ks).put(kst)
                .put((long) axes.length).put(rs).put(rst);
        q.put(x.buffer().address() + l.offset() * x.dtype().byteSize()).put(out.address());
        CpuNative.engine_reduce(q.address());
    }

    @Override public void softmax(Buffer x, Buffer out, long rows, long cols, boolean log) {
        ready();
        long n = product("softmax", rows, cols);
        floating("softmax", "x", dtypeOf("softmax", "x", x));
        buffer("softmax", "x", this, x, n);
        buffer("softmax", "out", this, out, n, x.dtype());
        if (n == 0) return;
        CpuNative.engine_softmax(DTypeCodes.of(x.dtype()), x.address(), out.address(), rows, cols, log ? 1 : 0);
    }

    @Override public void softmaxBackward(Buffer y, Buffer gy, Buffer gx, long rows, long cols, boolean log) {
        ready();
        long n = product("softmaxBackward", rows, cols);
        floating("softmaxBackward", "y", dtypeOf("softmaxBackward", "y", y));
        buffer("softmaxBackward", "y", this, y, n);
        buffer("softmaxBackward", "gy", this, gy, n, y.dtype());
        buffer("softmaxBackward", "gx", this, gx, n, y.dtype());
        if (n == 0) return;
        CpuNative.engine_softmax_backward(DTypeCodes.of(y.dtype()), y.address(), gy.address(), gx.address(), rows, cols, log ? 1 : 0);
    }

    @Override public void crossEntropy(Buffer logits, Buffer targets, Buffer classWeights, long rows, long cols, double labelSmoothing,
                                       long ignoreIndex, Buffer lossPerRow, Buffer rowWeight, Buffer gradLogits) {
        ready();
        String op = "crossEntropy";
        long n = product(op, rows, cols);
        DType dt = CpuBackend.dtypeOf(op, "logits", logits);
        floating(op, "logits", dt);
        buffer(op, "logits", this, logits, n);
        buffer(op, "targets", this, targets, rows, DType.I64);
        if (classWeights != null) buffer(op, "class weights", this, classWeights, cols, dt);
        buffer(op, "lossPerRow", this, lossPerRow, rows, dt);
        buffer(op, "rowWeight", this, rowWeight, rows, dt);
        if (gradLogits != null) buffer(op, "gradLogits", this, gradLogits, n, dt);
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new EngineException(op + ": label smoothing " + labelSmoothing + " outside [0, 1]");
        if (rows == 0) return;
        if (cols == 0) throw new ShapeException(op + ": logits have 0 classes");
        long bad = CpuNative.engine_cross_entropy(DTypeCodes.of(dt), logits.address(), targets.address(),
                classWeights == null ? 0 : classWeights.address(), rows, cols, labelSmoothing, ignoreIndex,
                lossPerRow.address(), rowWeight.address(), gradLogits == null ? 0 : gradLogits.address());
        if (bad >= 0) {
            long[] t = new long[1];
            copyOut(targets, bad, t, 0, 1);
            throw new IndexOutOfRangeException(op + ": target " + t[0] + " at row " + bad + " is outside [0, " + cols + ")");
        }
    }

    // ---- normalisation ----------------------------------------------------------------------------

    /** A required buffer's dtype; a null buffer is an {@link EngineException} naming the op. */
    static DType dtypeOf(String op, String what, Buffer b) {
        if (b == null) throw new EngineException(op + ": " + what + " is null");
        return b.dtype();
    }

    static long addr(Buffer b) { return b == null ? 0L : b.address(); }

    void optional(String op, String what, Buffer b, long n, DType dt) { if (b != null) buffer(op, what, this, b, n, dt); }

    @Override public void layerNormForward(Buffer x, Buffer gamma, Buffer beta, long rows, long cols, double eps, Buffer y, Buffer mean, Buffer rstd) {
        ready();
        String op = "layerNorm";
        long n = product(op, rows, cols);
        DType dt = CpuBackend.dtypeOf(op, "x", x);
        floating(op, "x", dt);
        buffer(op, "x", this, x, n);
        optional(op, "gamma", gamma, cols, dt);
        optional(op, "beta", beta, cols, dt);
        buffer(op, "y", this, y, n, dt);
        buffer(op, "mean", this, mean, rows, dt);
        buffer(op, "rstd", this, rstd, rows, dt);
        if (n == 0) return;
        CpuNative.engine_layer_norm_forward(DTypeCodes.of(dt), x.address(), addr(gamma), addr(beta), rows, cols, eps, y.address(), mean.address(), rstd.address());
    }

    @Override public void layerNormBackward(Buffer x, Buffer gy, Buffer gamma, Buffer mean, Buffer rstd, long rows, long cols,
                                            Buffer gx, Buffer gGamma, Buffer gBeta) {
        ready();
        String op = "layerNormBackward";
        long n = product(op, rows, cols);
        DType dt = CpuBackend.dtypeOf(op, "x", x);
        floating(op, "x", dt);
        buffer(op, "x", this, x, n);
        buffer(op, "gy", this, gy, n, dt);
        optional(op, "gamma", gamma, cols, dt);
        buffer(op, "mean", this, mean, rows, dt);
        buffer(op, "rstd", this, rstd, rows, dt);
        buffer(op, "gx", this, gx, n, dt);
        optional(op, "gGamma", gGamma, cols, dt);
        optional(op, "gBeta", gBeta, cols, dt);
        if (n == 0) return;
        CpuNative.engine_layer_norm_backward(DTypeCodes.of(dt), x.address(), gy.address(), addr(gamma), mean.address(), rstd.address(),
                rows, cols, gx.address(), addr(gGamma), addr(gBeta));
    }

    @Override public void batchNormForward(Buffer x, Buffer gamma, Buffer beta, Buffer runningMean, Buffer runningVar, long n, long c, long hw,
                                           boolean training, double momentum, double eps, Buffer y, Buffer saveMean, Buffer saveRstd) {
        ready();
        String op = "batchNorm";
        long total = product(op, n, c, hw);
        DType dt = CpuBackend.dtypeOf(op, "x", x);
        floating(op, "x", dt);
        buffer(op, "x", this, x, total);
        optional(op, "gamma", gamma, c, dt);
        optional(op, "beta", beta, c, dt);
        optional(op, "running mean", runningMean, c, dt);
        optional(op, "running var", runningVar, c, dt);
        optional(op, "saveMean", saveMean, c, dt);
        optional(op, "saveRstd", saveRstd, c, dt);
        buffer(op, "y", this, y, total, dt);
        if (training && c > 0 && product(op, n, hw) < 2)
            throw new ShapeException(op + ": training batch norm needs more than one value per channel, got n=" + n + " x hw=" + hw);
        if (c == 0) return;
        NativeArgs q = NativeArgs.begin().put((long) DTypeCodes.of(dt)).put(x.address()).put(addr(gamma)).put(addr(beta))
                .put(addr(runningMean)).put(addr(runningVar)).put(n).put(c).put(hw).put(training).put(momentum).put(eps)
                .put(y.address()).put(addr(saveMean)).put(addr(saveRstd));
        CpuNative.engine_batch_norm_forward(q.address());
    }

    @Override public void batchNormBackward(Buffer x, Buffer gy, Buffer gamma, Buffer saveMean, Buffer saveRstd, long n, long c, long hw,
                                            Buffer gx, Buffer gGamma, Buffer gBeta) {
        ready();
        String op = "batchNormBackward";
        long total = product(op, n, c, hw);
        DType dt = CpuBackend.dtypeOf(op, "x", x);
        floating(op, "x", dt);
        buffer(op, "x", this, x, total);
        buffer(op, "gy", this, gy, total, dt);
        optional(op, "gamma", gamma, c, dt);
        buffer(op, "saveMean", this, saveMean, c, dt);
        buffer(op, "saveRstd", this, saveRstd, c, dt);
        buffer(op, "gx", this, gx, total, dt);
        optional(op, "gGamma", gGamma, c, dt);
        optional(op, "gBeta", gBeta, c, dt);
        if (c == 0) return;
        NativeArgs q = NativeArgs.begin().put((long) DTypeCodes.of(dt)).put(x.address()).put(gy.address()).put(addr(gamma))
                .put(saveMean.address()).put(saveRstd.address()).put(n).put(c).put(hw).put(gx.address()).put(addr(gGamma)).put(addr(gBeta));
        CpuNative.engine_batch_norm_backward(q.address());
    }

    // ---- convolution and pooling (checked and marshalled in CpuConvPool) ---------------------------

    @Override public void conv2dForward(Conv2dShape g, Buffer x, Buffer w, Buffer bias, Activation act, Buffer y) { convPool.conv2dForward(g, x, w, bias, act, y); }
    @Override public PackedMatrix packConvWeight(Buffer w, long k, long cols, int groups) { return convPool.packConvWeight(w, k, cols, groups); }
    @Override public void conv2dForwardPacked(Conv2dShape g, Buffer x, PackedMatrix w, Buffer bias, Activation act, Buffer y) {
        convPool.conv2dForwardPacked(g, x, w, bias, act, y);
    }
    @Override public void conv2dBackwardInput(Conv2dShape g, Buffer gy, Buffer w, Buffer gx) { convPool.conv2dBackwardInput(g, gy, w, gx); }
    @Override public void conv2dBackwardWeight(Conv2dShape g, Buffer x, Buffer gy, Buffer gw, Buffer gb) { convPool.conv2dBackwardWeight(g, x, gy, gw, gb); }
    @Override public void maxPool2dForward(Pool2dShape g, Buffer x, Buffer y, Buffer indices) { convPool.maxPool2dForward(g, x, y, indices); }
    @Override public void maxPool2dBackward(Pool2dShape g, Buffer gy, Buffer indices, Buffer gx) { convPool.maxPool2dBackward(g, gy, indices, gx); }
    @Override public void avgPool2dForward(Pool2dShape g, Buffer x, Buffer y) { convPool.avgPool2dForward(g, x, y); }
    @Override public void avgPool2dBackward(Pool2dShape g, Buffer gy, Buffer gx) { convPool.avgPool2dBackward(g, gy, gx); }
    @Override public void adaptiveAvgPool2dForward(Buffer x, Buffer y, long nc, long h, long w, long oh, long ow) { convPool.adaptiveAvgPool2dForward(x, y, nc, h, w, oh, ow); }
    @Override public void adaptiveAvgPool2dBackward(Buffer gy, Buffer gx, long nc, long h, long w, long oh, long ow) { convPool.adaptiveAvgPool2dBackward(gy, gx, nc, h, w, oh, ow); }

    // ---- indexing ---------------------------------------------------------------------------------

    private void indices(String op, Buffer idx, long count, long limit) {
        buffer(op, "indices", this, idx, count, DType.I64);
        long bad = count == 0 ? -1 : CpuNative.engine_check_indices(idx.address(), count, limit);
        if (bad >= 0) {
            long[] v = new long[1];
            copyOut(idx, bad, v, 0, 1);
            throw new IndexOutOfRangeException(op + ": index " + v[0] + " at position " + bad + " is outside [0, " + limit + ")");
        }
    }

    @Override public void gatherRows(Buffer src, long srcRows, long rowLength, Buffer idx, long count, Buffer dst) {
        ready();
        String op = "gatherRows";
        DType dt = CpuBackend.dtypeOf(op, "src", src);
        DTypeCodes.of(op, dt);
        buffer(op, "src", this, src, product(op, srcRows, rowLength));
        buffer(op, "dst", this, dst, product(op, count, rowLength), dt);
        indices(op, idx, count, srcRows);
        if (count == 0 || rowLength == 0) return;
        CpuNative.engine_gather_rows(DTypeCodes.of(dt), src.address(), idx.address(), count, rowLength, dst.address());
    }

    @Override public void scatterAddRows(Buffer src, Buffer idx, long count, long rowLength, Buffer dst, long dstRows) {
        ready();
        String op = "scatterAddRows";
        DType dt = CpuBackend.dtypeOf(op, "src", src);
        floating(op, "src", dt);
        buffer(op, "src", this, src, product(op, count, rowLength));
        buffer(op, "dst", this, dst, product(op, dstRows, rowLength), dt);
        indices(op, idx, count, dstRows);
        if (count == 0 || rowLength == 0) return;
        CpuNative.engine_scatter_add_rows(DTypeCodes.of(dt), src.address(), idx.address(), count, rowLength, dst.address());
    }

    // ---- randomness -------------------------------------------------------------------------------

    @Override public void dropoutMask(long seed, long offset, double p, Buffer mask, long count) {
        ready();
        floating("dropoutMask", "mask", dtypeOf("dropoutMask", "mask", mask));
        buffer("dropoutMask", "mask", this, mask, count);
        if (!(p >= 0 && p <= 1)) throw new EngineException("dropoutMask: probability " + p + " outside [0, 1]");
        if (offset < 0) throw new EngineException("dropoutMask: negative offset " + offset);
        if (count == 0) return;
        CpuNative.engine_dropout_mask(DTypeCodes.of(mask.dtype()), seed, offset, p, mask.address(), count);
    }

    // ---- optimizers -------------------------------------------------------------------------------

    /**
     * Checks every tensor of a multi-tensor optimizer step, then runs it in native calls of at most
     * {@link #OPTIMIZER_CHUNK} tensors each (so the argument block never overflows).
     */
    private void optimizerStep(String op, int rule, Buffer[] params, Buffer[] grads, Buffer[] s1, Buffer[] s2, boolean s1Required,
                               boolean s2Required, double[] h, long[] hi) {
        ready();
        if (params == null || grads == null) throw new EngineException(op + ": params or grads are null");
        if (params.length != grads.length || (s1 != null && s1.length != params.length) || (s2 != null && s2.length != params.length))
            throw new EngineException(op + ": " + params.length + " params but " + grads.length + " grads"
                    + (s1 == null ? "" : ", " + s1.length + " state buffers") + (s2 == null ? "" : ", " + s2.length + " second state buffers"));
        if ((s1Required && s1 == null) || (s2Required && s2 == null)) throw new EngineException(op + ": optimizer state buffers are missing");
        if (params.length == 0) return;
        if (params[0] == null) throw new EngineException(op + ": param 0 is null");
        DType dt = params[0].dtype();
        floating(op, "params", dt);
        for (int i = 0; i < params.length; i++) {
            Buffer p = params[i];
            buffer(op, "param " + i, this, p, 0, dt);
            long n = p.length();
            buffer(op, "grad " + i, this, grads[i], n, dt);
            Buffer a = s1 == null ? null : s1[i], b = s2 == null ? null : s2[i];
            if (s1Required && a == null) throw new EngineException(op + ": state for param " + i + " is missing");
            if (s2Required && b == null) throw new EngineException(op + ": second state for param " + i + " is missing");
            if (a != null) buffer(op, "state of param " + i, this, a, n, dt);
            if (b != null) buffer(op, "second state of param " + i, this, b, n, dt);
        }
        for (int from = 0; from < params.length; from += OPTIMIZER_CHUNK) {
            int to = Math.min(params.length, from + OPTIMIZER_CHUNK);
            NativeArgs q = NativeArgs.begin().put((long) DTypeCodes.of(dt)).put((long) rule).put((long) (to - from));
            for (int i = 0; i < 7; i++) {
                if (i < h.length) q.put(h[i]); else q.put(hi[i - h.length]);
            }
            for (int i = from; i < to; i++) {
                Buffer a = s1 == null ? null : s1[i], b = s2 == null ? null : s2[i];
                q.put(params[i].address()).put(grads[i].address()).put(addr(a)).put(addr(b)).put(params[i].length());
            }
            CpuNative.engine_optimizer_step(q.address());
        }
    }

    @Override public void sgdStep(Buffer[] params, Buffer[] grads, Buffer[] momentum, OptimizerHyperparams.Sgd hp) {
        optimizerStep("sgdStep", 0, params, grads, momentum, null, hp.momentum() != 0, false,
                new double[]{hp.lr(), hp.momentum(), hp.dampening(), hp.weightDecay(), 0}, new long[]{hp.nesterov() ? 1 : 0, 0});
    }

    @Override public void adamStep(Buffer[] params, Buffer[] grads, Buffer[] m, Buffer[] v, OptimizerHyperparams.Adam hp) {
        optimizerStep("adamStep", 1, params, grads, m, v, true, true,
                new double[]{hp.lr(), hp.beta1(), hp.beta2(), hp.eps(), hp.weightDecay()}, new long[]{hp.decoupled() ? 1 : 0, hp.step()});
    }

    @Override public void rmspropStep(Buffer[] params, Buffer[] grads, Buffer[] squareAvg, Buffer[] momentum, OptimizerHyperparams.RmsProp hp) {
        optimizerStep("rmspropStep", 2, params, grads, squareAvg, momentum, true, hp.momentum() != 0,
                new double[]{hp.lr(), hp.alpha(), hp.eps(), hp.weightDecay(), hp.momentum()}, new long[]{0, 0});
    }

    @Override public String toString() { return "CpuBackend"; }
}
