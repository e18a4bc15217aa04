package dev.engine.cuda;

import static dev.engine.nativeabi.ArgBlocks.addr;
import static dev.engine.nativeabi.ArgBlocks.at;

import dev.engine.api.Activation;
import dev.engine.api.Backend;
import dev.engine.api.BackendUnavailableException;
import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.CheckedBackend;
import dev.engine.api.Conv2dShape;
import dev.engine.api.DType;
import dev.engine.api.Device;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.EngineException;
import dev.engine.api.Epilogue;
import dev.engine.api.KernelChecks;
import dev.engine.api.MatrixRef;
import dev.engine.api.MemoryStats;
import dev.engine.api.OptimizerHyperparams;
import dev.engine.api.Pool2dShape;
import dev.engine.api.RecordedCall;
import dev.engine.api.ReduceOp;
import dev.engine.nativeabi.ArgBlocks;
import dev.engine.nativeabi.DTypeCodes;
import dev.engine.nativeabi.NativeArgs;

/**
 * The CUDA backend: our own kernels (native/cuda) compiled by nvcc and called through JavaCPP, one
 * native call per kernel. {@link CheckedBackend} has checked every argument before a hook here runs; a
 * CUDA error becomes an {@link EngineException}. Each instance owns a {@link CudaContext} on its device (a
 * stream, a caching allocator, see {@link #allocatorStats()}, a cuBLASLt handle): its kernels queue on its
 * own stream, its buffers come from its own cache. The context is made on first use (so discovering the
 * backend initialises no GPU) and freed by {@link #close()}. Kernel sequences can be captured into a
 * {@link CudaGraph}.
 *
 * <p>GEMM (and convolution's im2col products) run on cuBLASLt where the CUDA toolkit's
 * {@code libcublasLt.so.13} is found (see {@link #gemmDescription()} for which and why), else on our kernels;
 * {@code -Dengine.cuda.gemm=auto|cublas|own} or {@link #setGemmImplementation} choose.
 *
 * <pre>{@code
 * Backend be = Backends.get("cuda");          // throws with the reason where there is no GPU
 * ((CudaBackend) be).setTf32(true);          // F32 GEMM/conv on tensor cores (sm_80+)
 * System.out.println(be.describe());         // device, TF32, and "GEMM: cuBLASLt 13.0.0 (...)" or why not
 *
 * try (CudaBackend second = new CudaBackend(1)) { ... }   // device 1, its own stream and cache
 * }</pre>
 */
public final class CudaBackend extends CheckedBackend implements AutoCloseable {
    private final int deviceOrdinal;
    private final MemoryStats stats = new MemoryStats();
    private final Buffer.Deallocator deallocator = (address, bytes) -> context().free(address);
    /** Made on first use: the context, or why there is none. */
    private volatile Opened opened;

    private record Opened(CudaContext context, String failure) {}

    /** A backend on device 0 (the one {@code Backends} discovers). */
    public CudaBackend() { this(0); }

    /**
     * A backend on CUDA device {@code device} with a context (stream, caching allocator) of its own; two
     * backends on one device run on two streams. Throws nothing else: a device that does not exist, or no GPU,
     * makes it unavailable with the reason ({@link #unavailableReason()}). Close it when done.
     */
    public CudaBackend(int device) {
        if (device < 0) throw new EngineException("CudaBackend: device ordinal " + device + " is negative");
        this.deviceOrdinal = device;
    }

    @Override public String name() { return "cuda"; }
    @Override public int rank() { return 100; }
    @Override public boolean isAvailable() {
        Opened o = opened();
        return o.failure == null && !o.context.isClosed();
    }
    @Override public String unavailableReason() {
        Opened o = opened();
        return o.failure != null ? o.failure : o.context.isClosed() ? o.context.closedReason() : null;
    }
    @Override public Device device() { return Device.of("cuda", deviceOrdinal); }
    @Override public MemoryStats memoryStats() { return stats; }

