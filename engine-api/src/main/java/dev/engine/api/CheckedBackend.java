package dev.engine.api;

import static dev.engine.api.KernelChecks.buffer;
import static dev.engine.api.KernelChecks.floating;
import static dev.engine.api.KernelChecks.product;

import java.util.Arrays;

/**
 * The one place kernel arguments are checked. Every {@link Backend} extends this class: its public kernel
 * methods are final, validate shapes, dtypes, devices, strides, output overlap and nulls, and only then
 * call the protected {@code ...Unchecked} hook the backend implements. So every backend (and any third-party
 * one) throws the same {@link EngineException} subclass with the same message for the same bad call, and
 * a hook may trust its arguments: buffers open, on this backend, large enough, dtypes supported and agreeing,
 * sizes non-negative and within the kernels' 32-bit limits, empty work already returned.
 *
 * <pre>{@code
 * public final class MyBackend extends CheckedBackend {
 *     @Override protected void softmaxUnchecked(Buffer x, Buffer out, long rows, long cols, boolean log) {
 *         MyNative.softmax(x.address(), out.address(), rows, cols, log);   // rows * cols > 0 here
 *     }
 *     // ... the other hooks and the identity methods
 * }
 * }</pre>
 */
public abstract non-sealed class CheckedBackend implements Backend {
    /** The highest rank of a strided view (the native kernels' fixed-size stride arrays). */
    public static final int MAX_RANK = 16;
    /** More threads than this is a mistake (each is a native worker). */
    public static final int MAX_THREADS = 512;
    /** Sizes the kernels index with 32-bit ints (BLAS sizes, leading dimensions, GEMM dims). */
    private static final long INT_LIMIT = Integer.MAX_VALUE;

    protected CheckedBackend() {}

    // ---- identity and lifecycle -------------------------------------------------------------------

    /** Throws {@link BackendUnavailableException} with the reason when this backend cannot run here. */
    protected final void ready() {
        if (!isAvailable()) throw new BackendUnavailableException(name() + " backend unavailable: " + unavailableReason());
    }

    @Override public final void setThreads(int threads) {
        ready();
        if (threads < 1 || threads > MAX_THREADS)
            throw new EngineException("setThreads: thread count " + threads + " must be in [1, " + MAX_THREADS + "]");
        setThreadsUnchecked(threads);
    }

    protected abstract void setThreadsUnchecked(int threads);

    /** The dtypes this backend's kernels take; others are refused before any hook runs. */
    protected boolean supports(DType dtype) {
        return dtype == DType.F32 || dtype == DType.F64 || dtype == DType.I32 || dtype == DType.I64;
    }

    private void supported(String op, DType dt) {
        if (!supports(dt)) throw new DTypeException(op + ": the " + name() + " backend does not support dtype " + dt);
    }

    // ---- memory -----------------------------------------------------------------------------------

    @Override public final Buffer allocate(DType dtype, long length) {
        ready();
        if (dtype == null) throw new EngineException("allocate: dtype is null");
        supported("allocate", dtype);
        if (length < 0) throw new ShapeException("allocate: negative length " + length + " of " + dtype);
        if (length > Long.MAX_VALUE / 8 - 64)
            throw new ShapeException("allocate: " + length + " x " + dtype + " overflows a 64-bit byte size");
        return allocateUnchecked(dtype, length);
    }

    /** Allocates {@code dtype.bytes(length)} bytes; throws {@link EngineException} when out of memory. */
    protected abstract Buffer allocateUnchecked(DType dtype, long length);

    private void transfer(String op, Object array, int arrayLength, int arrayOffset, Buffer b, long bufOffset, int count, DType want) {
        ready();
        if (array == null) throw new EngineException(op + ": the Java array is null");
        buffer(op, "buffer", this, b, 0, want);
        if (count < 0 || arrayOffset < 0 || arrayOffset > arrayLength - count)
            throw new ShapeException(op + ": array range [" + arrayOffset + ", " + ((long) arrayOffset + count) + ") outside array of " + arrayLength);
        if (bufOffset < 0 || bufOffset > b.length() - count)
            throw new ShapeException(op + ": buffer range [" + bufOffset + ", " + (bufOffset + count) + ") outside buffer of " + b.length());
    }

    private static int len(float[] a) { return a == null ? 0 : a.length; }
    private static int len(double[] a) { return a == null ? 0 : a.length; }
    private static int len(int[] a) { return a == null ? 0 : a.length; }
    private static int len(long[] a) { return a == null ? 0 : a.length; }

    @Override public final void copyIn(float[] src, int srcOffset, Buffer dst, long dstOffset, int count) {
        transfer("copyIn", src, len(src), srcOffset, dst, dstOffset, count, DType.F32);
        if (count > 0) copyInUnchecked(src, srcOffset, dst, dstOffset, count);
    }
    @Override public final void copyIn(double[] src, int srcOffset, Buffer dst, long dstOffset, int count) {
        transfer("copyIn", src, len(src), srcOffset, dst, dstOffset, count, DType.F64);
        if (count > 0) copyInUnchecked(src, srcOffset, dst, dstOffset, count);
    }
    @Override public final void copyIn(int[] src, int srcOffset, Buffer dst, long dstOffset, int count) {
        transfer("copyIn", src, len(src), srcOffset, dst, dstOffset, count, DType.I32);
        if (count > 0) copyInUnchecked(src, srcOffset, dst, dstOffset, count);
    }
    @Override public final void copyIn(long[] src, int srcOffset, Buffer dst, long dstOffset, int count) {
        transfer("copyIn", src, len(src), srcOffset, dst, dstOffset, count, DType.I64);
        if (count > 0) copyInUnchecked(src, srcOffset, dst, dstOffset, count);
    }
    @Override public final void copyOut(Buffer src, long srcOffset, float[] dst, int dstOffset, int count) {
        transfer("copyOut", dst, len(dst), dstOffset, src, srcOffset, count, DType.F32);
        if (count > 0) copyOutUnchecked(src, srcOffset, dst, dstOffset, count);
    }
    @Override public final void copyOut(Buffer src, long srcOffset, double[] dst, int dstOffset, int count) {
        transfer("copyOut", dst, len(dst), dstOffset, src, srcOffset, count, DType.F64);
        if (count > 0) copyOutUnchecked(src, srcOffset, dst, dstOffset, count);
    }
    @Override public final void copyOut(Buffer src, long srcOffset, int[] dst, int dstOffset, int count) {
        transfer("copyOut", dst, len(dst), dstOffset, src, srcOffset, count, DType.I32);
        if (count > 0) copyOutUnchecked(src, srcOffset, dst, dstOffset, count);
    }
    @Override public final void copyOut(Buffer src, long srcOffset, long[] dst, int dstOffset, int count) {
        transfer("copyOut", dst, len(dst), dstOffset, src, srcOffset, count, DType.I64);
        if (count > 0) copyOutUnchecked(src, srcOffset, dst, dstOffset, count);
    }

    // count > 0, both ranges inside their array and buffer, dtypes match
    protected abstract void copyInUnchecked(float[] src, int srcOffset, Buffer dst, long dstOffset, int count);
    protected abstract void copyInUnchecked(double[] src, int srcOffset, Buffer dst, long dstOffset, int count);
    protected abstract void copyInUnchecked(int[] src, int srcOffset, Buffer dst, long dstOffset, int count);
    protected abstract void copyInUnchecked(long[] src, int srcOffset, Buffer dst, long dstOffset, int count);
    protected abstract void copyOutUnchecked(Buffer src, long srcOffset, float[] dst, int dstOffset, int count);
    protected abstract void copyOutUnchecked(Buffer src, long srcOffset, double[] dst, int dstOffset, int count);
    protected abstract void copyOutUnchecked(Buffer src, long srcOffset, int[] dst, int dstOffset, int count);
    protected abstract void copyOutUnchecked(Buffer src, long srcOffset, long[] dst, int dstOffset, int count);

    /** A strided view: not null, inside its open buffer on this backend, rank at most 16, supported dtype. */
    private void view(String op, String what, BufferView v) {
        if (v == null) throw new EngineException(op + ": " + what + " is null");
        KernelChecks.fits(op, what, this, v);
        if (v.layout().rank() > MAX_RANK) throw new ShapeException(op + ": rank " + v.layout().rank() + " of " + what + " exceeds " + MAX_RANK);
        supported(op, v.dtype());
    }

    /** An output view must not write one element twice (a broadcast, stride-0 view). */
    private static void writable(String op, String what, BufferView v) {
        Layout l = v.layout();
        for (int d = 0; d < l.rank(); d++)
            if (l.stride(d) == 0 && l.shape(d) > 1)
                throw new ShapeException(op + ": " + what + " " + l + " is a broadcast view (stride 0 in dim " + d + "); outputs must not overlap");
    }

    @Override public final void copy(BufferView src, BufferView dst) {
        ready();
        view("copy", "src", src);
        view("copy", "dst", dst);
        writable("copy", "dst", dst);
        KernelChecks.sameShape("copy", "src", src.layout().shape(), "dst", dst.layout().shape());
        if (src.layout().numel() == 0) return;
        copyUnchecked(src, dst);
    }

    /** Equal shapes, at least one element, dst writes each element once. */
    protected abstract void copyUnchecked(BufferView src, BufferView dst);

    // ---- elementwise ------------------------------------------------------------------------------

    @Override public final void elementwise(ElementwiseProgram p, BufferView[] inputs, BufferView out) {
        ready();
        String op = "elementwise";
        if (p == null || inputs == null) throw new EngineException(op + ": program or inputs are null");
        if (inputs.length != p.inputs())
            throw new EngineException(op + ": program expects " + p.inputs() + " inputs, got " + inputs.length);
        view(op, "out", out);
        writable(op, "out", out);
        DType dt = out.dtype();
        floating(op, "out", dt);
        long[] shape = out.layout().shape();
        for (int i = 0; i < inputs.length; i++) {
            view(op, "input " + i, inputs[i]);
            KernelChecks.sameDType(op, "input " + i, inputs[i].dtype(), "out", dt);
            if (!Arrays.equals(inputs[i].layout().shape(), shape))
                throw new ShapeException(op + ": input " + i + " has shape " + Arrays.toString(inputs[i].layout().shape())
                        + " but the output has shape " + Arrays.toString(shape) + " (broadcast inputs first)");
        }
        if (out.layout().numel() == 0) return;
        elementwiseUnchecked(p, inputs, out);
    }

    /** Inputs of the output's shape and floating dtype; at least one element. */
    protected abstract void elementwiseUnchecked(ElementwiseProgram p, BufferView[] inputs, BufferView out);

    // ---- GEMM -------------------------------------------------------------------------------------

    /** A GEMM operand as {@link KernelChecks#matrix}, with a leading dimension the kernels index in 32 bits. */
    private void matrix(String op, String what, MatrixRef r, long rows, long cols, long batch, DType dt) {
        KernelChecks.matrix(op, what, this, r, rows, cols, batch, dt);
        if (r.ld() > INT_LIMIT)
            throw new ShapeException(op + ": " + what + " leading dimension " + r.ld() + " exceeds the kernels' 32-bit limit");
    }

    /** An output batch must not write one matrix twice: its batch stride must step past a whole matrix. */
    private static void distinctBatches(String op, MatrixRef c, long m, long n, long batch) {
        if (batch > 1 && m > 0 && n > 0 && c.batchStride() < (m - 1) * c.ld() + n)
            throw new ShapeException(op + ": C batch stride " + c.batchStride() + " overlaps its " + m + " x " + n
                    + " matrices (ld " + c.ld() + "); outputs must not overlap");
    }

    @Override public final void gemm(boolean transA, boolean transB, long m, long n, long k, double alpha, MatrixRef a, MatrixRef b,
                                     double beta, MatrixRef c, long batch, Epilogue epilogue) {
        ready();
        String op = "gemm";
        for (long v : new long[]{m, n, k, batch})
            if (v < 0 || v > INT_LIMIT) throw new ShapeException(op + ": size " + v + " out of range in m=" + m + " n=" + n + " k=" + k + " batch=" + batch);
        if (c == null) throw new EngineException(op + ": C is null");
        DType dt = c.buffer().dtype();
        floating(op, "C", dt);
        matrix(op, "A", a, transA ? k : m, transA ? m : k, batch, dt);
        matrix(op, "B", b, transB ? n : k, transB ? k : n, batch, dt);
        matrix(op, "C", c, m, n, batch, dt);
        distinctBatches(op, c, m, n, batch);
        Epilogue epi = epilogue == null ? Epilogue.NONE : epilogue;
        if (epi.bias() != null) buffer(op, "bias", this, epi.bias(), n, dt);
        if (epi.residual() != null) matrix(op, "residual", epi.residual(), m, n, batch, dt);
        if (m == 0 || n == 0 || batch == 0) return;
        gemmUnchecked(transA, transB, m, n, k, alpha, a, b, beta, c, batch, epi);
    }

    /** m, n, batch > 0 (k may be 0: C = beta C); every operand inside its buffer; epilogue not null. */
    protected abstract void gemmUnchecked(boolean transA, boolean transB, long m, long n, long k, double alpha, MatrixRef a, MatrixRef b,
                                          double beta, MatrixRef c, long batch, Epilogue epilogue);

    @Override public final PackedMatrix packMatrix(Buffer b, long rows, long cols) {
        ready();
        String op = "packMatrix";
        packSize(op, rows, cols);
        buffer(op, "B", this, b, product(op, rows, cols), DType.F32);
        return packMatrixUnchecked(b, rows, cols);
    }

    /** The size check every packing call starts with: both dimensions in [0, INT_LIMIT]. */
    private static void packSize(String op, long rows, long cols) {
        for (long v : new long[]{rows, cols})
            if (v < 0 || v > INT_LIMIT) throw new ShapeException(op + ": size " + v + " out of range in " + rows + " x " + cols);
    }

    /** Packs a contiguous F32 rows x cols matrix in {@link #packedMatrixFormat()}; the default keeps a row-major copy. */
    protected PackedMatrix packMatrixUnchecked(Buffer b, long rows, long cols) {
        return rowMajorCopy(b, rows, cols);
    }

    /** The format {@link #packMatrixUnchecked} writes; {@link #gemmPacked} refuses any other. */
    protected String packedMatrixFormat() { return PackedMatrix.ROW_MAJOR; }

    /** Elements a packed rows x cols matrix occupies in {@link #packedMatrixFormat()}. */
    protected long packedMatrixLength(long rows, long cols) { return rows * cols; }

    /** A contiguous F32 copy of a rows x cols matrix: the default "packed" form. */
    protected final PackedMatrix rowMajorCopy(Buffer b, long rows, long cols) {
        long n = rows * cols;
        Buffer copy = allocate(DType.F32, Math.max(1, n));
        try {
            if (n > 0) copy(BufferView.of(b, rows, cols), BufferView.of(copy, rows, cols));
        } catch (RuntimeException e) {
            copy.close();
            throw e;
        }
        return new PackedMatrix(copy, rows, cols, PackedMatrix.ROW_MAJOR);
    }

    @Override public final void gemmPacked(long m, MatrixRef a, PackedMatrix b, MatrixRef c, Epilogue epilogue) {
        ready();
        String op = "gemmPacked";
        if (b == null) throw new EngineException(op + ": packed B is null");
        b.check(op, this, packedMatrixFormat());
        Epilogue epi = checkPackedProduct(op, m, a, b, packedMatrixLength(b.rows(), b.cols()), DType.F32, c, epilogue);
        if (m == 0 || b.cols() == 0) return;
        gemmPackedUnchecked(m, a, b, c, epi);
    }

    /** The checks both packed products share: m, the packed buffer, A, C and the epilogue; returns the epilogue. */
    private Epilogue checkPackedProduct(String op, long m, MatrixRef a, PackedMatrix b, long packedLength, DType packedDtype, MatrixRef c,
                                        Epilogue epilogue) {
        long k = b.rows(), n = b.cols();
        if (m < 0 || m > INT_LIMIT) throw new ShapeException(op + ": m = " + m + " out of range");
        buffer(op, "packed B", this, b.buffer(), packedLength, packedDtype);
        if (c == null) throw new EngineException(op + ": C is null");
        matrix(op, "A", a, m, k, 1, DType.F32);
        matrix(op, "C", c, m, n, 1, DType.F32);
        Epilogue epi = epilogue == null ? Epilogue.NONE : epilogue;
        if (epi.bias() != null) buffer(op, "bias", this, epi.bias(), n, DType.F32);
        if (epi.residual() != null) matrix(op, "residual", epi.residual(), m, n, 1, DType.F32);
        return epi;
    }

    /** m, n > 0, b in this backend's format; the default runs {@link #gemmUnchecked} on the row-major copy. */
    protected void gemmPackedUnchecked(long m, MatrixRef a, PackedMatrix b, MatrixRef c, Epilogue epilogue) {
        gemmUnchecked(false, false, m, b.cols(), b.rows(), 1, a, MatrixRef.of(b.buffer(), Math.max(1, b.cols())), 0, c, 1, epilogue);
    }

    /** The longest inner dimension of an int8 GEMM: 255 * 127 * k must stay inside an int32 sum. */
    public static final long INT8_MAX_K = 1L << 16;

    @Override public final PackedMatrix packMatrixInt8(Buffer weights, Buffer scales, long rows, long cols) {
        ready();
        String op = "packMatrixInt8";
        packSize(op, rows, cols);
        if (rows > INT8_MAX_K) throw new ShapeException(op + ": " + rows + " rows (the inner dimension k) exceed the int8 limit " + INT8_MAX_K);
        buffer(op, "weights", this, weights, product(op, rows, cols), DType.I32);
        buffer(op, "scales", this, scales, cols, DType.F32);
        return packMatrixInt8Unchecked(weights, scales, rows, cols);
    }

    /**
     * Packs int8 weights in {@link #packedInt8Format()}; throws {@link #badInt8(long, long, long)}'s exception for a
     * value out of range. The default: this backend has no int8 kernel.
     */
    protected PackedMatrix packMatrixInt8Unchecked(Buffer weights, Buffer scales, long rows, long cols) {
        throw new EngineException("packMatrixInt8: the " + name() + " backend has no int8 GEMM kernel (run quantised models on the cpu backend)");
    }

    /** The format {@link #packMatrixInt8Unchecked} writes; {@link #gemmInt8Packed} refuses any other. */
    protected String packedInt8Format() { return "none"; }

    /** I32 elements a packed int8 rows x cols matrix occupies in {@link #packedInt8Format()}. */
    protected long packedInt8Length(long rows, long cols) { return 0; }

    /**
     * The exception for the first bad position a packer found: a weight (position row * cols + col) outside
     * [-127, 127], or a scale (position rows * cols + col) that is not positive and finite.
     */
    protected static EngineException badInt8(long position, long rows, long cols) {
        if (position < rows * cols)
            return new EngineException("packMatrixInt8: weight at row " + position / Math.max(1, cols) + ", column " + position % Math.max(1, cols)
                    + " is outside the symmetric int8 range [-127, 127]");
        return new EngineException("packMatrixInt8: scale of column " + (position - rows * cols) + " is not a positive finite number");
    }

    @Override public final void gemmInt8Packed(long m, MatrixRef a, InputQuantization aq, PackedMatrix b, MatrixRef c, Epilogue epilogue) {
        ready();
        String op = "gemmInt8Packed";
        if (b == null) throw new EngineException(op + ": packed B is null");
        if (aq == null) throw new EngineException(op + ": input quantization is null");
        b.check(op, this, packedInt8Format());
        Epilogue epi = checkPackedProduct(op, m, a, b, packedInt8Length(b.rows(), b.cols()), DType.I32, c, epilogue);
        if (m == 0 || b.cols() == 0) return;
        gemmInt8PackedUnchecked(m, a, aq, b, c, epi);
    }

    /** m, n > 0, b in {@link #packedInt8Format()}; only reached on a backend whose packer made b. */
    protected void gemmInt8PackedUnchecked(long m, MatrixRef a, InputQuantization aq, PackedMatrix b, MatrixRef c, Epilogue epilogue) {
        throw new EngineException("gemmInt8Packed: the " + name() + " backend has no int8 GEMM kernel");
    }

    @Override public final PackedMatrix packMatrixBf16(Buffer b, long rows, long cols) {
        ready();
        String op = "packMatrixBf16";
        packSize(op, rows, cols);
        buffer(op, "B", this, b, product(op, rows, cols), DType.F32);
        return packMatrixBf16Unchecked(b, rows, cols);
    }

    /** Rounds and packs a contiguous F32 rows x cols matrix in {@link #packedBf16Format()}. The default: no BF16 kernel. */
    protected PackedMatrix packMatrixBf16Unchecked(Buffer b, long rows, long cols) {
        throw new EngineException("packMatrixBf16: the " + name() + " backend has no BF16 GEMM kernel (run BF16 models on the cpu backend)");
    }

    /** The format {@link #packMatrixBf16Unchecked} writes; {@link #gemmBf16Packed} refuses any other. */
    protected String packedBf16Format() { return "none"; }

    /** I32 elements (pairs of bf16 values) a packed BF16 rows x cols matrix occupies in {@link #packedBf16Format()}. */
    protected long packedBf16Length(long rows, long cols) { return 0; }

    @Override public final void gemmBf16Packed(long m, MatrixRef a, PackedMatrix b, MatrixRef c, Epilogue epilogue) {
        ready();
        String op = "gemmBf16Packed";
        if (b == null) throw new EngineException(op + ": packed B is null");
        b.check(op, this, packedBf16Format());
        Epilogue epi = checkPackedProduct(op, m, a, b, packedBf16Length(b.rows(), b.cols()), DType.I32, c, epilogue);
        if (m == 0 || b.cols() == 0) return;
        gemmBf16PackedUnchecked(m, a, b, c, epi);
    }

    /** m, n > 0, b in {@link #packedBf16Format()}; only reached on a backend whose packer made b. */
    protected void gemmBf16PackedUnchecked(long m, MatrixRef a, PackedMatrix b, MatrixRef c, Epilogue epilogue) {
        throw new EngineException("gemmBf16Packed: the " + name() + " backend has no BF16 GEMM kernel");
    }

    // ---- reductions and normalisation -------------------------------------------------------------

    @Override public final void reduce(ReduceOp op, BufferView x, int[] axes, Buffer out) {
        ready();
        String name = "reduce." + op;
        view(name, "x", x);
        floating(name, "x", x.dtype());
        KernelChecks.ReductionSplit split = KernelChecks.reductionAxes(name, x.layout(), op, axes);
        long outN = product(name, split.keptShape());
        buffer(name, "out", this, out, outN, op.producesIndices() ? DType.I64 : x.dtype());
        if (outN == 0) return;
        if (op.producesIndices() && product(name, split.reducedShape()) == 0) throw new ShapeException(name + ": cannot reduce an empty axis");
        reduceUnchecked(op, x, split, out);
    }

    /** At least one output; the layout already split into kept and reduced axes. */
    protected abstract void reduceUnchecked(ReduceOp op, BufferView x, KernelChecks.ReductionSplit split, Buffer out);

    /** A required buffer's dtype; a null buffer is an {@link EngineException} naming the op. */
    private static DType dtypeOf(String op, String what, Buffer b) {
        if (b == null) throw new EngineException(op + ": " + what + " is null");
        return b.dtype();
    }

    private void optional(String op, String what, Buffer b, long n, DType dt) { if (b != null) buffer(op, what, this, b, n, dt); }

    @Override public final void softmax(Buffer x, Buffer out, long rows, long cols, boolean log) {
        ready();
        String op = "softmax";
        long n = product(op, rows, cols);
        DType dt = dtypeOf(op, "x", x);
        floating(op, "x", dt);
        buffer(op, "x", this, x, n);
        buffer(op, "out", this, out, n, dt);
        if (n == 0) return;
        softmaxUnchecked(x, out, rows, cols, log);
    }

    protected abstract void softmaxUnchecked(Buffer x, Buffer out, long rows, long cols, boolean log);

    @Override public final void attention(BufferView q, BufferView k, BufferView v, Buffer keyPadding, boolean causal, double scale,
                                          BufferView out) {
        ready();
        String op = "attention";
        view(op, "q", q);
        view(op, "k", k);
        view(op, "v", v);
        view(op, "out", out);
        writable(op, "out", out);
        DType dt = q.dtype();
        floating(op, "q", dt);
        KernelChecks.sameDType(op, "q", dt, "k", k.dtype());
        KernelChecks.sameDType(op, "q", dt, "v", v.dtype());
        KernelChecks.sameDType(op, "q", dt, "out", out.dtype());
        long[] qs = q.layout().shape(), ks = k.layout().shape(), vs = v.layout().shape(), os = out.layout().shape();
        if (qs.length != 4 || ks.length != 4 || vs.length != 4 || os.length != 4)
            throw new ShapeException(op + ": q, k, v and out must be 4-D [batch, heads, seq, dim], got q " + Shapes.str(qs) + ", k " + Shapes.str(ks)
                    + ", v " + Shapes.str(vs) + ", out " + Shapes.str(os));
        if (ks[0] != qs[0] || ks[1] != qs[1] || ks[3] != qs[3] || vs[0] != qs[0] || vs[1] != qs[1] || vs[2] != ks[2])
            throw new ShapeException(op + ": q " + Shapes.str(qs) + ", k " + Shapes.str(ks) + " and v " + Shapes.str(vs)
                    + " must be [B, H, Lq, D], [B, H, Lk, D] and [B, H, Lk, Dv]");
        if (!Arrays.equals(os, new long[]{qs[0], qs[1], qs[2], vs[3]}))
            throw new ShapeException(op + ": out has shape " + Shapes.str(os) + ", expected " + Shapes.str(new long[]{qs[0], qs[1], qs[2], vs[3]}));
        for (long d : new long[]{qs[0], qs[1], qs[2], qs[3], ks[2], vs[3]})
            if (d > INT_LIMIT) throw new ShapeException(op + ": size " + d + " exceeds the kernels' 32-bit limit");
        String[] names = {"q", "k", "v", "out"};
        BufferView[] views = {q, k, v, out};
        for (int i = 0; i < 4; i++)
            if (views[i].layout().shape(3) > 1 && views[i].layout().stride(3) != 1)
                throw new ShapeException(op + ": " + names[i] + " " + views[i].layout() + " must have unit stride along its last axis");
        for (int i = 0; i < 3; i++)
            if (overlaps(views[i], out)) throw new ShapeException(op + ": out overlaps " + names[i] + "; the output must not alias an input");
        if (!Double.isFinite(scale)) throw new EngineException(op + ": scale " + scale + " must be finite");
        if (keyPadding != null) buffer(op, "keyPadding", this, keyPadding, product(op, qs[0], ks[2]), dt);
        if (out.layout().numel() == 0) return;
        attentionUnchecked(q, k, v, keyPadding, causal, scale, out);
    }

    /** Whether two views' element ranges share memory (same native bytes, whatever buffers or slices they go through). */
    private static boolean overlaps(BufferView a, BufferView b) {
        long[] sa = a.layout().span(), sb = b.layout().span();
        if (sa[1] < sa[0] || sb[1] < sb[0]) return false;
        long ea = a.dtype().byteSize(), eb = b.dtype().byteSize();
        long a0 = a.buffer().address() + sa[0] * ea, a1 = a.buffer().address() + (sa[1] + 1) * ea;
        long b0 = b.buffer().address() + sb[0] * eb, b1 = b.buffer().address() + (sb[1] + 1) * eb;
        return a0 < b1 && b0 < a1;
    }

    /**
     * Shapes, dtypes, strides and the key-padding buffer checked; out has at least one element and does not
     * overlap q, k or v. A backend without a fused kernel may call {@link #attentionByComposition}.
     */
    protected abstract void attentionUnchecked(BufferView q, BufferView k, BufferView v, Buffer keyPadding, boolean causal, double scale,
                                               BufferView out);

    /**
     * Attention from this backend's own GEMM, elementwise, softmax and copy kernels, one batch at a time through
     * contiguous scratch (for a backend without a fused kernel; slower, same results up to rounding). Masked
     * scores get a large negative number instead of -inf, so a query that sees no key ends up with uniform
     * weights, which a 0/1 row factor then turns into the documented zeros.
     */
    protected final void attentionByComposition(BufferView q, BufferView k, BufferView v, Buffer keyPadding, boolean causal, double scale,
                                                BufferView out) {
        ComposedAttention.run(this, q, k, v, keyPadding, causal, scale, out);
    }

    @Override public final void softmaxBackward(Buffer y, Buffer gy, Buffer gx, long rows, long cols, boolean log) {
        ready();
        String op = "softmaxBackward";
        long n = product(op, rows, cols);
        DType dt = dtypeOf(op, "y", y);
        floating(op, "y", dt);
        buffer(op, "y", this, y, n);
        buffer(op, "gy", this, gy, n, dt);
        buffer(op, "gx", this, gx, n, dt);
        if (n == 0) return;
        softmaxBackwardUnchecked(y, gy, gx, rows, cols, log);
    }

    protected abstract void softmaxBackwardUnchecked(Buffer y, Buffer gy, Buffer gx, long rows, long cols, boolean log);

    @Override public final void crossEntropy(Buffer logits, Buffer targets, Buffer classWeights, long rows, long cols, double labelSmoothing,
                                             long ignoreIndex, Buffer lossPerRow, Buffer rowWeight, Buffer gradLogits) {
        ready();
        String op = "crossEntropy";
        long n = product(op, rows, cols);
        DType dt = dtypeOf(op, "logits", logits);
        floating(op, "logits", dt);
        buffer(op, "logits", this, logits, n);
        buffer(op, "targets", this, targets, rows, DType.I64);
        optional(op, "class weights", classWeights, cols, dt);
        buffer(op, "lossPerRow", this, lossPerRow, rows, dt);
        buffer(op, "rowWeight", this, rowWeight, rows, dt);
        optional(op, "gradLogits", gradLogits, n, dt);
        if (!(labelSmoothing >= 0 && labelSmoothing <= 1)) throw new EngineException(op + ": label smoothing " + labelSmoothing + " outside [0, 1]");
        if (rows == 0) return;
        if (cols == 0) throw new ShapeException(op + ": logits have 0 classes");
        long bad = crossEntropyUnchecked(logits, targets, classWeights, rows, cols, labelSmoothing, ignoreIndex, lossPerRow, rowWeight, gradLogits);
        if (bad >= 0) {
            long[] t = new long[1];
            copyOut(targets, bad, t, 0, 1);
            throw new IndexOutOfRangeException(op + ": target " + t[0] + " at row " + bad + " is outside [0, " + cols + ")");
        }
    }

    /** rows, cols > 0; returns the first row whose target is neither ignored nor in [0, cols), or -1. */
    protected abstract long crossEntropyUnchecked(Buffer logits, Buffer targets, Buffer classWeights, long rows, long cols, double labelSmoothing,
                                                  long ignoreIndex, Buffer lossPerRow, Buffer rowWeight, Buffer gradLogits);

    @Override public final void layerNormForward(Buffer x, Buffer gamma, Buffer beta, long rows, long cols, double eps, Buffer y, Buffer mean,
                                                 Buffer rstd) {
        ready();
        String op = "layerNorm";
        long n = product(op, rows, cols);
        DType dt = dtypeOf(op, "x", x);
        floating(op, "x", dt);
        buffer(op, "x", this, x, n);
        optional(op, "gamma", gamma, cols, dt);
        optional(op, "beta", beta, cols, dt);
        buffer(op, "y", this, y, n, dt);
        buffer(op, "mean", this, mean, rows, dt);
        buffer(op, "rstd", this, rstd, rows, dt);
        if (n == 0) return;
        layerNormForwardUnchecked(x, gamma, beta, rows, cols, eps, y, mean, rstd);
    }

    protected abstract void layerNormForwardUnchecked(Buffer x, Buffer gamma, Buffer beta, long rows, long cols, double eps, Buffer y,
                                                      Buffer mean, Buffer rstd);

    /** A normalisation gradient: x, gy, gx of {@code total}; two saved statistics of {@code stats}; gamma and its gradients of {@code features}. */
    private void normBackward(String op, Buffer x, Buffer gy, Buffer gamma, String meanName, Buffer mean, String rstdName, Buffer rstd,
                              long total, long stats, long features, Buffer gx, Buffer gGamma, Buffer gBeta) {
        DType dt = dtypeOf(op, "x", x);
        floating(op, "x", dt);
        buffer(op, "x", this, x, total);
        buffer(op, "gy", this, gy, total, dt);
        optional(op, "gamma", gamma, features, dt);
        buffer(op, meanName, this, mean, stats, dt);
        buffer(op, rstdName, this, rstd, stats, dt);
        buffer(op, "gx", this, gx, total, dt);
        optional(op, "gGamma", gGamma, features, dt);
        optional(op, "gBeta", gBeta, features, dt);
    }

    @Override public final void layerNormBackward(Buffer x, Buffer gy, Buffer gamma, Buffer mean, Buffer rstd, long rows, long cols,
                                                  Buffer gx, Buffer gGamma, Buffer gBeta) {
        ready();
        String op = "layerNormBackward";
        long n = product(op, rows, cols);
        normBackward(op, x, gy, gamma, "mean", mean, "rstd", rstd, n, rows, cols, gx, gGamma, gBeta);
        if (n == 0) return;
        layerNormBackwardUnchecked(x, gy, gamma, mean, rstd, rows, cols, gx, gGamma, gBeta);
    }

    protected abstract void layerNormBackwardUnchecked(Buffer x, Buffer gy, Buffer gamma, Buffer mean, Buffer rstd, long rows, long cols,
                                                       Buffer gx, Buffer gGamma, Buffer gBeta);

    @Override public final void batchNormForward(Buffer x, Buffer gamma, Buffer beta, Buffer runningMean, Buffer runningVar, long n, long c,
                                                 long hw, boolean training, double momentum, double eps, Buffer y, Buffer saveMean,
                                                 Buffer saveRstd) {
        ready();
        String op = "batchNorm";
        long total = product(op, n, c, hw);
        DType dt = dtypeOf(op, "x", x);
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
        batchNormForwardUnchecked(x, gamma, beta, runningMean, runningVar, n, c, hw, training, momentum, eps, y, saveMean, saveRstd);
    }

    /** c > 0 (n * hw may be 0 in eval mode). */
    protected abstract void batchNormForwardUnchecked(Buffer x, Buffer gamma, Buffer beta, Buffer runningMean, Buffer runningVar, long n,
                                                      long c, long hw, boolean training, double momentum, double eps, Buffer y,
                                                      Buffer saveMean, Buffer saveRstd);

    @Override public final void batchNormBackward(Buffer x, Buffer gy, Buffer gamma, Buffer saveMean, Buffer saveRstd, long n, long c, long hw,
                                                  Buffer gx, Buffer gGamma, Buffer gBeta) {
        ready();
        String op = "batchNormBackward";
        long total = product(op, n, c, hw);
        normBackward(op, x, gy, gamma, "saveMean", saveMean, "saveRstd", saveRstd, total, c, c, gx, gGamma, gBeta);
        if (c == 0) return;
        batchNormBackwardUnchecked(x, gy, gamma, saveMean, saveRstd, n, c, hw, gx, gGamma, gBeta);
    }

    /** c > 0. */
    protected abstract void batchNormBackwardUnchecked(Buffer x, Buffer gy, Buffer gamma, Buffer saveMean, Buffer saveRstd, long n, long c,
                                                       long hw, Buffer gx, Buffer gGamma, Buffer gBeta);

    // ---- convolution and pooling ------------------------------------------------------------------

    /** The im2col GEMM sizes (filter volume, output plane, filters) must fit the kernels' 32-bit ints. */
    private static void convSizes(String op, Conv2dShape g) {
        if (g == null) throw new EngineException(op + ": geometry is null");
        long crs = product(op, g.c() / g.groups(), g.r(), g.s()), ohw = product(op, g.outH(), g.outW());
        if (crs > INT_LIMIT || ohw > INT_LIMIT || g.k() > INT_LIMIT)
            throw new ShapeException(op + ": filter volume " + crs + " or output plane " + ohw + " exceeds the kernels' 32-bit sizes for " + g);
    }

    private static long weightNumel(String op, Conv2dShape g) { return product(op, g.weightShape()); }

    /** The checks of a convolution forward; returns the dtype. */
    private DType convForward(String op, Conv2dShape g, Buffer x, Buffer w, Buffer bias, Buffer y) {
        return convForward(op, g, x, w, bias, y, product(op, g.outputShape()));
    }

    /** As above with {@code y} holding {@code yNumel} values (a fused pool's output). */
    private DType convForward(String op, Conv2dShape g, Buffer x, Buffer w, Buffer bias, Buffer y, long yNumel) {
        convSizes(op, g);
        DType dt = dtypeOf(op, "x", x);
        floating(op, "x", dt);
        buffer(op, "x", this, x, product(op, g.inputShape()));
        buffer(op, "weight", this, w, weightNumel(op, g), dt);
        optional(op, "bias", bias, g.k(), dt);
        buffer(op, "y", this, y, yNumel, dt);
        return dt;
    }

    @Override public final void conv2dForward(Conv2dShape g, Buffer x, Buffer weight, Buffer bias, Activation activation, Buffer y) {
        ready();
        convForward("conv2d", g, x, weight, bias, y);
        if (g.n() == 0) return;
        conv2dForwardUnchecked(g, x, weight, bias, activation == null ? Activation.NONE : activation, y);
    }

    /** n > 0; activation not null. */
    protected abstract void conv2dForwardUnchecked(Conv2dShape g, Buffer x, Buffer weight, Buffer bias, Activation activation, Buffer y);

    @Override public final PackedMatrix packConvWeight(Buffer weight, long k, long cols, int groups) {
        ready();
        String op = "packConvWeight";
        if (groups < 1 || k < 1 || cols < 1 || k % groups != 0)
            throw new ShapeException(op + ": " + k + " filters of " + cols + " values do not split into " + groups + " groups");
        buffer(op, "weight", this, weight, product(op, k, cols), DType.F32);
        return packConvWeightUnchecked(weight, k, cols, groups);
    }

    /** Stores a KCRS F32 weight in {@link #packedConvWeightFormat}; the default keeps a row-major copy. */
    protected PackedMatrix packConvWeightUnchecked(Buffer weight, long k, long cols, int groups) {
        return rowMajorCopy(weight, k, cols);
    }

    /** The format {@link #packConvWeightUnchecked} writes for this geometry; {@link #conv2dForwardPacked} refuses any other. */
    protected String packedConvWeightFormat(long k, long cols, int groups) { return PackedMatrix.ROW_MAJOR; }

    /** The checks of a packed convolution's geometry, weight and input, before its output's. */
    private void packedConv(String op, Conv2dShape g, Buffer x, PackedMatrix weight) {
        if (weight == null) throw new EngineException(op + ": packed weight is null");
        convSizes(op, g);
        KernelChecks.packedConvWeight(op, g, weight);
        weight.check(op, this, packedConvWeightFormat(weight.rows(), weight.cols(), g.groups()));
        if (dtypeOf(op, "x", x) != DType.F32) throw new DTypeException(op + ": a packed weight is F32; x is " + x.dtype());
    }

    @Override public final void conv2dForwardPacked(Conv2dShape g, Buffer x, PackedMatrix weight, Buffer bias, Activation activation, Buffer y) {
        ready();
        String op = "conv2dForwardPacked";
        packedConv(op, g, x, weight);
        convForward(op, g, x, weight.buffer(), bias, y);
        if (g.n() == 0) return;
        conv2dForwardPackedUnchecked(g, x, weight, bias, activation == null ? Activation.NONE : activation, y);
    }

    /** n > 0; the default runs {@link #conv2dForwardUnchecked} on the row-major copy. */
    protected void conv2dForwardPackedUnchecked(Conv2dShape g, Buffer x, PackedMatrix weight, Buffer bias, Activation activation, Buffer y) {
        conv2dForwardUnchecked(g, x, weight.buffer(), bias, activation, y);
    }

    @Override public final void conv2dMaxPoolForwardPacked(Conv2dShape g, Buffer x, PackedMatrix weight, Buffer bias, Activation activation,
                                                           Pool2dShape pool, Buffer y) {
        ready();
        String op = "conv2dMaxPoolForwardPacked";
        packedConv(op, g, x, weight);
        if (pool == null) throw new EngineException(op + ": pool geometry is null");
        if (pool.n() != g.n() || pool.c() != g.k() || pool.h() != g.outH() || pool.w() != g.outW())
            throw new ShapeException(op + ": " + pool + " does not pool the convolution's output " + Shapes.str(g.outputShape()));
        Activation act = activation == null ? Activation.NONE : activation;
        if (!fusesConvMaxPool(g, act, pool))
            throw new EngineException(op + ": the " + name() + " backend has no fused kernel for " + g + " with " + act + " and " + pool
                    + " (run conv2dForwardPacked, then maxPool2dForward)");
        convForward(op, g, x, weight.buffer(), bias, y, product(op, pool.outputShape()));
        if (g.n() == 0) return;
        conv2dMaxPoolForwardPackedUnchecked(g, x, weight, bias, act, pool, y);
    }

    /** n > 0, a chain {@link #fusesConvMaxPool} accepts; the default has no fused kernel. */
    protected void conv2dMaxPoolForwardPackedUnchecked(Conv2dShape g, Buffer x, PackedMatrix weight, Buffer bias, Activation activation,
                                                       Pool2dShape pool, Buffer y) {
        throw new EngineException("conv2dMaxPoolForwardPacked: the " + name() + " backend has no fused convolution and max pool kernel");
    }

    @Override public final void conv2dForwardInt8Packed(Conv2dShape g, Buffer x, InputQuantization aq, PackedMatrix weight, Buffer bias,
                                                        Activation activation, Buffer y) {
        ready();
        String op = "conv2dForwardInt8Packed";
        if (weight == null) throw new EngineException(op + ": packed weight is null");
        if (aq == null) throw new EngineException(op + ": input quantization is null");
        convSizes(op, g);
        if (g.groups() != 1) throw new ShapeException(op + ": int8 convolutions take groups = 1, got " + g);
        long crs = product(op, g.c(), g.r(), g.s());
        if (weight.rows() != crs || weight.cols() != g.k())
            throw new ShapeException(op + ": packed weight is " + weight.rows() + " x " + weight.cols() + " but " + g + " needs " + crs + " x " + g.k());
        weight.check(op, this, packedInt8Format());
        buffer(op, "packed weight", this, weight.buffer(), packedInt8Length(crs, g.k()), DType.I32);
        buffer(op, "x", this, x, product(op, g.inputShape()), DType.F32);
        optional(op, "bias", bias, g.k(), DType.F32);
        buffer(op, "y", this, y, product(op, g.outputShape()), DType.F32);
        if (g.n() == 0) return;
        conv2dForwardInt8PackedUnchecked(g, x, aq, weight, bias, activation == null ? Activation.NONE : activation, y);
    }

    /** n > 0, groups 1, weight in {@link #packedInt8Format()}; only reached on a backend whose packer made it. */
    protected void conv2dForwardInt8PackedUnchecked(Conv2dShape g, Buffer x, InputQuantization aq, PackedMatrix weight, Buffer bias,
                                                    Activation activation, Buffer y) {
        throw new EngineException("conv2dForwardInt8Packed: the " + name() + " backend has no int8 convolution kernel");
    }

    @Override public final void conv2dBackwardInput(Conv2dShape g, Buffer gy, Buffer weight, Buffer gx) {
        ready();
        String op = "conv2dBackwardInput";
        convSizes(op, g);
        DType dt = dtypeOf(op, "gy", gy);
        floating(op, "gy", dt);
        buffer(op, "gy", this, gy, product(op, g.outputShape()));
        buffer(op, "weight", this, weight, weightNumel(op, g), dt);
        buffer(op, "gx", this, gx, product(op, g.inputShape()), dt);
        if (g.n() == 0) return;
        conv2dBackwardInputUnchecked(g, gy, weight, gx);
    }

    /** n > 0. */
    protected abstract void conv2dBackwardInputUnchecked(Conv2dShape g, Buffer gy, Buffer weight, Buffer gx);

    @Override public final void conv2dBackwardWeight(Conv2dShape g, Buffer x, Buffer gy, Buffer gWeight, Buffer gBias) {
        ready();
        String op = "conv2dBackwardWeight";
        convSizes(op, g);
        DType dt = dtypeOf(op, "x", x);
        floating(op, "x", dt);
        buffer(op, "x", this, x, product(op, g.inputShape()));
        buffer(op, "gy", this, gy, product(op, g.outputShape()), dt);
        buffer(op, "gWeight", this, gWeight, weightNumel(op, g), dt);
        optional(op, "gBias", gBias, g.k(), dt);
        conv2dBackwardWeightUnchecked(g, x, gy, gWeight, gBias);
    }

    /** Any n (n = 0 writes zero gradients). */
    protected abstract void conv2dBackwardWeightUnchecked(Conv2dShape g, Buffer x, Buffer gy, Buffer gWeight, Buffer gBias);

    private static long planes(String op, Pool2dShape g) {
        if (g == null) throw new EngineException(op + ": geometry is null");
        return product(op, g.n(), g.c(), g.h(), g.w());
    }

    /** The first position in {@code indices[0, count)} outside [0, limit), or -1. */
    protected abstract long firstBadIndex(Buffer indices, long count, long limit);

    @Override public final void maxPool2dForward(Pool2dShape g, Buffer x, Buffer y, Buffer indices) {
        ready();
        String op = "maxPool2d";
        long in = planes(op, g);
        DType dt = dtypeOf(op, "x", x);
        floating(op, "x", dt);
        buffer(op, "x", this, x, in);
        long on = product(op, g.outputShape());
        buffer(op, "y", this, y, on, dt);
        optional(op, "indices", indices, on, DType.I64);
        if (on == 0) return;
        maxPool2dForwardUnchecked(g, x, y, indices);
    }

    /** At least one output; indices may be null. */
    protected abstract void maxPool2dForwardUnchecked(Pool2dShape g, Buffer x, Buffer y, Buffer indices);

    @Override public final void maxPool2dBackward(Pool2dShape g, Buffer gy, Buffer indices, Buffer gx) {
        ready();
        String op = "maxPool2dBackward";
        long in = planes(op, g);
        DType dt = dtypeOf(op, "gy", gy);
        floating(op, "gy", dt);
        long on = product(op, g.outputShape());
        buffer(op, "gy", this, gy, on);
        buffer(op, "indices", this, indices, on, DType.I64);
        buffer(op, "gx", this, gx, in, dt);
        if (on == 0) return;
        long bad = firstBadIndex(indices, on, g.h() * g.w());
        if (bad >= 0) throw new IndexOutOfRangeException(op + ": index at position " + bad + " is outside the " + g.h() + "x" + g.w() + " plane");
        maxPool2dBackwardUnchecked(g, gy, indices, gx);
    }

    /** At least one output; every index inside its plane. */
    protected abstract void maxPool2dBackwardUnchecked(Pool2dShape g, Buffer gy, Buffer indices, Buffer gx);

    @Override public final void avgPool2dForward(Pool2dShape g, Buffer x, Buffer y) {
        ready();
        String op = "avgPool2d";
        long in = planes(op, g);
        DType dt = dtypeOf(op, "x", x);
        floating(op, "x", dt);
        buffer(op, "x", this, x, in);
        long on = product(op, g.outputShape());
        buffer(op, "y", this, y, on, dt);
        if (on == 0) return;
        avgPool2dForwardUnchecked(g, x, y);
    }

    protected abstract void avgPool2dForwardUnchecked(Pool2dShape g, Buffer x, Buffer y);

    @Override public final void avgPool2dBackward(Pool2dShape g, Buffer gy, Buffer gx) {
        ready();
        String op = "avgPool2dBackward";
        long in = planes(op, g);
        DType dt = dtypeOf(op, "gy", gy);
        floating(op, "gy", dt);
        long on = product(op, g.outputShape());
        buffer(op, "gy", this, gy, on);
        buffer(op, "gx", this, gx, in, dt);
        if (on == 0) return;
        avgPool2dBackwardUnchecked(g, gy, gx);
    }

    protected abstract void avgPool2dBackwardUnchecked(Pool2dShape g, Buffer gy, Buffer gx);

    private void adaptive(String op, Buffer src, Buffer dst, long nc, long h, long w, long oh, long ow, boolean backward) {
        ready();
        DType dt = dtypeOf(op, backward ? "gy" : "x", src);
        floating(op, "input", dt);
        if (h < 1 || w < 1 || oh < 1 || ow < 1) throw new ShapeException(op + ": sizes " + h + "x" + w + " -> " + oh + "x" + ow + " must be positive");
        long in = product(op, nc, h, w), out = product(op, nc, oh, ow);
        buffer(op, backward ? "gy" : "x", this, src, backward ? out : in);
        buffer(op, backward ? "gx" : "y", this, dst, backward ? in : out, dt);
    }

    @Override public final void adaptiveAvgPool2dForward(Buffer x, Buffer y, long nc, long h, long w, long oh, long ow) {
        adaptive("adaptiveAvgPool2d", x, y, nc, h, w, oh, ow, false);
        if (nc > 0) adaptiveAvgPool2dUnchecked(x, y, nc, h, w, oh, ow, false);
    }

    @Override public final void adaptiveAvgPool2dBackward(Buffer gy, Buffer gx, long nc, long h, long w, long oh, long ow) {
        adaptive("adaptiveAvgPool2dBackward", gy, gx, nc, h, w, oh, ow, true);
        if (nc > 0) adaptiveAvgPool2dUnchecked(gy, gx, nc, h, w, oh, ow, true);
    }

    /** nc > 0 and all sizes positive; forward maps src (x) to dst (y), backward src (gy) to dst (gx). */
    protected abstract void adaptiveAvgPool2dUnchecked(Buffer src, Buffer dst, long nc, long h, long w, long oh, long ow, boolean backward);

    // ---- indexing ---------------------------------------------------------------------------------

    private void indices(String op, Buffer idx, long count, long limit) {
        buffer(op, "indices", this, idx, count, DType.I64);
        long bad = count == 0 ? -1 : firstBadIndex(idx, count, limit);
        if (bad >= 0) {
            long[] v = new long[1];
            copyOut(idx, bad, v, 0, 1);
            throw new IndexOutOfRangeException(op + ": index " + v[0] + " at position " + bad + " is outside [0, " + limit + ")");
        }
    }

    @Override public final void gatherRows(Buffer src, long srcRows, long rowLength, Buffer indices, long count, Buffer dst) {
        ready();
        String op = "gatherRows";
        DType dt = dtypeOf(op, "src", src);
        supported(op, dt);
        buffer(op, "src", this, src, product(op, srcRows, rowLength));
        buffer(op, "dst", this, dst, product(op, count, rowLength), dt);
        indices(op, indices, count, srcRows);
        if (count == 0 || rowLength == 0) return;
        gatherRowsUnchecked(src, srcRows, rowLength, indices, count, dst);
    }

    /** count, rowLength > 0; every index in [0, srcRows). */
    protected abstract void gatherRowsUnchecked(Buffer src, long srcRows, long rowLength, Buffer indices, long count, Buffer dst);

    @Override public final void scatterAddRows(Buffer src, Buffer indices, long count, long rowLength, Buffer dst, long dstRows) {
        ready();
        String op = "scatterAddRows";
        DType dt = dtypeOf(op, "src", src);
        floating(op, "src", dt);
        buffer(op, "src", this, src, product(op, count, rowLength));
        buffer(op, "dst", this, dst, product(op, dstRows, rowLength), dt);
        indices(op, indices, count, dstRows);
        if (count == 0 || rowLength == 0) return;
        scatterAddRowsUnchecked(src, indices, count, rowLength, dst, dstRows);
    }

    /** count, rowLength > 0; every index in [0, dstRows). */
    protected abstract void scatterAddRowsUnchecked(Buffer src, Buffer indices, long count, long rowLength, Buffer dst, long dstRows);

    // ---- randomness -------------------------------------------------------------------------------

    @Override public final void dropoutMask(long seed, long offset, double p, Buffer mask, long count) {
        ready();
        String op = "dropoutMask";
        floating(op, "mask", dtypeOf(op, "mask", mask));
        buffer(op, "mask", this, mask, count);
        if (!(p >= 0 && p <= 1)) throw new EngineException(op + ": probability " + p + " outside [0, 1]");
        if (offset < 0) throw new EngineException(op + ": negative offset " + offset);
        if (count == 0) return;
        dropoutMaskUnchecked(seed, offset, p, mask, count);
    }

    protected abstract void dropoutMaskUnchecked(long seed, long offset, double p, Buffer mask, long count);

    // ---- fused optimizer updates ------------------------------------------------------------------

    /** Checks every tensor of a multi-tensor step; returns false when there are none. */
    private boolean optimizer(String op, Buffer[] params, Buffer[] grads, Buffer[] s1, Buffer[] s2, boolean s1Required,
                              boolean s2Required) {
        ready();
        if (params == null || grads == null) throw new EngineException(op + ": params or grads are null");
        if (params.length != grads.length || (s1 != null && s1.length != params.length) || (s2 != null && s2.length != params.length))
            throw new EngineException(op + ": " + params.length + " params but " + grads.length + " grads"
                    + (s1 == null ? "" : ", " + s1.length + " state buffers") + (s2 == null ? "" : ", " + s2.length + " second state buffers"));
        if ((s1Required && s1 == null) || (s2Required && s2 == null)) throw new EngineException(op + ": optimizer state buffers are missing");
        if (params.length == 0) return false;
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
            optional(op, "state of param " + i, a, n, dt);
            optional(op, "second state of param " + i, b, n, dt);
        }
        return true;
    }

    private static <T> T hyperparams(String op, T hp) {
        if (hp == null) throw new EngineException(op + ": hyperparameters are null");
        return hp;
    }

    @Override public final void sgdStep(Buffer[] params, Buffer[] grads, Buffer[] momentum, OptimizerHyperparams.Sgd hp) {
        boolean any = optimizer("sgdStep", params, grads, momentum, null, hyperparams("sgdStep", hp).momentum() != 0, false);
        if (any) sgdStepUnchecked(params, grads, momentum, hp);
    }

    @Override public final void adamStep(Buffer[] params, Buffer[] grads, Buffer[] m, Buffer[] v, OptimizerHyperparams.Adam hp) {
        hyperparams("adamStep", hp);
        if (optimizer("adamStep", params, grads, m, v, true, true)) adamStepUnchecked(params, grads, m, v, hp);
    }

    @Override public final void rmspropStep(Buffer[] params, Buffer[] grads, Buffer[] squareAvg, Buffer[] momentum,
                                            OptimizerHyperparams.RmsProp hp) {
        boolean any = optimizer("rmspropStep", params, grads, squareAvg, momentum, true, hyperparams("rmspropStep", hp).momentum() != 0);
        if (any) rmspropStepUnchecked(params, grads, squareAvg, momentum, hp);
    }

    // at least one tensor; every tensor and its state the same length and floating dtype
    protected abstract void sgdStepUnchecked(Buffer[] params, Buffer[] grads, Buffer[] momentum, OptimizerHyperparams.Sgd hp);
    protected abstract void adamStepUnchecked(Buffer[] params, Buffer[] grads, Buffer[] m, Buffer[] v, OptimizerHyperparams.Adam hp);
    protected abstract void rmspropStepUnchecked(Buffer[] params, Buffer[] grads, Buffer[] squareAvg, Buffer[] momentum,
                                                 OptimizerHyperparams.RmsProp hp);
}
