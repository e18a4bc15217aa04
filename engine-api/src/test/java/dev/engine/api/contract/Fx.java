package dev.engine.api.contract;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.Backend;
import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.DType;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * One contract test's view of a backend: buffers from and to double arrays whatever their dtype (all
 * closed at the end), seeded data already rounded to the dtype (so references see the exact inputs),
 * and comparisons with a dtype-sized tolerance.
 */
final class Fx implements AutoCloseable {
    static final DType[] FLOATS = {DType.F32, DType.F64};

    final Backend be;
    final Random rnd = new Random(20261204);
    private final List<Buffer> live = new ArrayList<>();

    Fx(Backend be) { this.be = be; }

    /** A buffer of n elements filled with NaN (floats) or -7 (integers), so an unwritten output shows. */
    Buffer alloc(DType dt, long n) {
        Buffer b = track(be.allocate(dt, n));
        if (n > 0) {
            double[] junk = new double[(int) n];
            Arrays.fill(junk, dt.isFloating() ? Double.NaN : -7);
            write(b, junk);
        }
        return b;
    }

    Buffer buf(DType dt, double... data) {
        Buffer b = track(be.allocate(dt, data.length));
        write(b, data);
        return b;
    }

    Buffer longs(long... data) {
        Buffer b = track(be.allocate(DType.I64, data.length));
        be.copyIn(data, 0, b, 0, data.length);
        return b;
    }

    Buffer track(Buffer b) { live.add(b); return b; }

    /** n values uniform in [-2, 2), rounded to dt (integers in [-20, 20) for integer dtypes). */
    double[] random(DType dt, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) v[i] = dt.isFloating() ? round(dt, rnd.nextDouble() * 4 - 2) : rnd.nextInt(40) - 20;
        return v;
    }

    static double round(DType dt, double v) { return dt == DType.F32 ? (float) v : v; }

    void write(Buffer b, double[] data) {
        int n = data.length;
        switch (b.dtype()) {
            case F32 -> { float[] f = new float[n]; for (int i = 0; i < n; i++) f[i] = (float) data[i]; be.copyIn(f, 0, b, 0, n); }
            case F64 -> be.copyIn(data, 0, b, 0, n);
            case I32 -> { int[] f = new int[n]; for (int i = 0; i < n; i++) f[i] = (int) data[i]; be.copyIn(f, 0, b, 0, n); }
            case I64 -> { long[] f = new long[n]; for (int i = 0; i < n; i++) f[i] = (long) data[i]; be.copyIn(f, 0, b, 0, n); }
            case BF16, F16 -> {  // through an F32 buffer and a rounding copy
                try (Buffer t = be.allocate(DType.F32, n)) {
                    write(t, data);
                    be.copy(BufferView.of(t, n), BufferView.of(b, n));
                }
            }
            default -> throw new IllegalArgumentException(b.dtype().toString());
        }
    }

    double[] read(Buffer b) {
        int n = (int) b.length();
        double[] out = new double[n];
        switch (b.dtype()) {
            case F32 -> { float[] f = new float[n]; be.copyOut(b, 0, f, 0, n); for (int i = 0; i < n; i++) out[i] = f[i]; }
            case F64 -> be.copyOut(b, 0, out, 0, n);
            case I32 -> { int[] f = new int[n]; be.copyOut(b, 0, f, 0, n); for (int i = 0; i < n; i++) out[i] = f[i]; }
            case I64 -> { long[] f = new long[n]; be.copyOut(b, 0, f, 0, n); for (int i = 0; i < n; i++) out[i] = f[i]; }
            case BF16, F16 -> {  // widened exactly through an F64 buffer
                try (Buffer t = be.allocate(DType.F64, n)) {
                    be.copy(BufferView.of(b, n), BufferView.of(t, n));
                    return read(t);
                }
            }
            default -> throw new IllegalArgumentException(b.dtype().toString());
        }
        return out;
    }

    /** Relative-and-absolute tolerance of a kernel result computed in dt. */
    static double tol(DType dt) { return dt == DType.F32 ? 2e-5 : 1e-11; }

    /** expected ~ actual elementwise within {@code scale * tol(dt)} relative to max(1, |expected|). */
    static void close(double[] expected, double[] actual, DType dt, double scale, String what) {
        assertEquals(expected.length, actual.length, what + ": length");
        double t = scale * tol(dt);
        for (int i = 0; i < expected.length; i++) {
            double e = expected[i], a = actual[i];
            if (Double.isNaN(e)) { assertTrue(Double.isNaN(a), what + "[" + i + "]: expected NaN, got " + a); continue; }
            assertTrue(Math.abs(e - a) <= t * Math.max(1, Math.abs(e)),
                    what + "[" + i + "]: expected " + e + ", got " + a + " (" + dt + ", tolerance " + t + ")");
        }
    }

    static void close(double[] expected, double[] actual, DType dt, String what) { close(expected, actual, dt, 1, what); }

    @Override public void close() {
        for (Buffer b : live) b.close();
        live.clear();
    }
}
