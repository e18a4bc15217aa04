package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.engine.api.Backend;
import dev.engine.api.Backends;
import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.DType;
import dev.engine.api.Layout;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.AfterEach;

/**
 * Shared helpers for the CPU kernel tests: buffers from/to double arrays (whatever the dtype), naive
 * strided indexing for references, random data and tolerance checks. Every buffer a test allocates
 * through {@link #buf} is closed after the test.
 */
abstract class CpuTestBase {
    static final Backend BE = Backends.get("cpu");
    static final DType[] FLOATS = {DType.F32, DType.F64};

    private final List<Buffer> live = new ArrayList<>();
    final Random rnd = new Random(1234);

    @AfterEach
    void closeBuffers() {
        for (Buffer b : live) b.close();
        live.clear();
    }

    /** A tracked buffer of {@code n} elements filled with NaN-like garbage (float types) or -7. */
    Buffer alloc(DType dt, long n) {
        Buffer b = BE.allocate(dt, n);
        live.add(b);
        if (n > 0 && n < 1 << 24) {
            double[] junk = new double[(int) n];
            java.util.Arrays.fill(junk, dt.isFloating() ? Double.NaN : -7);
            write(b, junk);
        }
        return b;
    }

    /** A tracked buffer holding {@code data} converted to {@code dt}. */
    Buffer buf(DType dt, double[] data) {
        Buffer b = BE.allocate(dt, data.length);
        live.add(b);
        write(b, data);
        return b;
    }

    Buffer longs(long... data) {
        Buffer b = BE.allocate(DType.I64, data.length);
        live.add(b);
        BE.copyIn(data, 0, b, 0, data.length);
        return b;
    }

    static void write(Buffer b, double[] data) {
        int n = data.length;
        switch (b.dtype()) {
            case F32 -> { float[] f = new float[n]; for (int i = 0; i < n; i++) f[i] = (float) data[i]; BE.copyIn(f, 0, b, 0, n); }
            case F64 -> BE.copyIn(data, 0, b, 0, n);
            case I32 -> { int[] f = new int[n]; for (int i = 0; i < n; i++) f[i] = (int) data[i]; BE.copyIn(f, 0, b, 0, n); }
            case I64 -> { long[] f = new long[n]; for (int i = 0; i < n; i++) f[i] = (long) data[i]; BE.copyIn(f, 0, b, 0, n); }
            default -> throw new IllegalArgumentException(b.dtype().toString());
        }
    }

    static double[] read(Buffer b) { return read(b, (int) b.length()); }

    static double[] read(Buffer b, int n) {
        double[] out = new double[n];
        switch (b.dtype()) {
            case F32 -> { float[] f = new float[n]; BE.copyOut(b, 0, f, 0, n); for (int i = 0; i < n; i++) out[i] = f[i]; }
            case F64 -> BE.copyOut(b, 0, out, 0, n);
            case I32 -> { int[] f = new int[n]; BE.copyOut(b, 0, f, 0, n); for (int i = 0; i < n; i++) out[i] = f[i]; }
            case I64 -> { long[] f = new long[n]; BE.copyOut(b, 0, f, 0, n); for (int i = 0; i < n; i++) out[i] = f[i]; }
            default -> throw new IllegalArgumentException(b.dtype().toString());
        }
        return out;
    }

    static long[] readLongs(Buffer b, int n) {
        long[] out = new long[n];
        BE.copyOut(b, 0, out, 0, n);
        return out;
    }

    /** Values rounded to the dtype (F32 rounding), so references see exactly what the kernel sees. */
    static double[] rounded(DType dt, double[] v) {
        double[] r = v.clone();
        if (dt == DType.F32) for (int i = 0; i < r.length; i++) r[i] = (float) r[i];
        return r;
    }

    double[] randn(int n) {
        double[] r = new double[n];
        for (int i = 0; i < n; i++) r[i] = rnd.nextGaussian();
        return r;
    }

    double[] uniform(int n, double lo, double hi) {
        double[] r = new double[n];
        for (int i = 0; i < n; i++) r[i] = lo + (hi - lo) * rnd.nextDouble();
        return r;
    }

    /** Row-major multi-index of flat position {@code flat} in {@code shape}. */
    static long[] unravel(long flat, long[] shape) {
        long[] idx = new long[shape.length];
        for (int d = shape.length - 1; d >= 0; d--) {
            idx[d] = flat % shape[d];
            flat /= shape[d];
        }
        return idx;
    }

    /** Element position of a multi-index under a layout (naive). */
    static long position(Layout l, long[] idx) {
        long p = l.offset();
        for (int d = 0; d < idx.length; d++) p += idx[d] * l.stride(d);
        return p;
    }

    /** The elements a layout sees over {@code data}, in row-major order (naive reference of a view). */
    static double[] gatherView(double[] data, Layout l) {
        long n = l.numel();
        double[] out = new double[(int) n];
        long[] shape = l.shape();
        for (int i = 0; i < n; i++) out[i] = data[(int) position(l, unravel(i, shape))];
        return out;
    }

    /** Tolerance per dtype: |a - e| <= tol * (1 + |e|) (relative for large values, absolute near 0). */
    static void assertClose(double[] expected, double[] actual, double tol, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            if (Double.isNaN(e) && Double.isNaN(a)) continue;
            if (e == a) continue; // infinities
            if (!(Math.abs(a - e) <= tol * (1 + Math.abs(e))))
                fail(what + ": element " + i + " expected " + e + " but was " + a + " (tol " + tol + ")");
        }
    }

    static double tol(DType dt, double f32, double f64) { return dt == DType.F32 ? f32 : f64; }

    static BufferView view(Buffer b, Layout l) { return new BufferView(b, l); }

    static void assertMessageNames(Throwable t, String op) {
        assertTrue(t.getMessage() != null && t.getMessage().contains(op), "message should name '" + op + "': " + t.getMessage());
    }
}
