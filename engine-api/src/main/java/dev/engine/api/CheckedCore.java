package dev.engine.api;

import static dev.engine.api.KernelChecks.buffer;
import static dev.engine.api.KernelChecks.floating;
import static dev.engine.api.KernelChecks.product;

import java.util.Arrays;

/**
 * The first part of {@link CheckedBackend}'s argument checks: identity, memory, copies, elementwise programs,
 * indexing and randomness, and the checks the other parts share. Backends extend {@link CheckedBackend}.
 */
public abstract sealed class CheckedCore implements Backend permits CheckedMath {
    /** The highest rank of a strided view (the native kernels' fixed-size stride arrays). */
    public static final int MAX_RANK = 16;
    /** More threads than this is a mistake (each is a native worker). */
    public static final int MAX_THREADS = 512;
    /** Sizes the kernels index with 32-bit ints (BLAS sizes, leading dimensions, GEMM dims). */
    static final long INT_LIMIT = Integer.MAX_VALUE;

    CheckedCore() {}

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

    void supported(String op, DType dt) {
        if (dt != null && dt.isHalf()) throw new DTypeException(op + ": dtype " + dt + " is not taken here" + KernelChecks.HALF_HINT);
        if (!supports(dt)) throw new DTypeException(op + ": the " + name() + " backend does not support dtype " + dt);
    }

    /** As {@link #supported}, and BF16 / F16 (storage: allocation and copies). */
    private void storable(String op, DType dt) {
        if (dt == null || !dt.isHalf()) supported(op, dt);
    }

    // ---- memory -----------------------------------------------------------------------------------

    @Override public final Buffer allocate(DType dtype, long length) {
        ready();
        if (dtype == null) throw new EngineException("allocate: dtype is null");
        storable("allocate", dtype);
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
    void view(String op, String what, BufferView v) {
        storedView(op, what, v);
        supported(op, v.dtype());
    }

    /** As {@link #view}, BF16 / F16 allowed. */
    void storedView(String op, String what, BufferView v) {
        if (v == null) throw new EngineException(op + ": " + what + " is null");
        KernelChecks.fits(op, what, this, v);
        if (v.layout().rank() > MAX_RANK) throw new ShapeException(op + ": rank " + v.layout().rank() + " of " + what + " exceeds " + MAX_RANK);
        storable(op, v.dtype());
    }

    /** An output view must not write one element twice (a broadcast, stride-0 view). */
    static void writable(String op, String what, BufferView v) {
        Layout l = v.layout();
        for (int d = 0; d < l.rank(); d++)
            if (l.stride(d) == 0 && l.shape(d) > 1)
                throw new ShapeException(op + ": " + what + " " + l + " is a broadcast view (stride 0 in dim " + d + "); outputs must not overlap");
    }

    @Override public final void copy(BufferView src, BufferView dst) {
        ready();
        storedView("copy", "src", src);
        storedView("copy", "dst", dst);
        writable("copy", "dst", dst);
        if ((src.dtype().isHalf() || dst.dtype().isHalf()) && !(src.dtype().isFloating() && dst.dtype().isFloating()))
            throw new DTypeException("copy: " + src.dtype() + " to " + dst.dtype() + ": BF16 / F16 convert to and from floating dtypes only");
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
        storedView(op, "out", out);
        writable(op, "out", out);
        DType dt = out.dtype();
        if (!dt.isHalf()) floating(op, "out", dt);
        long[] shape = out.layout().shape();
        for (int i = 0; i < inputs.length; i++) {
            storedView(op, "input " + i, inputs[i]);
            KernelChecks.sameDType(op, "input " + i, inputs[i].dtype(), "out", dt);
            if (!Arrays.equals(inputs[i].layout().shape(), shape))
                throw new ShapeException(op + ": input " + i + " has shape " + Arrays.toString(inputs[i].layout().shape())
                        + " but the output has shape " + Arrays.toString(shape) + " (broadcast inputs first)");
        }
        if (out.layout().numel() == 0) return;
        if (dt.isHalf()) inF32(inputs, out, (in, o) -> elementwiseUnchecked(p, in, o));
        else elementwiseUnchecked(p, inputs, out);
    }

    /**
     * Runs {@code body} on contiguous F32 copies of {@code inputs} and an F32 output of {@code out}'s shape,
     * then rounds that output into {@code out}: how BF16 / F16 programs compute (in F32, rounded once).
     */
    final void inF32(BufferView[] inputs, BufferView out, java.util.function.BiConsumer<BufferView[], BufferView> body) {
        long[] shape = out.layout().shape();
        long n = out.layout().numel();
        Buffer[] temps = new Buffer[inputs.length + 1];
        try {
            BufferView[] in = new BufferView[inputs.length];
            for (int i = 0; i < inputs.length; i++) {
                temps[i] = allocateUnchecked(DType.F32, n);
                in[i] = BufferView.of(temps[i], shape);
                copyUnchecked(inputs[i], in[i]);
            }
            temps[inputs.length] = allocateUnchecked(DType.F32, n);
            BufferView o = BufferView.of(temps[inputs.length], shape);
            body.accept(in, o);
            copyUnchecked(o, out);
        } finally {
            for (Buffer t : temps) if (t != null) t.close();
        }
    }

    /** Inputs of the output's shape and floating dtype; at least one element. */
    protected abstract void elementwiseUnchecked(ElementwiseProgram p, BufferView[] inputs, BufferView out);

    /** A required buffer's dtype; a null buffer is an {@link EngineException} naming the op. */
    static DType dtypeOf(String op, String what, Buffer b) {
        if (b == null) throw new EngineException(op + ": " + what + " is null");
        return b.dtype();
    }

    void optional(String op, String what, Buffer b, long n, DType dt) { if (b != null) buffer(op, what, this, b, n, dt); }

    /** The first position in {@code indices[0, count)} outside [0, limit), or -1. */
    protected abstract long firstBadIndex(Buffer indices, long count, long limit);

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

}