    private Opened opened() {
        Opened o = opened;
        if (o == null) {
            synchronized (this) {
                o = opened;
                if (o == null) opened = o = open(deviceOrdinal);
            }
        }
        return o;
    }

    private static Opened open(int device) {
        String f = CudaRuntime.failure();
        if (f != null) return new Opened(null, f);
        int n = CudaRuntime.deviceCount();
        if (device >= n) return new Opened(null, "no CUDA device " + device + ": cudaGetDeviceCount found " + n);
        CudaContext c;
        try {
            c = CudaContext.create(device);
        } catch (EngineException e) {
            return new Opened(null, e.getMessage());
        }
        // -Dengine.cuda.tf32=true: F32 GEMM/conv on TF32 tensor cores from the start (as setTf32(true))
        if (Boolean.getBoolean("engine.cuda.tf32")) CudaNative.ecu_set_tf32(c.handle(), 1);
        return new Opened(c, null);
    }

    /** This backend's context; throws {@link BackendUnavailableException} when there is none or it was closed. */
    CudaContext context() {
        Opened o = opened();
        if (o.failure != null) throw new BackendUnavailableException("cuda backend unavailable: " + o.failure);
        return o.context;
    }

    /** This backend's native context handle, for the native calls (throws once closed). */
    long ctx() { return context().handle(); }

    /** The CUDA device ordinal this backend runs on. */
    public int deviceOrdinal() { return deviceOrdinal; }

    /**
     * Waits for this backend's queued work and frees its context: its stream, every buffer it allocated (which
     * must not be used afterwards; closing them later does nothing), its graphs and recorded calls, its cuBLASLt
     * workspace. Other backends, on this device or another, are not touched. The backend is unavailable
     * afterwards. Idempotent; not to be called while another thread uses the backend. The backend
     * {@code Backends} hands out is shared by the whole process: close only the ones you construct.
     */
    @Override public void close() {
        Opened o = opened;
        if (o != null && o.context != null) o.context.close();
    }

    private static void check(String op, int err) { CudaRuntime.check(op, err); }

    /**
     * Decodes a native "first bad position" result: -1 none, >= 0 a position, {@link Long#MIN_VALUE} a failure
     * whose reason is the native message, other values <= -2 a CUDA error.
     */
    private static long position(String op, long v) {
        if (v == Long.MIN_VALUE) check(op, CudaRuntime.MESSAGE);
        else if (v <= -2) check(op, (int) (-v - 2));
        return v;
    }

    /** Waits for every kernel queued on this backend's stream; reports an asynchronous CUDA error of an earlier launch. */
    @Override public void synchronize() {
        ready();
        check("synchronize", CudaNative.ecu_synchronize(ctx()));
    }

    /** Device name and ordinal, compute capability, memory, runtime and driver versions, TF32 state, and which GEMM runs. */
    @Override public String describe() {
        ready();
        long c = ctx();
        String d = CudaNative.ecu_describe(c);
        return d + "; GEMM: " + gemmDescription();
    }

    /** Kernels run on the GPU; host threads are not a knob here, so this is always 1. */
    @Override public int threads() { ready(); return 1; }

    @Override protected void setThreadsUnchecked(int threads) {}

    /** Compute capability as major*10+minor, e.g. 90 for an H100. */
    public int computeCapability() {
        ready();
        int cc = CudaNative.ecu_compute_capability(ctx());
        if (cc < 0) check("computeCapability", cc);
        return cc;
    }

    /**
     * Routes F32 GEMM and conv through TF32 tensor cores (10-bit mantissa inputs, F32 accumulation) on sm_80+:
     * cuBLASLt's {@code COMPUTE_32F_FAST_TF32} or our TF32 kernel; products with m <= 8 stay exact F32 (they
     * are memory-bound). Off by default so results match the CPU closely; applies to this backend only. Returns
     * whether it is on.
     */
    public boolean setTf32(boolean on) {
        ready();
        int r = CudaNative.ecu_set_tf32(ctx(), on ? 1 : 0);
        if (r < 0) check("setTf32", r);
        return r != 0;
    }

