package dev.engine.cuda;

import static dev.engine.api.KernelChecks.buffer;
import static dev.engine.api.KernelChecks.floating;
import static dev.engine.api.KernelChecks.product;

import dev.engine.api.KernelChecks;

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
import dev.engine.api.Layout;
import dev.engine.api.MatrixRef;
import dev.engine.api.MemoryStats;
import dev.engine.api.OptimizerHyperparams;
import dev.engine.api.Pool2dShape;
import dev.engine.api.RecordedCall;
import dev.engine.api.ReduceOp;
import dev.engine.api.ShapeException;
import java.util.Arrays;

/**
 * The CUDA backend: our own kernels (native/cuda) compiled by nvcc and called through JavaCPP, one
 * native call per kernel, all queued on one stream. Checks every argument in Java first; a CUDA error
 * becomes an {@link EngineException}. Device memory comes from a caching allocator (see
 * {@link #allocatorStats()}); kernel sequences can be captured into a {@link CudaGraph}.
 *
 * <p>GEMM (and convolution's im2col products) run on cuBLASLt where the CUDA toolkit's
 * {@code libcublasLt.so.13} is found (see {@link #gemmDescription()} for which and why), else on our kernels;
 * {@code -Dengine.cuda.gemm=auto|cublas|own} or {@link #setGemmImplementation} choose.
 *
 * <pre>{@code
 * Backend be = Backends.get("cuda");          // throws with the reason where there is no GPU
 * ((CudaBackend) be).setTf32(true);          // F32 GEMM/conv on tensor cores (sm_80+)
 * System.out.println(be.describe());         // device, TF32, and "GEMM: cuBLASLt 13.0.0 (...)" or why not
 * }</pre>
 */
public final class CudaBackend implements Backend {
    private static final int MAX_RANK = 16;
    private final MemoryStats stats = new MemoryStats();
    private final Buffer.Deallocator deallocator = (address, bytes) -> CudaNative.ecu_free(address);

    public CudaBackend() {}

    @Override public String name() { return "cuda"; }
    @Override public int rank() { return 100; }
    @Override public boolean isAvailable() { return CudaRuntime.failure() == null; }
    @Override public String unavailableReason() { return CudaRuntime.failure(); }
    @Override public Device device() { return Device.of("cuda", 0); }
    @Override public MemoryStats memoryStats() { return stats; }

    private static void ready() { CudaRuntime.ready(); }

    private static void check(String op, int err) { CudaRuntime.check(op, err); }

    /** Decodes a native "first bad position" result: -1 none, >= 0 a position, <= -2 a CUDA error. */
    private static long position(String op, long v) {
        if (v <= -2) check(op, (int) (-v - 2));
        return v;
    }

    /** Waits for every queued kernel; reports an asynchronous CUDA error of an earlier launch. */
    @Override public void synchronize() {
        ready();
        check("synchronize", CudaNative.ecu_synchronize());
    }

    /** Device name, compute capability, memory, runtime and driver versions, TF32 state, and which GEMM runs. */
    @Override public String describe() {
        ready();
        return CudaNative.ecu_describe() + "; GEMM: " + gemmDescription();
    }

    /** Kernels run on the GPU; host threads are not a knob here, so this is always 1. */
    @Override public int threads() { ready(); return 1; }

    @Override public void setThreads(int threads) {
        ready();
        if (threads < 1) throw new EngineException("setThreads: thread count " + threads + " must be >= 1");
    }

    /** Compute capability as major*10+minor, e.g. 90 for an H100. */
    public int computeCapability() { ready(); return CudaNative.ecu_compute_capability(); }

    /**
     * Routes F32 GEMM and conv through TF32 tensor cores (10-bit mantissa inputs, F32 accumulation) on sm_80+:
     * cuBLASLt's {@code COMPUTE_32F_FAST_TF32} or our TF32 kernel; products with m <= 8 stay exact F32 (they
     * are memory-bound). Off by default so results match the CPU closely. Returns whether it is on.
     */
    public boolean setTf32(boolean on) { ready(); return CudaNative.ecu_set_tf32(on ? 1 : 0) != 0; }

