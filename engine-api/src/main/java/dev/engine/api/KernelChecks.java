package dev.engine.api;

import java.util.Arrays;

/**
 * Argument checks every backend runs in Java before a native call, so that a bad call is an exception
 * that names the op and the shapes instead of a crash.
 *
 * <pre>{@code
 * KernelChecks.fits("relu", "x", view);   // throws if the layout reaches outside its buffer
 * }</pre>
 */
public final class KernelChecks {
    private KernelChecks() {}

    /** The buffer is open, belongs to {@code backend}, and has at least {@code needed} elements. */
    public static void buffer(String op, String what, Backend backend, Buffer b, long needed) {
        if (b == null) throw new EngineException(op + ": " + what + " is null");
        if (b.isClosed()) throw new ClosedBufferException(op + ": " + what + " (" + b + ") was already closed");
        if (b.backend() != backend)
            throw new DeviceException(op + ": " + what + " belongs to backend " + b.backend() + " on " + b.device()
                    + " but the op runs on backend " + backend + " on " + backend.device());
        if (needed < 0) throw new ShapeException(op + ": negative size " + needed + " for " + what);
        if (b.length() < needed)
            throw new ShapeException(op + ": " + what + " holds " + b.length() + " elements, needs " + needed);
    }

    /** Like {@link #buffer} but also requires a dtype. */
    public static void buffer(String op, String what, Backend backend, Buffer b, long needed, DType dtype) {
        buffer(op, what, backend, b, needed);
        if (b.dtype() != dtype) throw new DTypeException(op + ": " + what + " has dtype " + b.dtype() + ", expected " + dtype);
    }

    /** A view's layout stays inside its buffer. */
    public static void fits(String op, String what, Backend backend, BufferView v) {
        buffer(op, what, backend, v.buffer(), 0);
        long[] span;
        try {
            span = v.layout().span();
        } catch (ShapeException e) {
            throw new ShapeException(op + ": " + what + ": " + e.getMessage());
        }
        if (span[1] < span[0]) return; // empty
        if (span[0] < 0 || span[1] >= v.buffer().length())
            throw new ShapeException(op + ": " + what + " " + v.layout() + " reaches elements [" + span[0] + ", " + span[1]
                    + "] outside its buffer of " + v.buffer().length());
    }

    /** Same shape. */
    public static void sameShape(String op, String a, long[] sa, String b, long[] sb) {
        if (!Arrays.equals(sa, sb))
            throw new ShapeException(op + ": " + a + " has shape " + Shapes.str(sa) + " but " + b + " has shape " + Shapes.str(sb));
    }

    /** Floating dtype (F32/F64) supported by a CPU-style kernel. */
    /** What a refusal of a BF16 / F16 operand adds. */
    static final String HALF_HINT = " (BF16/F16 buffers are storage: copies, elementwise programs and reductions; cast to F32 for this op)";

    public static void floating(String op, String what, DType d) {
        if (d != DType.F32 && d != DType.F64)
            throw new DTypeException(op + ": " + what + " has dtype " + d + ", expected F32 or F64" + (d != null && d.isHalf() ? HALF_HINT : ""));
    }

    /** Two operands share a dtype. */
    public static void sameDType(String op, String a, DType da, String b, DType db) {
        if (da != db) throw new DTypeException(op + ": " + a + " is " + da + " but " + b + " is " + db);
    }

    /** A size argument is non-negative. */
    public static void nonNegative(String op, String what, long v) {
        if (v < 0) throw new ShapeException(op + ": " + what + " = " + v + " is negative");
    }

    /** Product of sizes without overflow. */
    public static long product(String op, long... sizes) {
        long p = 1;
        for (long s : sizes) {
            nonNegative(op, "size", s);
            try { p = Math.multiplyExact(p, s); } catch (ArithmeticException e) {
                throw new ShapeException(op + ": sizes " + Arrays.toString(sizes) + " overflow 64 bits");
            }
        }
        return p;
    }

    /**
     * A (batch of) GEMM operand(s) of {@code rows x cols}: not null, open, of {@code dtype}, leading dimension
     * at least {@code cols}, and every element it reaches (computed without overflow) inside its buffer.
     */
    public static void matrix(String op, String what, Backend backend, MatrixRef r, long rows, long cols, long batch, DType dtype) {
        if (r == null) throw new EngineException(op + ": " + what + " is null");
        buffer(op, what, backend, r.buffer(), 0, dtype);
        if (r.ld() < Math.max(1, cols))
            throw new ShapeException(op + ": " + what + " leading dimension " + r.ld() + " < its " + cols + " columns");
        if (rows == 0 || cols == 0 || batch == 0) return;
        long last;
        try {
            last = Math.addExact(Math.addExact(r.offset(), Math.multiplyExact(batch - 1, r.batchStride())),
                    Math.addExact(Math.multiplyExact(rows - 1, r.ld()), cols - 1));
        } catch (ArithmeticException e) {
            last = Long.MAX_VALUE;
        }
        if (last >= r.buffer().length())
            throw new ShapeException(op + ": " + what + " (" + (batch > 1 ? batch + " x " : "") + rows + " x " + cols + ", ld " + r.ld()
                    + ", offset " + r.offset() + ") reaches element " + last + " of a buffer of " + r.buffer().length());
    }

    /** A layout split into kept axes (outer) and reduced axes, each with shape and strides, for reduce kernels. */
    public record ReductionSplit(long[] keptShape, long[] keptStrides, long[] reducedShape, long[] reducedStrides) {}

    /**
     * Validates reduction axes (in range, distinct, exactly one for ARGMAX/ARGMIN) and splits the layout
     * into kept and reduced axes, both in their original order.
     */
    public static ReductionSplit reductionAxes(String op, Layout l, ReduceOp kind, int[] axes) {
        if (kind == null || axes == null) throw new EngineException(op + ": op or axes are null");
        int rank = l.rank();
        boolean[] reduced = new boolean[rank];
        for (int ax : axes) {
            int a = ax < 0 ? ax + rank : ax;
            if (a < 0 || a >= rank) throw new ShapeException(op + ": axis " + ax + " out of range for shape " + Arrays.toString(l.shape()));
            if (reduced[a]) throw new ShapeException(op + ": axis " + ax + " given twice");
            reduced[a] = true;
        }
        if (kind.producesIndices() && axes.length != 1) throw new ShapeException(op + ": takes exactly one axis, got " + Arrays.toString(axes));
        int nk = rank - axes.length;
        long[] ks = new long[nk], kst = new long[nk], rs = new long[axes.length], rst = new long[axes.length];
        int ik = 0, ir = 0;
        for (int d = 0; d < rank; d++) {
            if (reduced[d]) { rs[ir] = l.shape(d); rst[ir++] = l.stride(d); }
            else { ks[ik] = l.shape(d); kst[ik++] = l.stride(d); }
        }
        return new ReductionSplit(ks, kst, rs, rst);
    }

    /** A packed convolution weight must hold g's k filters of C/groups * R * S values each. */
    public static void packedConvWeight(String op, Conv2dShape g, PackedMatrix w) {
        long cols = g.c() / g.groups() * g.r() * g.s();
        if (w.rows() != g.k() || w.cols() != cols)
            throw new ShapeException(op + ": packed weight is " + w.rows() + " x " + w.cols() + " but " + g + " needs "
                    + g.k() + " filters x " + cols + " values");
    }
}