    /**
     * Selects the GEMM used by {@link #gemm} and the convolutions, for every CUDA backend object of this process
     * (the choice is the process's, like the cuBLASLt library). {@link GemmImplementation#CUBLASLT} throws a
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
        long biasGrads = CudaNative.ecu_gemm_bias_grads_fused();
        if (biasGrads > 0) s += "; " + biasGrads + " bias gradients fused by cuBLASLt";
        return s;
    }

    /** Counters of this backend's caching allocator. */
    public CudaAllocatorStats allocatorStats() {
        ready();
        NativeArgs a = NativeArgs.begin();
        for (int i = 0; i < 8; i++) a.put(0L);
        check("allocatorStats", CudaNative.ecu_allocator_stats(ctx(), a.address()));
        long[] v = a.read(8);
        return new CudaAllocatorStats(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
    }

    /** Returns every cached (free) block of this backend to the driver; live buffers are untouched. */
    public void emptyCache() { ready(); check("emptyCache", CudaNative.ecu_empty_cache(ctx())); }

    /** Captures the kernels {@code body} queues into a graph; see {@link CudaGraph}. */
    public CudaGraph captureGraph(Runnable body) { return CudaGraph.capture(this, body); }

    // ---- memory -----------------------------------------------------------------------------------

    @Override protected Buffer allocateUnchecked(DType dtype, long length) {
        long bytes = dtype.bytes(length);
        long address = CudaNative.ecu_alloc(ctx(), bytes);
        if (address == 0) {
            int e = CudaNative.ecu_last_alloc_error();
            if (e == CudaRuntime.MESSAGE) throw new EngineException("allocate: " + CudaNative.ecu_error_message());
            throw new EngineException("allocate: out of GPU memory for " + length + " x " + dtype + " (" + bytes + " bytes): CUDA error "
                    + e + " (" + CudaNative.ecu_error_string(e) + ")");
        }
        return new Buffer(this, dtype, length, address, deallocator, stats);
    }

    @Override protected void copyInUnchecked(float[] src, int so, Buffer dst, long dof, int n) { check("copyIn", CudaNative.ecu_copy_in_f32(ctx(), src, so, at(dst, dof), n)); }
    @Override protected void copyInUnchecked(double[] src, int so, Buffer dst, long dof, int n) { check("copyIn", CudaNative.ecu_copy_in_f64(ctx(), src, so, at(dst, dof), n)); }
    @Override protected void copyInUnchecked(int[] src, int so, Buffer dst, long dof, int n) { check("copyIn", CudaNative.ecu_copy_in_i32(ctx(), src, so, at(dst, dof), n)); }
    @Override protected void copyInUnchecked(long[] src, int so, Buffer dst, long dof, int n) { check("copyIn", CudaNative.ecu_copy_in_i64(ctx(), src, so, at(dst, dof), n)); }
    @Override protected void copyOutUnchecked(Buffer src, long sof, float[] dst, int d, int n) { check("copyOut", CudaNative.ecu_copy_out_f32(ctx(), at(src, sof), dst, d, n)); }
    @Override protected void copyOutUnchecked(Buffer src, long sof, double[] dst, int d, int n) { check("copyOut", CudaNative.ecu_copy_out_f64(ctx(), at(src, sof), dst, d, n)); }
    @Override protected void copyOutUnchecked(Buffer src, long sof, int[] dst, int d, int n) { check("copyOut", CudaNative.ecu_copy_out_i32(ctx(), at(src, sof), dst, d, n)); }
    @Override protected void copyOutUnchecked(Buffer src, long sof, long[] dst, int d, int n) { check("copyOut", CudaNative.ecu_copy_out_i64(ctx(), at(src, sof), dst, d, n)); }

    @Override protected void copyUnchecked(BufferView src, BufferView dst) { check("copy", CudaNative.ecu_copy(ctx(), ArgBlocks.copy(src, dst).address())); }

    // ---- elementwise ------------------------------------------------------------------------------

    @Override protected void elementwiseUnchecked(ElementwiseProgram p, BufferView[] inputs, BufferView out) {
        check("elementwise", CudaNative.ecu_elementwise(ctx(), ArgBlocks.elementwise(p, inputs, out).address()));
    }

    // ---- GEMM -------------------------------------------------------------------------------------

    @Override protected void gemmUnchecked(boolean transA, boolean transB, long m, long n, long k, double alpha, MatrixRef a, MatrixRef b,
                                           double beta, MatrixRef c, long batch, Epilogue epi) {
        check("gemm", CudaNative.ecu_gemm(ctx(), gemmArgs(transA, transB, m, n, k, alpha, a, b, beta, c, batch, epi).address()));
    }

    /** The product and the row sums of op(A) in one cuBLASLt call (its BGRADB epilogue) where it takes them, else apart. */
    @Override protected void gemmBiasGradientUnchecked(boolean transA, boolean transB, long m, long n, long k, double alpha, MatrixRef a,
                                                       MatrixRef b, double beta, MatrixRef c, Buffer out) {
        int rc = CudaNative.ecu_gemm_bias_grad(ctx(), gemmArgs(transA, transB, m, n, k, alpha, a, b, beta, c, 1, Epilogue.NONE).address(),
                out.address());
        if (rc != -2) {
            check("gemm", rc);
            return;
        }
        super.gemmBiasGradientUnchecked(transA, transB, m, n, k, alpha, a, b, beta, c, out);
    }

    /**
     * Rounded copies of the operands (exact in BF16/F16), multiplied by cuBLASLt on BF16/F16 tensor cores
     * ({@code COMPUTE_32F_FAST_16BF} / {@code _16F}) or by our F32 kernels: F32 sums either way.
     */
    @Override protected void gemmRoundedUnchecked(DType precision, boolean transA, boolean transB, long m, long n, long k, double alpha,
                                                  MatrixRef a, MatrixRef b, double beta, MatrixRef c, long batch, Epilogue epi) {
        int fast = precision == DType.BF16 ? 1 : 2;
        withRoundedOperands(precision, transA, transB, m, n, k, a, b, batch, (ra, rb) -> check("gemmRounded",
                CudaNative.ecu_gemm_rounded_operands(ctx(), gemmArgs(transA, transB, m, n, k, alpha, ra, rb, beta, c, batch, epi).address(), fast)));
    }

    /** The ecu_gemm argument block (native/cuda/gemm.cuh read_gemm_args). */
    private static NativeArgs gemmArgs(boolean transA, boolean transB, long m, long n, long k, double alpha, MatrixRef a, MatrixRef b,
                                       double beta, MatrixRef c, long batch, Epilogue epi) {
        DType dt = c.buffer().dtype();
        int es = dt.byteSize();
        NativeArgs q = NativeArgs.begin().put((long) DTypeCodes.of(dt)).put(transA).put(transB).put(m).put(n).put(k).put(alpha).put(beta);
        q.put(a.buffer().address() + a.offset() * es).put(a.ld()).put(a.batchStride());
        q.put(b.buffer().address() + b.offset() * es).put(b.ld()).put(b.batchStride());
        q.put(c.buffer().address() + c.offset() * es).put(c.ld()).put(c.batchStride()).put(batch);
        q.put(epi.bias() == null ? 0L : epi.bias().address());
        MatrixRef r = epi.residual();
        q.put(r == null ? 0L : r.buffer().address() + r.offset() * es).put(r == null ? 1L : r.ld()).put(r == null ? 0L : r.batchStride());
        q.put((long) epi.activation().op().code()).put(epi.activationParam());
        return q;
    }

    // ---- reductions and normalisation -------------------------------------------------------------

    @Override protected void reduceUnchecked(ReduceOp op, BufferView x, KernelChecks.ReductionSplit split, Buffer out) {
        check("reduce", CudaNative.ecu_reduce(ctx(), ArgBlocks.reduce(op, x, split, out).address()));
    }

    @Override protected void softmaxUnchecked(Buffer x, Buffer out, long rows, long cols, boolean log) {
        check("softmax", CudaNative.ecu_softmax(ctx(), DTypeCodes.of(x.dtype()), x.address(), out.address(), rows, cols, log ? 1 : 0));
    }

    /**
     * One fused kernel (scores never stored; native/cuda/attention.cuh) for head dimensions up to 128 (F32) or 64
     * (F64); wider heads are composed from GEMMs, softmax and elementwise kernels per batch (see CheckedBackend).
     */
    @Override protected void attentionUnchecked(BufferView q, BufferView k, BufferView v, Buffer keyPadding, boolean causal, double scale,
                                                BufferView out) {
        int rc = CudaNative.ecu_attention(ctx(), ArgBlocks.attention(q, k, v, keyPadding, causal, scale, out).address());
        if (rc != -2) {
            check("attention", rc);
            return;
        }
        attentionByComposition(q, k, v, keyPadding, causal, scale, out);
    }

    @Override protected void softmaxBackwardUnchecked(Buffer y, Buffer gy, Buffer gx, long rows, long cols, boolean log) {
        check("softmax_backward", CudaNative.ecu_softmax_backward(ctx(), DTypeCodes.of(y.dtype()), y.address(), gy.address(), gx.address(), rows, cols,
                log ? 1 : 0));
    }

    @Override protected long crossEntropyUnchecked(Buffer logits, Buffer targets, Buffer classWeights, long rows, long cols, double labelSmoothing,
                                                   long ignoreIndex, Buffer lossPerRow, Buffer rowWeight, Buffer gradLogits) {
        return position("crossEntropy", CudaNative.ecu_cross_entropy(ctx(), DTypeCodes.of(logits.dtype()), logits.address(), targets.address(),
                addr(classWeights), rows, cols, labelSmoothing, ignoreIndex, lossPerRow.address(), rowWeight.address(), addr(gradLogits)));
    }

    @Override protected void layerNormForwardUnchecked(Buffer x, Buffer gamma, Buffer beta, long rows, long cols, double eps, Buffer y, Buffer mean,
                                                       Buffer rstd) {
        check("layer_norm_forward", CudaNative.ecu_layer_norm_forward(ctx(), DTypeCodes.of(x.dtype()), x.address(), addr(gamma), addr(beta), rows, cols,
                eps, y.address(), mean.address(), rstd.address()));
    }

    @Override protected void layerNormBackwardUnchecked(Buffer x, Buffer gy, Buffer gamma, Buffer mean, Buffer rstd, long rows, long cols,
                                                        Buffer gx, Buffer gGamma, Buffer gBeta) {
        check("layer_norm_backward", CudaNative.ecu_layer_norm_backward(ctx(), DTypeCodes.of(x.dtype()), x.address(), gy.address(), addr(gamma),
                mean.address(), rstd.address(), rows, cols, gx.address(), addr(gGamma), addr(gBeta)));
    }

    @Override protected void batchNormForwardUnchecked(Buffer x, Buffer gamma, Buffer beta, Buffer runningMean, Buffer runningVar, long n, long c,
                                                       long hw, boolean training, double momentum, double eps, Buffer y, Buffer saveMean,
                                                       Buffer saveRstd) {
        check("batch_norm_forward", CudaNative.ecu_batch_norm_forward(ctx(), ArgBlocks.batchNormForward(x, gamma, beta, runningMean, runningVar, n, c,
                hw, training, momentum, eps, y, saveMean, saveRstd).address()));
    }

    @Override protected void batchNormBackwardUnchecked(Buffer x, Buffer gy, Buffer gamma, Buffer saveMean, Buffer saveRstd, long n, long c,
                                                        long hw, Buffer gx, Buffer gGamma, Buffer gBeta) {
        check("batch_norm_backward", CudaNative.ecu_batch_norm_backward(ctx(), ArgBlocks.batchNormBackward(x, gy, gamma, saveMean, saveRstd, n, c, hw,
                gx, gGamma, gBeta).address()));
    }

    // ---- convolution and pooling ------------------------------------------------------------------

    @Override protected void conv2dForwardUnchecked(Conv2dShape g, Buffer x, Buffer w, Buffer bias, Activation act, Buffer y) {
        NativeArgs q = ArgBlocks.conv(x.dtype(), g).put(x.address()).put(w.address()).put(addr(bias)).put((long) act.op().code()).put(y.address());
        check("conv2d_forward", CudaNative.ecu_conv2d_forward(ctx(), q.address()));
    }

    @Override protected void conv2dBackwardInputUnchecked(Conv2dShape g, Buffer gy, Buffer w, Buffer gx) {
        check("conv2d_backward_input", CudaNative.ecu_conv2d_backward_input(ctx(), ArgBlocks.conv(gy.dtype(), g).put(gy.address()).put(w.address())
                .put(gx.address()).address()));
    }

    @Override protected void conv2dBackwardWeightUnchecked(Conv2dShape g, Buffer x, Buffer gy, Buffer gw, Buffer gb) {
        check("conv2d_backward_weight", CudaNative.ecu_conv2d_backward_weight(ctx(), ArgBlocks.conv(x.dtype(), g).put(x.address()).put(gy.address())
                .put(gw.address()).put(addr(gb)).address()));
    }

    /** One pool kernel ({@code ArgBlocks.POOL_*}) over three buffers (the third may be null). */
    private void pool(int kind, Pool2dShape g, Buffer a, Buffer b, Buffer c) {
        check("pool2d", CudaNative.ecu_pool2d(ctx(), ArgBlocks.pool(a.dtype(), kind, g).put(a.address()).put(b.address()).put(addr(c)).address()));
    }

    @Override protected void maxPool2dForwardUnchecked(Pool2dShape g, Buffer x, Buffer y, Buffer indices) { pool(ArgBlocks.POOL_MAX, g, x, y, indices); }
    @Override protected void maxPool2dBackwardUnchecked(Pool2dShape g, Buffer gy, Buffer indices, Buffer gx) {
        pool(ArgBlocks.POOL_MAX_BACKWARD, g, gy, indices, gx);
    }
    @Override protected void avgPool2dForwardUnchecked(Pool2dShape g, Buffer x, Buffer y) { pool(ArgBlocks.POOL_AVG, g, x, y, null); }
    @Override protected void avgPool2dBackwardUnchecked(Pool2dShape g, Buffer gy, Buffer gx) { pool(ArgBlocks.POOL_AVG_BACKWARD, g, gy, gx, null); }

    @Override protected void adaptiveAvgPool2dUnchecked(Buffer src, Buffer dst, long nc, long h, long w, long oh, long ow, boolean backward) {
        check("adaptive_avg_pool2d", CudaNative.ecu_adaptive_avg_pool2d(ctx(), DTypeCodes.of(src.dtype()), src.address(), dst.address(), nc, h, w, oh, ow,
                backward ? 1 : 0));
    }

    // ---- indexing ---------------------------------------------------------------------------------

    @Override protected long firstBadIndex(Buffer idx, long count, long limit) {
        return position("checkIndices", CudaNative.ecu_check_indices(ctx(), idx.address(), count, limit));
    }

    @Override protected void gatherRowsUnchecked(Buffer src, long srcRows, long rowLength, Buffer idx, long count, Buffer dst) {
        check("gather_rows", CudaNative.ecu_gather_rows(ctx(), DTypeCodes.of(src.dtype()), src.address(), idx.address(), count, rowLength, dst.address(),
                srcRows));
    }

    @Override protected void scatterAddRowsUnchecked(Buffer src, Buffer idx, long count, long rowLength, Buffer dst, long dstRows) {
        check("scatter_add_rows", CudaNative.ecu_scatter_add_rows(ctx(), DTypeCodes.of(src.dtype()), src.address(), idx.address(), count, rowLength,
                dst.address(), dstRows));
    }

    // ---- randomness -------------------------------------------------------------------------------

    @Override protected void dropoutMaskUnchecked(long seed, long offset, double p, Buffer mask, long count) {
        check("dropout_mask", CudaNative.ecu_dropout_mask(ctx(), DTypeCodes.of(mask.dtype()), seed, offset, p, mask.address(), count));
    }

    // ---- optimizers (one native call for every tensor) --------------------------------------------

    @Override protected void sgdStepUnchecked(Buffer[] params, Buffer[] grads, Buffer[] momentum, OptimizerHyperparams.Sgd hp) {
        check("optimizer_step", CudaNative.ecu_optimizer_step(ctx(), ArgBlocks.sgd(params, grads, momentum, hp, 0, params.length).address()));
    }

    @Override protected void adamStepUnchecked(Buffer[] params, Buffer[] grads, Buffer[] m, Buffer[] v, OptimizerHyperparams.Adam hp) {
        check("optimizer_step", CudaNative.ecu_optimizer_step(ctx(), ArgBlocks.adam(params, grads, m, v, hp, 0, params.length).address()));
    }

    @Override protected void rmspropStepUnchecked(Buffer[] params, Buffer[] grads, Buffer[] squareAvg, Buffer[] momentum,
                                                  OptimizerHyperparams.RmsProp hp) {
        check("optimizer_step", CudaNative.ecu_optimizer_step(ctx(), ArgBlocks.rmsprop(params, grads, squareAvg, momentum, hp, 0, params.length).address()));
    }

    @Override public String toString() { return deviceOrdinal == 0 ? "CudaBackend" : "CudaBackend[device " + deviceOrdinal + "]"; }

    // ---- recorded calls ---------------------------------------------------------------------------

    /**
     * Captures [pinned input -> {@code input}, every kernel {@code work} queues, {@code output} -> pinned
     * output] into one CUDA graph; see {@link CudaRecordedCall}. Throws when the work cannot be captured
     * (a host transfer, an index check that needs the host), with the reason.
     */
    private volatile boolean recordCalls = Boolean.getBoolean("engine.cuda.recordCalls");

    /**
     * Frozen calls recorded as one CUDA graph with pinned host copies ({@link #recordCall}): opt-in
     * ({@code -Dengine.cuda.recordCalls=true} or this setter) until its GPU tests (FrozenGraphTest) have run
     * on a GPU; off, a frozen call makes its kernel calls one by one as before.
     */
    public void setRecordCalls(boolean on) { ready(); recordCalls = on; }

    /** Whether frozen calls are recorded into CUDA graphs (see {@link #setRecordCalls}). */
    public boolean recordCalls() { return recordCalls; }

    @Override public RecordedCall recordCall(Buffer input, int inputCount, Buffer output, int outputCount, Runnable work) {
        ready();
        if (!recordCalls) return super.recordCall(input, inputCount, output, outputCount, work);
        return CudaRecordedCall.record(this, input, inputCount, output, outputCount, work);
    }

    /** Counters of the pinned host memory held by recorded calls, of every CUDA backend in this process. */
    public CudaPinnedStats pinnedStats() {
        ready();
        return new CudaPinnedStats(CudaNative.ecu_pinned_stat(0), CudaNative.ecu_pinned_stat(1), CudaNative.ecu_pinned_stat(2),
                CudaNative.ecu_pinned_stat(3));
    }
}