    /**
     * Selects the GEMM used by {@link #gemm} and the convolutions, for every CUDA backend object of this process
     * (they share one device context). {@link GemmImplementation#CUBLASLT} throws a
     * {@link BackendUnavailableException} with the reason when cuBLASLt could not be loaded.
     *
     * <pre>{@code
     * cuda.setGemmImplementation(GemmImplementation.OWN);   // e.g. to time our kernels against cuBLASLt
     * }</pre>
     */
    public void setGemmImplementation(GemmImplementation impl) {
        ready();
        if (impl == null) throw new EngineException("setGemmImplementation: implementation is null");
        String lt = CudaRuntime.cublasLtFailure();
        if (impl == GemmImplementation.CUBLASLT && lt != null)
            throw new BackendUnavailableException("setGemmImplementation(CUBLASLT): cuBLASLt could not be loaded: " + lt);
        CudaNative.ecu_set_gemm_mode(impl.ordinal());
    }

    /** The GEMM implementation selected now (initially from {@code -Dengine.cuda.gemm}, default AUTO). */
    public GemmImplementation gemmImplementation() {
        ready();
        return GemmImplementation.values()[CudaNative.ecu_gemm_mode()];
    }

    /**
     * Which GEMM runs and why: e.g. "cuBLASLt 13.0.0 (/usr/local/cuda/targets/x86_64-linux/lib/libcublasLt.so.13),
     * mode AUTO", or "ours (cuBLASLt unavailable: libcublasLt.so.13 not found in [...])". Counts the products that
     * fell back from cuBLASLt to ours, with the latest reason.
     */
    public String gemmDescription() {
        ready();
        GemmImplementation mode = gemmImplementation();
        String lt = CudaRuntime.cublasLtFailure();
        String s;
        if (mode == GemmImplementation.OWN) s = "ours (mode OWN" + (lt == null ? "; " + CublasLt.status() + " loaded)" : "; cuBLASLt unavailable: " + lt + ")");
        else if (lt != null) s = "ours (cuBLASLt unavailable: " + lt + ")";
        else s = CublasLt.status() + ", mode " + mode;
        long fallbacks = CudaNative.ecu_gemm_fallbacks();
        if (fallbacks > 0) s += "; " + fallbacks + " products fell back to ours, last: " + CudaNative.ecu_gemm_last_fallback();
        return s;
    }

