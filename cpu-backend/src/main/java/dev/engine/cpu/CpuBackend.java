package dev.engine.cpu;

import static dev.engine.api.KernelChecks.buffer;
import static dev.engine.nativeabi.ArgBlocks.addr;
import static dev.engine.nativeabi.ArgBlocks.at;

import dev.engine.api.Activation;
import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.CheckedBackend;
import dev.engine.api.Conv2dShape;
import dev.engine.api.DType;
import dev.engine.api.Device;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.EngineException;
import dev.engine.api.Epilogue;
import dev.engine.api.InputQuantization;
import dev.engine.api.KernelChecks;
import dev.engine.api.MatrixRef;
import dev.engine.api.MemoryStats;
import dev.engine.api.OptimizerHyperparams;
import dev.engine.api.PackedMatrix;
import dev.engine.api.Pool2dShape;
import dev.engine.api.ReduceOp;
import dev.engine.api.ShapeException;
import dev.engine.nativeabi.ArgBlocks;
import dev.engine.nativeabi.DTypeCodes;
import dev.engine.nativeabi.NativeArgs;
import dev.engine.nativeabi.NativeStatus;
import java.util.function.Supplier;

/**
 * The CPU backend: OpenBLAS for GEMM and our own C++ kernels (native/cpu) for everything else, called
 * through JavaCPP with one native call per kernel. {@link CheckedBackend} has checked every argument
 * before a hook here runs, so the hooks only marshal and call.
 *
 * <pre>{@code
 * Backend cpu = Backends.get("cpu");
 * cpu.setThreads(2);   // our kernels and OpenBLAS
 * }</pre>
 */
public final class CpuBackend extends CheckedBackend {
    /** Tensors per native optimizer call, so the argument block never overflows. */
    private static final int OPTIMIZER_CHUNK = 1000;
    private final MemoryStats stats = new MemoryStats();
    private final CpuConvPool convPool = new CpuConvPool();
    private final Buffer.Deallocator deallocator = CpuNative::engine_free;

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

    /** Fetches this thread's native failure message; called only after a failed status. */
    private static final Supplier<String> LAST_ERROR = CpuNative::engine_last_error;

    /** Throws an {@link EngineException} naming {@code op} unless a kernel returned {@link NativeStatus#OK}. */
    static void ok(String op, int status) {
        if (status != NativeStatus.OK) NativeStatus.check(op, status, LAST_ERROR);
    }

    @Override public String name() { return "cpu"; }
    @Override public int rank() { return 10; }
    @Override public boolean isAvailable() { return Native.FAILURE == null; }
    @Override public String unavailableReason() { return Native.FAILURE; }
    @Override public Device device() { return Device.CPU; }
    @Override public MemoryStats memoryStats() { return stats; }
    @Override public void synchronize() {}

