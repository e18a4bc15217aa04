package dev.engine.api;

import java.util.Arrays;

/**
 * Helpers for shapes held as {@code long[]}: element counts with overflow checks, broadcasting, printing.
 *
 * <pre>{@code
 * long[] out = Shapes.broadcast("add", new long[]{4, 1}, new long[]{3});   // [4, 3]
 * }</pre>
 */
public final class Shapes {
    private Shapes() {}

    /** Number of elements; throws for negative dims or overflow. */
    public static long numel(long[] shape) {
        long n = 1;
        for (long d : shape) {
            if (d < 0) throw new ShapeException("negative dimension in shape " + str(shape));
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new ShapeException("shape " + str(shape) + " has more elements than fit in 64 bits");
            }
        }
        return n;
    }

    /** Elements as an int, for Java arrays; throws if it does not fit. */
    public static int numelInt(long[] shape) {
        long n = numel(shape);
        if (n > Integer.MAX_VALUE - 8) throw new ShapeException("shape " + str(shape) + " is too large for a Java array");
        return (int) n;
    }

    /** NumPy broadcasting of two shapes; names both on mismatch. */
    public static long[] broadcast(String op, long[] a, long[] b) {
        int n = Math.max(a.length, b.length);
        long[] out = new long[n];
        for (int i = 0; i < n; i++) {
            long da = i < n - a.length ? 1 : a[i - (n - a.length)];
            long db = i < n - b.length ? 1 : b[i - (n - b.length)];
            if (da != db && da != 1 && db != 1)
                throw new ShapeException(op + ": shapes " + str(a) + " and " + str(b) + " cannot be broadcast (dim "
                        + i + ": " + da + " vs " + db + ")");
            out[i] = da == 1 ? db : da;
        }
        return out;
    }

    /** Normalises a possibly negative axis against a rank. */
    public static int axis(String op, int axis, int rank) {
        int a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= Math.max(rank, 1) || (rank == 0))
            throw new ShapeException(op + ": axis " + axis + " out of range for rank " + rank);
        return a;
    }

    public static String str(long[] shape) { return Arrays.toString(shape); }

    public static long[] of(long... dims) { return dims.clone(); }

    public static long[] ofInts(int... dims) {
        long[] s = new long[dims.length];
        for (int i = 0; i < dims.length; i++) s[i] = dims[i];
        return s;
    }
}