    /** Counters of the caching allocator. */
    public CudaAllocatorStats allocatorStats() {
        ready();
        NativeArgs a = NativeArgs.begin();
        for (int i = 0; i < 8; i++) a.put(0L);
        CudaNative.ecu_allocator_stats(a.address());
        long[] v = a.read(8);
        return new CudaAllocatorStats(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
    }

    /** Returns every cached (free) block to the driver; live buffers are untouched. */
    public void emptyCache() { ready(); check("emptyCache", CudaNative.ecu_empty_cache()); }

    /** Captures the kernels {@code body} queues into a graph; see {@link CudaGraph}. */
    public CudaGraph captureGraph(Runnable body) { return CudaGraph.capture(this, body); }

    // ---- memory -----------------------------------------------------------------------------------

    @Override public Buffer allocate(DType dtype, long length) {
        ready();
        DTypeCodes.of(dtype);
        long bytes = dtype.bytes(length);
        long address = CudaNative.ecu_alloc(bytes);
        if (address == 0) {
            int e = CudaNative.ecu_last_alloc_error();
            throw new EngineException("allocate: out of GPU memory for " + length + " x " + dtype + " (" + bytes + " bytes): CUDA error "
                    + e + " (" + CudaNative.ecu_error_string(e) + ")");
        }
        return new Buffer(this, dtype, length, address, deallocator, stats);
    }

    private long at(Buffer b, long index) { return b.address() + index * b.dtype().byteSize(); }

    @Override public void copyIn(float[] src, int so, Buffer dst, long dof, int n) {
        CudaArgs.checkTransfer(this, "copyIn", src.length, so, dst, dof, n, DType.F32);
        if (n > 0) check("copyIn", CudaNative.ecu_copy_in_f32(src, so, at(dst, dof), n));
    }
    @Override public void copyIn(double[] src, int so, Buffer dst, long dof, int n) {
        CudaArgs.checkTransfer(this, "copyIn", src.length, so, dst, dof, n, DType.F64);
        if (n > 0) check("copyIn", CudaNative.ecu_copy_in_f64(src, so, at(dst, dof), n));
    }
    @Override public void copyIn(int[] src, int so, Buffer dst, long dof, int n) {
        CudaArgs.checkTransfer(this, "copyIn", src.length, so, dst, dof, n, DType.I32);
        if (n > 0) check("copyIn", CudaNative.ecu_copy_in_i32(src, so, at(dst, dof), n));
    }
    @Override public void copyIn(long[] src, int so, Buffer dst, long dof, int n) {
        CudaArgs.checkTransfer(this, "copyIn", src.length, so, dst, dof, n, DType.I64);
        if (n > 0) check("copyIn", CudaNative.ecu_copy_in_i64(src, so, at(dst, dof), n));
    }
    @Override public void copyOut(Buffer src, long sof, float[] dst, int d, int n) {
        CudaArgs.checkTransfer(this, "copyOut", dst.length, d, src, sof, n, DType.F32);
        if (n > 0) check("copyOut", CudaNative.ecu_copy_out_f32(at(src, sof), dst, d, n));
    }
    @Override public void copyOut(Buffer src, long sof, double[] dst, int d, int n) {
        CudaArgs.checkTransfer(this, "copyOut", dst.length, d, src, sof, n, DType.F64);
        if (n > 0) check("copyOut", CudaNative.ecu_copy_out_f64(at(src, sof), dst, d, n));
    }
    @Override public void copyOut(Buffer src, long sof, int[] dst, int d, int n) {
        CudaArgs.checkTransfer(this, "copyOut", dst.length, d, src, sof, n, DType.I32);
        if (n > 0) check("copyOut", CudaNative.ecu_copy_out_i32(at(src, sof), dst, d, n));
    }
    @Override public void copyOut(Buffer src, long sof, long[] dst, int d, int n) {
        CudaArgs.checkTransfer(this, "copyOut", dst.length, d, src, sof, n, DType.I64);
        if (n > 0) check("copyOut", CudaNative.ecu_copy_out_i64(at(src, sof), dst, d, n));
    }

    private void view(String op, String what, BufferView v) {
        KernelChecks.fits(op, what, this, v);
        if (v.layout().rank() > MAX_RANK) throw new ShapeException(op + ": rank " + v.layout().rank() + " of " + what + " exceeds " + MAX_RANK);
        DTypeCodes.of(v.dtype());
    }

    @Override public void copy(BufferView src, BufferView dst) {
        ready();
        view("copy", "src", src);
        view("copy", "dst", dst);
        KernelChecks.sameShape("copy", "src", src.layout().shape(), "dst", dst.layout().shape());
        if (src.layout().numel() == 0) return;
        Layout s = src.layout(), d = dst.layout();
        NativeArgs a = NativeArgs.begin().put((long) s.rank()).put(s.shape());
        a.put(src.buffer().address() + s.offset() * src.dtype().byteSize()).put((long) DTypeCodes.of(src.dtype())).put(s.strides());
        a.put(dst.buffer().address() + d.offset() * dst.dtype().byteSize()).put((long) DTypeCodes.of(dst.dtype())).put(d.strides());
        check("copy", CudaNative.ecu_copy(a.address()));
    }

    // ---- elementwise ------------------------------------------------------------------------------

    @Override public void elementwise(ElementwiseProgram p, BufferView[] inputs, BufferView out) {
        ready();
        if (inputs.length != p.inputs())
            throw new EngineException("elementwise: program expects " + p.inputs() + " inputs, got " + inputs.length);
        view("elementwise", "out", out);
        DType dt = out.dtype();
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
        check("elementwise", CudaNative.ecu_elementwise(a.address()));
    }

    private static void putOperand(NativeArgs a, BufferView v) {
        a.put(v.buffer().address() + v.layout().offset() * v.dtype().byteSize());
        for (int d = 0; d < v.layout().rank(); d++) a.put(v.layout().stride(d));
    }

    // ---- GEMM -------------------------------------------------------------------------------------

    @Override public void gemm(boolean transA, boolean transB, long m, long n, long k, double alpha, MatrixRef a, MatrixRef b,
                               double beta, MatrixRef c, long batch, Epilogue epi) {
        ready();
        String op = "gemm";
        for (long v : new long[]{m, n, k, batch})
            if (v < 0 || v > Integer.MAX_VALUE) throw new ShapeException(op + ": size " + v + " out of range in m=" + m + " n=" + n + " k=" + k + " batch=" + batch);
        DType dt = c.buffer().dtype();
        floating(op, "C", dt);
        KernelChecks.matrix(op, "A", this, a, transA ? k : m, transA ? m : k, batch, dt);
        KernelChecks.matrix(op, "B", this, b, transB ? n : k, transB ? k : n, batch, dt);
        KernelChecks.matrix(op, "C", this, c, m, n, batch, dt);
        if (epi == null) epi = Epilogue.NONE;
        if (epi.bias() != null) buffer(op, "bias", this, epi.bias(), n, dt);
        if (epi.residual() != null) KernelChecks.matrix(op, "residual", this, epi.residual(), m, n, batch, dt);
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
        check("gemm", CudaNative.ecu_gemm(q.address()));
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
        check("reduce", CudaNative.ecu_reduce(q.address()));
    }

    @Override public void softmax(Buffer x, Buffer out, long rows, long cols, boolean log) {
        ready();
        long n = product("softmax", rows, cols);
        floating("softmax", "x", x.dtype());
        buffer("softmax", "x", this, x, n);
        buffer("softmax", "out", this, out, n, x.dtype());
        if (n == 0) return;
        check("softmax", CudaNative.ecu_softmax(DTypeCodes.of(x.dtype()), x.address(), out.address(), rows, cols, log ? 1 : 0));
    }

    @Override public void softmaxBackward(Buffer y, Buffer gy, Buffer gx, long rows, long cols, boolean log) {
        ready();
        long n = product("softmaxBackward", rows, cols);
        floating("softmaxBackward", "y", y.dtype());
        buffer("softmaxBackward", "y", this, y, n);
        buffer("softmaxBackward", "gy", this, gy, n, y.dtype());
        buffer("softmaxBackward", "gx", this, gx, n, y.dtype());
        if (n == 0) return;
        check("softmax_backward", CudaNative.ecu_softmax_backward(DTypeCodes.of(y.dtype()), y.address(), gy.address(), gx.address(), rows, cols, log ? 1 : 0));
    }

    @Override public void crossEntropy(Buffer logits, Buffer targets, Buffer classWeights, long rows, long cols, double labelSmoothing,
                                       long ignoreIndex, Buffer lossPerRow, Buffer rowWeight, Buffer gradLogits) {
        ready();
        String op = "crossEntropy";
        long n = product(op, rows, cols);
        DType dt = logits.dtype();
        floating(op, "logits", dt);
        buffer(op, "logits", this, logits, n);
        buffer(op, "targets", this, targets, rows, DType.I64);
        if (classWeights != null) buffer(op, "class weights", this, classWeights, cols, dt);
        buffer(op, "lossPerRow", this, lossPerRow, rows, dt);
        buffer(op, "rowWeight", this, rowWeight, rows, dt);
        if (gradLogits != null) buffer(op, "gradLogits", this, gradLogits, n, dt);
        if (labelSmoothing < 0 || labelSmoothing > 1) throw new EngineException(op + ": label smoothing " + labelSmoothing + " outside [0, 1]");
        if (rows == 0) return;
        if (cols == 0) throw new ShapeException(op + ": logits have 0 classes");
        long bad = position(op, CudaNative.ecu_cross_entropy(DTypeCodes.of(dt), logits.address(), targets.address(),
                classWeights == null ? 0 : classWeights.address(), rows, cols, labelSmoothing, ignoreIndex,
                lossPerRow.address(), rowWeight.address(), gradLogits == null ? 0 : gradLogits.address()));
        if (bad >= 0) {
            long[] t = new long[1];
            copyOut(targets, bad, t, 0, 1);
            throw new IndexOutOfRangeException(op + ": target " + t[0] + " at row " + bad + " is outside [0, " + cols + ")");
        }
    }

    // ---- normalisation ----------------------------------------------------------------------------

    private static long addr(Buffer b) { return b == null ? 0L : b.address(); }

    private void optional(String op, String what, Buffer b, long n, DType dt) { if (b != null) buffer(op, what, this, b, n, dt); }

    @Override public void layerNormForward(Buffer x, Buffer gamma, Buffer beta, long rows, long cols, double eps, Buffer y, Buffer mean, Buffer rstd) {
        ready();
        String op = "layerNorm";
        long n = product(op, rows, cols);
        DType dt = x.dtype();
        floating(op, "x", dt);
        buffer(op, "x", this, x, n);
        optional(op, "gamma", gamma, cols, dt);
        optional(op, "beta", beta, cols, dt);
        buffer(op, "y", this, y, n, dt);
        buffer(op, "mean", this, mean, rows, dt);
        buffer(op, "rstd", this, rstd, rows, dt);
        if (n == 0) return;
        check("layer_norm_forward", CudaNative.ecu_layer_norm_forward(DTypeCodes.of(dt), x.address(), addr(gamma), addr(beta), rows, cols, eps, y.address(), mean.address(), rstd.address()));
    }

    @Override public void layerNormBackward(Buffer x, Buffer gy, Buffer gamma, Buffer mean, Buffer rstd, long rows, long cols,
                                            Buffer gx, Buffer gGamma, Buffer gBeta) {
        ready();
        String op = "layerNormBackward";
        long n = product(op, rows, cols);
        DType dt = x.dtype();
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
        check("layer_norm_backward", CudaNative.ecu_layer_norm_backward(DTypeCodes.of(dt), x.address(), gy.address(), addr(gamma), mean.address(), rstd.address(),
                rows, cols, gx.address(), addr(gGamma), addr(gBeta)));
    }

    @Override public void batchNormForward(Buffer x, Buffer gamma, Buffer beta, Buffer runningMean, Buffer runningVar, long n, long c, long hw,
                                           boolean training, double momentum, double eps, Buffer y, Buffer saveMean, Buffer saveRstd) {
        ready();
        String op = "batchNorm";
        long total = product(op, n, c, hw);
        DType dt = x.dtype();
        floating(op, "x", dt);
        buffer(op, "x", this, x, total);
        optional(op, "gamma", gamma, c, dt);
        optional(op, "beta", beta, c, dt);
        optional(op, "running mean", runningMean, c, dt);
        optional(op, "running var", runningVar, c, dt);
        optional(op, "saveMean", saveMean, c, dt);
        optional(op, "saveRstd", saveRstd, c, dt);
        buffer(op, "y", this, y, total, dt);
        if (training && c > 0 && product(op, n, hw) < 2)  // as the CPU backend: the unbiased variance needs two values
            throw new ShapeException(op + ": training batch norm needs more than one value per channel, got n=" + n + " x hw=" + hw);
        if (c == 0) return;
        NativeArgs q = NativeArgs.begin().put((long) DTypeCodes.of(dt)).put(x.address()).put(addr(gamma)).put(addr(beta))
                .put(addr(runningMean)).put(addr(runningVar)).put(n).put(c).put(hw).put(training).put(momentum).put(eps)
                .put(y.address()).put(addr(saveMean)).put(addr(saveRstd));
        check("batch_norm_forward", CudaNative.ecu_batch_norm_forward(q.address()));
    }

    @Override public void batchNormBackward(Buffer x, Buffer gy, Buffer gamma, Buffer saveMean, Buffer saveRstd, long n, long c, long hw,
                                            Buffer gx, Buffer gGamma, Buffer gBeta) {
        ready();
        String op = "batchNormBackward";
        long total = product(op, n, c, hw);
        DType dt = x.dtype();
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
        check("batch_norm_backward", CudaNative.ecu_batch_norm_backward(q.address()));
    }

    // ---- convolution and pooling ------------------------------------------------------------------

    private static long weightNumel(Conv2dShape g) { return product("conv2d", g.weightShape()); }

    @Override public void conv2dForward(Conv2dShape g, Buffer x, Buffer w, Buffer bias, Activation act, Buffer y) {
        ready();
        String op = "conv2d";
        DType dt = x.dtype();
        floating(op, "x", dt);
        buffer(op, "x", this, x, product(op, g.inputShape()));
        buffer(op, "weight", this, w, weightNumel(g), dt);
        optional(op, "bias", bias, g.k(), dt);
        buffer(op, "y", this, y, product(op, g.outputShape()), dt);
        if (g.n() == 0) return;
        Activation a = act == null ? Activation.NONE : act;
        NativeArgs q = CudaArgs.convArgs(dt, g).put(x.address()).put(w.address()).put(addr(bias)).put((long) a.op().code()).put(y.address());
        check("conv2d_forward", CudaNative.ecu_conv2d_forward(q.address()));
    }

    @Override public void conv2dBackwardInput(Conv2dShape g, Buffer gy, Buffer w, Buffer gx) {
        ready();
        String op = "conv2dBackwardInput";
        DType dt = gy.dtype();
        floating(op, "gy", dt);
        buffer(op, "gy", this, gy, product(op, g.outputShape()));
        buffer(op, "weight", this, w, weightNumel(g), dt);
        buffer(op, "gx", this, gx, product(op, g.inputShape()), dt);
        if (g.n() == 0) return;
        check("conv2d_backward_input", CudaNative.ecu_conv2d_backward_input(CudaArgs.convArgs(dt, g).put(gy.address()).put(w.address()).put(gx.address()).address()));
    }

    @Override public void conv2dBackwardWeight(Conv2dShape g, Buffer x, Buffer gy, Buffer gw, Buffer gb) {
        ready();
        String op = "conv2dBackwardWeight";
        DType dt = x.dtype();
        floating(op, "x", dt);
        buffer(op, "x", this, x, product(op, g.inputShape()));
        buffer(op, "gy", this, gy, product(op, g.outputShape()), dt);
        buffer(op, "gWeight", this, gw, weightNumel(g), dt);
        optional(op, "gBias", gb, g.k(), dt);
        check("conv2d_backward_weight", CudaNative.ecu_conv2d_backward_weight(CudaArgs.convArgs(dt, g).put(x.address()).put(gy.address()).put(gw.address()).put(addr(gb)).address()));
    }

    @Override public void maxPool2dForward(Pool2dShape g, Buffer x, Buffer y, Buffer indices) {
        ready();
        DType dt = x.dtype();
        floating("maxPool2d", "x", dt);
        buffer("maxPool2d", "x", this, x, product("maxPool2d", g.n(), g.c(), g.h(), g.w()));
        long on = product("maxPool2d", g.outputShape());
        buffer("maxPool2d", "y", this, y, on, dt);
        if (indices != null) buffer("maxPool2d", "indices", this, indices, on, DType.I64);
        if (on == 0) return;
        check("pool2d", CudaNative.ecu_pool2d(CudaArgs.poolArgs(dt, 0, g).put(x.address()).put(y.address()).put(addr(indices)).address()));
    }

    @Override public void maxPool2dBackward(Pool2dShape g, Buffer gy, Buffer indices, Buffer gx) {
        ready();
        DType dt = gy.dtype();
        floating("maxPool2dBackward", "gy", dt);
        long on = product("maxPool2dBackward", g.outputShape());
        buffer("maxPool2dBackward", "gy", this, gy, on);
        buffer("maxPool2dBackward", "indices", this, indices, on, DType.I64);
        buffer("maxPool2dBackward", "gx", this, gx, product("maxPool2dBackward", g.n(), g.c(), g.h(), g.w()), dt);
        if (on == 0) return;
        long bad = position("maxPool2dBackward", CudaNative.ecu_check_indices(indices.address(), on, g.h() * g.w()));
        if (bad >= 0) throw new IndexOutOfRangeException("maxPool2dBackward: index at position " + bad + " is outside the " + g.h() + "x" + g.w() + " plane");
        check("pool2d", CudaNative.ecu_pool2d(CudaArgs.poolArgs(dt, 1, g).put(gy.address()).put(indices.address()).put(gx.address()).address()));
    }

    @Override public void avgPool2dForward(Pool2dShape g, Buffer x, Buffer y) {
        ready();
        DType dt = x.dtype();
        floating("avgPool2d", "x", dt);
        buffer("avgPool2d", "x", this, x, product("avgPool2d", g.n(), g.c(), g.h(), g.w()));
        long on = product("avgPool2d", g.outputShape());
        buffer("avgPool2d", "y", this, y, on, dt);
        if (on == 0) return;
        check("pool2d", CudaNative.ecu_pool2d(CudaArgs.poolArgs(dt, 2, g).put(x.address()).put(y.address()).put(0L).address()));
    }

    @Override public void avgPool2dBackward(Pool2dShape g, Buffer gy, Buffer gx) {
        ready();
        DType dt = gy.dtype();
        floating("avgPool2dBackward", "gy", dt);
        long on = product("avgPool2dBackward", g.outputShape());
        buffer("avgPool2dBackward", "gy", this, gy, on);
        buffer("avgPool2dBackward", "gx", this, gx, product("avgPool2dBackward", g.n(), g.c(), g.h(), g.w()), dt);
        if (on == 0) return;
        check("pool2d", CudaNative.ecu_pool2d(CudaArgs.poolArgs(dt, 3, g).put(gy.address()).put(gx.address()).put(0L).address()));
    }

    private void adaptive(String op, Buffer src, Buffer dst, long nc, long h, long w, long oh, long ow, boolean backward) {
        ready();
        DType dt = src.dtype();
        floating(op, "input", dt);
        if (h < 1 || w < 1 || oh < 1 || ow < 1) throw new ShapeException(op + ": sizes " + h + "x" + w + " -> " + oh + "x" + ow + " must be positive");
        long in = product(op, nc, h, w), out = product(op, nc, oh, ow);
        buffer(op, backward ? "gy" : "x", this, src, backward ? out : in);
        buffer(op, backward ? "gx" : "y", this, dst, backward ? in : out, dt);
        if (nc == 0) return;
        check("adaptive_avg_pool2d", CudaNative.ecu_adaptive_avg_pool2d(DTypeCodes.of(dt), src.address(), dst.address(), nc, h, w, oh, ow, backward ? 1 : 0));
    }

    @Override public void adaptiveAvgPool2dForward(Buffer x, Buffer y, long nc, long h, long w, long oh, long ow) {
        adaptive("adaptiveAvgPool2d", x, y, nc, h, w, oh, ow, false);
    }

    @Override public void adaptiveAvgPool2dBackward(Buffer gy, Buffer gx, long nc, long h, long w, long oh, long ow) {
        adaptive("adaptiveAvgPool2dBackward", gy, gx, nc, h, w, oh, ow, true);
    }

    // ---- indexing ---------------------------------------------------------------------------------

    private void indices(String op, Buffer idx, long count, long limit) {
        buffer(op, "indices", this, idx, count, DType.I64);
        long bad = count == 0 ? -1 : position(op, CudaNative.ecu_check_indices(idx.address(), count, limit));
        if (bad >= 0) {
            long[] v = new long[1];
            copyOut(idx, bad, v, 0, 1);
            throw new IndexOutOfRangeException(op + ": index " + v[0] + " at position " + bad + " is outside [0, " + limit + ")");
        }
    }

    @Override public void gatherRows(Buffer src, long srcRows, long rowLength, Buffer idx, long count, Buffer dst) {
        ready();
        String op = "gatherRows";
        DType dt = src.dtype();
        DTypeCodes.of(dt);
        buffer(op, "src", this, src, product(op, srcRows, rowLength));
        buffer(op, "dst", this, dst, product(op, count, rowLength), dt);
        indices(op, idx, count, srcRows);
        if (count == 0 || rowLength == 0) return;
        check("gather_rows", CudaNative.ecu_gather_rows(DTypeCodes.of(dt), src.address(), idx.address(), count, rowLength, dst.address(), srcRows));
    }

    @Override public void scatterAddRows(Buffer src, Buffer idx, long count, long rowLength, Buffer dst, long dstRows) {
        ready();
        String op = "scatterAddRows";
        DType dt = src.dtype();
        floating(op, "src", dt);
        buffer(op, "src", this, src, product(op, count, rowLength));
        buffer(op, "dst", this, dst, product(op, dstRows, rowLength), dt);
        indices(op, idx, count, dstRows);
        if (count == 0 || rowLength == 0) return;
        check("scatter_add_rows", CudaNative.ecu_scatter_add_rows(DTypeCodes.of(dt), src.address(), idx.address(), count, rowLength, dst.address(), dstRows));
    }

    // ---- randomness -------------------------------------------------------------------------------

    @Override public void dropoutMask(long seed, long offset, double p, Buffer mask, long count) {
        ready();
        floating("dropoutMask", "mask", mask.dtype());
        buffer("dropoutMask", "mask", this, mask, count);
        if (!(p >= 0 && p <= 1)) throw new EngineException("dropoutMask: probability " + p + " outside [0, 1]");
        if (offset < 0) throw new EngineException("dropoutMask: negative offset " + offset);
        if (count == 0) return;
        check("dropout_mask", CudaNative.ecu_dropout_mask(DTypeCodes.of(mask.dtype()), seed, offset, p, mask.address(), count));
    }

    // ---- optimizers -------------------------------------------------------------------------------

    @Override public void sgdStep(Buffer[] params, Buffer[] grads, Buffer[] momentum, OptimizerHyperparams.Sgd hp) {
        ready();
        NativeArgs q = CudaArgs.optimizerArgs(this, "sgdStep", 0, params, grads, momentum, null, hp.momentum() != 0, false,
                new double[]{hp.lr(), hp.momentum(), hp.dampening(), hp.weightDecay(), 0}, new long[]{hp.nesterov() ? 1 : 0, 0});
        if (params.length > 0) check("optimizer_step", CudaNative.ecu_optimizer_step(q.address()));
    }

    @Override public void adamStep(Buffer[] params, Buffer[] grads, Buffer[] m, Buffer[] v, OptimizerHyperparams.Adam hp) {
        ready();
        NativeArgs q = CudaArgs.optimizerArgs(this, "adamStep", 1, params, grads, m, v, true, true,
                new double[]{hp.lr(), hp.beta1(), hp.beta2(), hp.eps(), hp.weightDecay()}, new long[]{hp.decoupled() ? 1 : 0, hp.step()});
        if (params.length > 0) check("optimizer_step", CudaNative.ecu_optimizer_step(q.address()));
    }

    @Override public void rmspropStep(Buffer[] params, Buffer[] grads, Buffer[] squareAvg, Buffer[] momentum, OptimizerHyperparams.RmsProp hp) {
        ready();
        NativeArgs q = CudaArgs.optimizerArgs(this, "rmspropStep", 2, params, grads, squareAvg, momentum, true, hp.momentum() != 0,
                new double[]{hp.lr(), hp.alpha(), hp.eps(), hp.weightDecay(), hp.momentum()}, new long[]{0, 0});
        if (params.length > 0) check("optimizer_step", CudaNative.ecu_optimizer_step(q.address()));
    }

    @Override public String toString() { return "CudaBackend"; }

    // ---- recorded calls ---------------------------------------------------------------------------

    /**
     * Captures [pinned input -> {@code input}, every kernel {@code work} queues, {@code output} -> pinned
     * output] into one CUDA graph; see {@link CudaRecordedCall}. Throws when the work cannot be captured
     * (a host transfer, an index check that needs the host), with the reason.
     */
    @Override public RecordedCall recordCall(Buffer input, int inputCount, Buffer output, int outputCount, Runnable work) {
        ready();
        return CudaRecordedCall.record(this, input, inputCount, output, outputCount, work);
    }

    /** Counters of the pinned host memory held by recorded calls. */
    public CudaPinnedStats pinnedStats() {
        ready();
        return new CudaPinnedStats(CudaNative.ecu_pinned_stat(0), CudaNative.ecu_pinned_stat(1), CudaNative.ecu_pinned_stat(2),
                CudaNative.ecu_pinned_stat(3));
    }
}