    /** OpenBLAS core name (e.g. "Haswell"), its build configuration and the CPU's vector features. */
    @Override public String describe() {
        ready();
        String[] p = CpuNative.engine_describe().split("\\|", -1);
        return "OpenBLAS core: " + p[0] + "; OpenBLAS config: " + p[1].trim() + "; CPU features: " + p[2].trim()
                + "; packed GEMM kernel: " + CpuNative.engine_packed_isa() + "; int8 GEMM kernel: " + CpuNative.engine_int8_isa()
                + "; int8 convolution: " + CpuNative.engine_int8_conv_kernels()
                + "; bf16 GEMM kernel: " + CpuNative.engine_bf16_isa() + "; threads: " + threads();
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

    /**
     * The instruction set of the BF16 GEMM kernel in use: "amx" (AMX-BF16 tiles), "avx512bf16" ({@code vdpbf16ps}),
     * "avx2" or "baseline" (bf16 widened to F32, same rounded inputs); {@code ENGINE_CPU_ISA=avx512bf16}, {@code avx2}
     * or {@code baseline} narrows it.
     *
     * <pre>{@code
     * String isa = ((CpuBackend) Backends.get("cpu")).bf16GemmIsa();
     * }</pre>
     */
    public String bf16GemmIsa() {
        ready();
        return CpuNative.engine_bf16_isa();
    }

    /**
     * The instruction set of the int8 GEMM kernel in use: "amx" (where the CPU has AMX-INT8 and the OS grants
     * the tile state), "avx512vnni", "avx2" or "baseline" ({@code ENGINE_CPU_ISA} narrows it).
     */
    public String int8GemmIsa() {
        ready();
        return CpuNative.engine_int8_isa();
    }

    /**
     * Measured int8 multiply-add throughput of one core, in GOP/s (a multiply-add counts 2), at the int8
     * kernel's instruction set: 16 independent chains of vpdpbusd (AMX: 4 tdpbusd tiles; AVX2: vpmaddwd + vpaddd), no memory
     * traffic, best of ten runs of about {@code millis} ms; 0 for the baseline kernel. The int8 counterpart
     * of {@link #fmaPeakGflops}.
     *
     * <pre>{@code
     * double perCore = cpu.int8PeakGops(50);
     * }</pre>
     */
    public double int8PeakGops(int millis) {
        ready();
        if (millis < 1 || millis > 10_000) throw new IllegalArgumentException("int8PeakGops: millis must be in [1, 10000], got " + millis);
        return CpuNative.engine_int8_peak(millis);
    }

    /** The OpenBLAS kernel core in use, e.g. "Haswell". */
    public String openBlasCore() {
        ready();
        return CpuNative.engine_describe().split("\\|", -1)[0];
    }

    /** Counters of the cache that keeps large freed buffers (256 KiB and up) for reuse. */
    public CpuAllocatorStats allocatorStats() {
        ready();
        NativeArgs a = NativeArgs.begin();
        for (int i = 0; i < 8; i++) a.put(0L);
        CpuNative.engine_allocator_stats(a.address());
        long[] v = a.read(8);
        return new CpuAllocatorStats(v[0], v[1], v[2], v[3], v[4], v[5], v[6], v[7]);
    }

    /** Returns every cached (free) block to the system; live buffers are untouched. */
    public void emptyCache() { ready(); CpuNative.engine_empty_cache(); }

    @Override public int threads() { ready(); return CpuNative.engine_get_threads(); }

    @Override protected void setThreadsUnchecked(int threads) { CpuNative.engine_set_threads(threads); }

    // ---- memory -----------------------------------------------------------------------------------

    @Override protected Buffer allocateUnchecked(DType dtype, long length) {
        long bytes = dtype.bytes(length);
        long address = CpuNative.engine_alloc(bytes);
        if (address == 0) throw new EngineException("allocate: out of native memory for " + length + " x " + dtype + " (" + bytes + " bytes)");
        return new Buffer(this, dtype, length, address, deallocator, stats);
    }

    @Override protected void copyInUnchecked(float[] src, int so, Buffer dst, long dof, int n) { CpuNative.copy_in_f32(src, so, at(dst, dof), n); }
    @Override protected void copyInUnchecked(double[] src, int so, Buffer dst, long dof, int n) { CpuNative.copy_in_f64(src, so, at(dst, dof), n); }
    @Override protected void copyInUnchecked(int[] src, int so, Buffer dst, long dof, int n) { CpuNative.copy_in_i32(src, so, at(dst, dof), n); }
    @Override protected void copyInUnchecked(long[] src, int so, Buffer dst, long dof, int n) { CpuNative.copy_in_i64(src, so, at(dst, dof), n); }
    @Override protected void copyOutUnchecked(Buffer src, long sof, float[] dst, int d, int n) { CpuNative.copy_out_f32(at(src, sof), dst, d, n); }
    @Override protected void copyOutUnchecked(Buffer src, long sof, double[] dst, int d, int n) { CpuNative.copy_out_f64(at(src, sof), dst, d, n); }
    @Override protected void copyOutUnchecked(Buffer src, long sof, int[] dst, int d, int n) { CpuNative.copy_out_i32(at(src, sof), dst, d, n); }
    @Override protected void copyOutUnchecked(Buffer src, long sof, long[] dst, int d, int n) { CpuNative.copy_out_i64(at(src, sof), dst, d, n); }

    @Override protected void copyUnchecked(BufferView src, BufferView dst) { ok("copy", CpuNative.engine_copy(ArgBlocks.copy(src, dst).address())); }

    @Override protected void elementwiseUnchecked(ElementwiseProgram p, BufferView[] inputs, BufferView out) {
        ok("elementwise", CpuNative.engine_elementwise(ArgBlocks.elementwise(p, inputs, out).address()));
    }

    // ---- GEMM -------------------------------------------------------------------------------------

    @Override protected void gemmUnchecked(boolean transA, boolean transB, long m, long n, long k, double alpha, MatrixRef a, MatrixRef b,
                                           double beta, MatrixRef c, long batch, Epilogue epi) {
        ok("gemm", CpuNative.engine_gemm(ArgBlocks.gemm(transA, transB, m, n, k, alpha, a, b, beta, c, batch, epi).address()));
    }

    /** BF16 products on the bf16 kernel (op(B) packed per call); F16, alpha != 1 or beta != 0 emulated by the default. */
    @Override protected void gemmRoundedUnchecked(DType precision, boolean transA, boolean transB, long m, long n, long k, double alpha,
                                                  MatrixRef a, MatrixRef b, double beta, MatrixRef c, long batch, Epilogue epi) {
        if (precision != DType.BF16 || alpha != 1 || beta != 0 || k == 0) {
            super.gemmRoundedUnchecked(precision, transA, transB, m, n, k, alpha, a, b, beta, c, batch, epi);
            return;
        }
        ok("gemmRounded", CpuNative.engine_gemm_bf16(ArgBlocks.gemm(transA, transB, m, n, k, alpha, a, b, beta, c, batch, epi).address()));
    }

    @Override protected PackedMatrix packMatrixUnchecked(Buffer b, long rows, long cols) { return CpuPackedGemm.pack(this, b, rows, cols); }
    @Override protected String packedMatrixFormat() { return CpuPackedGemm.PANEL_FORMAT; }
    @Override protected long packedMatrixLength(long rows, long cols) { return CpuNative.engine_packed_size(rows, cols); }
    @Override protected void gemmPackedUnchecked(long m, MatrixRef a, PackedMatrix b, MatrixRef c, Epilogue epi) { CpuPackedGemm.run(m, a, b, c, epi); }
    @Override protected PackedMatrix packMatrixBf16Unchecked(Buffer b, long rows, long cols) { return CpuPackedGemm.packBf16(this, b, rows, cols); }
    @Override protected String packedBf16Format() { return CpuPackedGemm.BF16_FORMAT; }
    @Override protected long packedBf16Length(long rows, long cols) { return CpuPackedGemm.bf16Length(rows, cols); }
    @Override protected void gemmBf16PackedUnchecked(long m, MatrixRef a, PackedMatrix b, MatrixRef c, Epilogue epi) { CpuPackedGemm.runBf16(m, a, b, c, epi); }
    @Override protected PackedMatrix packMatrixInt8Unchecked(Buffer w, Buffer scales, long rows, long cols) { return CpuPackedGemm.packInt8(this, w, scales, rows, cols); }
    @Override protected String packedInt8Format() { return CpuPackedGemm.INT8_FORMAT; }
    @Override protected long packedInt8Length(long rows, long cols) { return CpuPackedGemm.int8Length(rows, cols); }
    @Override protected void gemmInt8PackedUnchecked(long m, MatrixRef a, InputQuantization aq, PackedMatrix b, MatrixRef c, Epilogue epi) {
        CpuPackedGemm.runInt8(m, a, aq, b, c, epi);
    }

    @Override protected void conv2dForwardInt8PackedUnchecked(Conv2dShape g, Buffer x, InputQuantization aq, PackedMatrix w, Buffer bias,
                                                              Activation act, Buffer y) {
        CpuPackedGemm.convInt8(g, x, aq, w, bias, act, y);
    }

    /**
     * Stride-1 int8 convolutions the plane kernel takes (AVX-512 VNNI + VBMI), no activation or ReLU, then a
     * 2x2, stride-2, unpadded max pool.
     */
    @Override public boolean fusesConvMaxPoolInt8(Conv2dShape g, Activation act, Pool2dShape p) {
        return g != null && p != null && (act == Activation.NONE || act == Activation.RELU) && g.groups() == 1
                && p.kernelH() == 2 && p.kernelW() == 2 && p.strideH() == 2 && p.strideW() == 2 && p.padH() == 0 && p.padW() == 0
                && p.n() == g.n() && p.c() == g.k() && p.h() == g.outH() && p.w() == g.outW() && CpuPackedGemm.convInt8MaxPoolFuses(g);
    }
    @Override protected void conv2dMaxPoolForwardInt8PackedUnchecked(Conv2dShape g, Buffer x, InputQuantization aq, PackedMatrix w, Buffer bias,
                                                                     Activation act, Pool2dShape pool, Buffer y) {
        CpuPackedGemm.convInt8MaxPool(g, x, aq, w, bias, act, y);
    }

    static EngineException badInt8Weight(long position, long rows, long cols) { return badInt8(position, rows, cols); }

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

    // ---- reductions and normalisation -------------------------------------------------------------

    @Override protected void reduceUnchecked(ReduceOp op, BufferView x, KernelChecks.ReductionSplit split, Buffer out) {
        ok("reduce", CpuNative.engine_reduce(ArgBlocks.reduce(op, x, split, out).address()));
    }

    @Override protected void softmaxUnchecked(Buffer x, Buffer out, long rows, long cols, boolean log) {
        ok("softmax", CpuNative.engine_softmax(DTypeCodes.of(x.dtype()), x.address(), out.address(), rows, cols, log ? 1 : 0));
    }

    @Override protected void attentionUnchecked(BufferView q, BufferView k, BufferView v, Buffer keyPadding, boolean causal, double scale,
                                                BufferView out) {
        ok("attention", CpuNative.engine_attention(ArgBlocks.attention(q, k, v, keyPadding, causal, scale, out).address()));
    }

    @Override protected void softmaxBackwardUnchecked(Buffer y, Buffer gy, Buffer gx, long rows, long cols, boolean log) {
        ok("softmaxBackward", CpuNative.engine_softmax_backward(DTypeCodes.of(y.dtype()), y.address(), gy.address(), gx.address(), rows, cols, log ? 1 : 0));
    }

    @Override protected long crossEntropyUnchecked(Buffer logits, Buffer targets, Buffer classWeights, long rows, long cols, double labelSmoothing,
                                                   long ignoreIndex, Buffer lossPerRow, Buffer rowWeight, Buffer gradLogits) {
        return NativeStatus.position("crossEntropy", CpuNative.engine_cross_entropy(DTypeCodes.of(logits.dtype()), logits.address(),
                targets.address(), addr(classWeights), rows, cols, labelSmoothing, ignoreIndex, lossPerRow.address(), rowWeight.address(),
                addr(gradLogits)), LAST_ERROR);
    }

    @Override protected void layerNormForwardUnchecked(Buffer x, Buffer gamma, Buffer beta, long rows, long cols, double eps, Buffer y, Buffer mean,
                                                       Buffer rstd) {
        ok("layerNorm", CpuNative.engine_layer_norm_forward(DTypeCodes.of(x.dtype()), x.address(), addr(gamma), addr(beta), rows, cols, eps, y.address(),
                mean.address(), rstd.address()));
    }

    @Override protected void layerNormBackwardUnchecked(Buffer x, Buffer gy, Buffer gamma, Buffer mean, Buffer rstd, long rows, long cols,
                                                        Buffer gx, Buffer gGamma, Buffer gBeta) {
        ok("layerNormBackward", CpuNative.engine_layer_norm_backward(DTypeCodes.of(x.dtype()), x.address(), gy.address(), addr(gamma), mean.address(), rstd.address(),
                rows, cols, gx.address(), addr(gGamma), addr(gBeta)));
    }

    @Override protected void batchNormForwardUnchecked(Buffer x, Buffer gamma, Buffer beta, Buffer runningMean, Buffer runningVar, long n, long c,
                                                       long hw, boolean training, double momentum, double eps, Buffer y, Buffer saveMean,
                                                       Buffer saveRstd) {
        ok("batchNorm", CpuNative.engine_batch_norm_forward(ArgBlocks.batchNormForward(x, gamma, beta, runningMean, runningVar, n, c, hw, training, momentum, eps,
                y, saveMean, saveRstd).address()));
    }

    @Override protected void batchNormBackwardUnchecked(Buffer x, Buffer gy, Buffer gamma, Buffer saveMean, Buffer saveRstd, long n, long c,
                                                        long hw, Buffer gx, Buffer gGamma, Buffer gBeta) {
        ok("batchNormBackward", CpuNative.engine_batch_norm_backward(ArgBlocks.batchNormBackward(x, gy, gamma, saveMean, saveRstd, n, c, hw, gx, gGamma, gBeta).address()));
    }

    // ---- convolution and pooling (marshalled in CpuConvPool) ---------------------------------------

    @Override protected void conv2dForwardUnchecked(Conv2dShape g, Buffer x, Buffer w, Buffer bias, Activation act, Buffer y) {
        convPool.conv2dForward(g, x, w, bias, act, y);
    }
    /**
     * A packed conv weight is its KCRS copy (which both conv kernels, direct and tiles, read in place); with
     * a multiple of 16 filters it is followed by the same [K][C/groups*R*S] matrix as [K/16][C/groups*R*S][16],
     * the layout the fused convolution + max pool's filter-vector kernel reads (groups 1 only).
     */
    @Override protected String packedConvWeightFormat(long k, long cols, int groups) {
        return filterVectors(k, cols) ? CONV_FILTER_VECTORS : PackedMatrix.ROW_MAJOR;
    }

    private static final String CONV_FILTER_VECTORS = "kcrs+filter-vectors";

    private static boolean filterVectors(long k, long cols) { return k % 16 == 0 && k * cols <= 1 << 26; }

    @Override protected PackedMatrix packConvWeightUnchecked(Buffer weight, long k, long cols, int groups) {
        if (!filterVectors(k, cols)) return super.packConvWeightUnchecked(weight, k, cols, groups);
        int n = Math.toIntExact(k * cols);
        float[] kcrs = new float[n], vectors = new float[n];
        copyOut(weight, 0, kcrs, 0, n);
        for (int block = 0; block < k / 16; block++)
            for (int q = 0; q < cols; q++)
                for (int o = 0; o < 16; o++) vectors[(int) ((block * cols + q) * 16 + o)] = kcrs[(int) ((block * 16L + o) * cols + q)];
        Buffer b = allocate(DType.F32, 2L * n);
        copyIn(kcrs, 0, b, 0, n);
        copyIn(vectors, 0, b, n, n);
        return new PackedMatrix(b, k, cols, CONV_FILTER_VECTORS);
    }

    @Override protected void conv2dForwardPackedUnchecked(Conv2dShape g, Buffer x, PackedMatrix w, Buffer bias, Activation act, Buffer y) {
        convPool.conv2dForwardPacked(g, x, w.buffer(), filterVectorsAddress(w), bias, act, y);
    }

    /** The address of a packed convolution weight's filter vectors ([K/16][C/groups*R*S][16], after its KCRS copy), or 0. */
    private static long filterVectorsAddress(PackedMatrix w) {
        return w.format().equals(CONV_FILTER_VECTORS) ? w.buffer().address() + DType.F32.bytes(w.rows() * w.cols()) : 0;
    }

    /** Stride-1 F32 convolutions with a filter larger than 1x1, ReLU, then a 2x2 stride-2 unpadded max pool. */
    @Override public boolean fusesConvMaxPool(Conv2dShape g, Activation act, Pool2dShape p) {
        return g != null && p != null && act == Activation.RELU && g.strideH() == 1 && g.strideW() == 1 && g.r() * g.s() > 1
                && p.kernelH() == 2 && p.kernelW() == 2 && p.strideH() == 2 && p.strideW() == 2 && p.padH() == 0 && p.padW() == 0
                && p.n() == g.n() && p.c() == g.k() && p.h() == g.outH() && p.w() == g.outW();
    }
    @Override protected void conv2dMaxPoolForwardPackedUnchecked(Conv2dShape g, Buffer x, PackedMatrix w, Buffer bias, Activation act,
                                                                 Pool2dShape pool, Buffer y) {
        convPool.conv2dReluMaxPool(g, x, w.buffer(), filterVectorsAddress(w), bias, y);
    }
    @Override protected void conv2dBackwardInputUnchecked(Conv2dShape g, Buffer gy, Buffer w, Buffer gx) { convPool.conv2dBackwardInput(g, gy, w, gx); }
    @Override protected void conv2dBackwardWeightUnchecked(Conv2dShape g, Buffer x, Buffer gy, Buffer gw, Buffer gb) {
        convPool.conv2dBackwardWeight(g, x, gy, gw, gb);
    }
    @Override protected void maxPool2dForwardUnchecked(Pool2dShape g, Buffer x, Buffer y, Buffer indices) {
        CpuConvPool.pool(ArgBlocks.POOL_MAX, g, x, y, indices);
    }
    @Override protected void maxPool2dBackwardUnchecked(Pool2dShape g, Buffer gy, Buffer indices, Buffer gx) {
        CpuConvPool.pool(ArgBlocks.POOL_MAX_BACKWARD, g, gy, indices, gx);
    }
    @Override protected void avgPool2dForwardUnchecked(Pool2dShape g, Buffer x, Buffer y) { CpuConvPool.pool(ArgBlocks.POOL_AVG, g, x, y, null); }
    @Override protected void avgPool2dBackwardUnchecked(Pool2dShape g, Buffer gy, Buffer gx) {
        CpuConvPool.pool(ArgBlocks.POOL_AVG_BACKWARD, g, gy, gx, null);
    }
    @Override protected void adaptiveAvgPool2dUnchecked(Buffer src, Buffer dst, long nc, long h, long w, long oh, long ow, boolean backward) {
        ok("adaptiveAvgPool2d", CpuNative.engine_adaptive_avg_pool2d(DTypeCodes.of(src.dtype()), src.address(), dst.address(), nc, h, w, oh, ow, backward ? 1 : 0));
    }

    // ---- indexing ---------------------------------------------------------------------------------

    @Override protected long firstBadIndex(Buffer idx, long count, long limit) { return CpuNative.engine_check_indices(idx.address(), count, limit); }

    @Override protected void gatherRowsUnchecked(Buffer src, long srcRows, long rowLength, Buffer idx, long count, Buffer dst) {
        ok("gatherRows", CpuNative.engine_gather_rows(DTypeCodes.of(src.dtype()), src.address(), idx.address(), count, rowLength, dst.address()));
    }

    @Override protected void scatterAddRowsUnchecked(Buffer src, Buffer idx, long count, long rowLength, Buffer dst, long dstRows) {
        ok("scatterAddRows", CpuNative.engine_scatter_add_rows(DTypeCodes.of(src.dtype()), src.address(), idx.address(), count, rowLength, dst.address()));
    }

    // ---- randomness -------------------------------------------------------------------------------

    @Override protected void dropoutMaskUnchecked(long seed, long offset, double p, Buffer mask, long count) {
        ok("dropoutMask", CpuNative.engine_dropout_mask(DTypeCodes.of(mask.dtype()), seed, offset, p, mask.address(), count));
    }

    // ---- optimizers -------------------------------------------------------------------------------

    /** The argument block of one chunk {@code [from, to)} of a multi-tensor step. */
    private interface Chunk { NativeArgs args(int from, int to); }

    /** Runs a checked multi-tensor step in native calls of at most {@link #OPTIMIZER_CHUNK} tensors (the block never overflows). */
    private static void inChunks(String op, int tensors, Chunk chunk) {
        for (int from = 0; from < tensors; from += OPTIMIZER_CHUNK)
            ok(op, CpuNative.engine_optimizer_step(chunk.args(from, Math.min(tensors, from + OPTIMIZER_CHUNK)).address()));
    }

    @Override protected void sgdStepUnchecked(Buffer[] params, Buffer[] grads, Buffer[] momentum, OptimizerHyperparams.Sgd hp) {
        inChunks("sgdStep", params.length, (from, to) -> ArgBlocks.sgd(params, grads, momentum, hp, from, to));
    }

    @Override protected void adamStepUnchecked(Buffer[] params, Buffer[] grads, Buffer[] m, Buffer[] v, OptimizerHyperparams.Adam hp) {
        inChunks("adamStep", params.length, (from, to) -> ArgBlocks.adam(params, grads, m, v, hp, from, to));
    }

    @Override protected void rmspropStepUnchecked(Buffer[] params, Buffer[] grads, Buffer[] squareAvg, Buffer[] momentum,
                                                  OptimizerHyperparams.RmsProp hp) {
        inChunks("rmspropStep", params.length, (from, to) -> ArgBlocks.rmsprop(params, grads, squareAvg, momentum, hp, from, to));
    }

    @Override public String toString() { return "CpuBackend"; }
}
