package dev.engine.cuda;

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
import org.junit.jupiter.api.Assumptions;

/**
 * Helpers of the parity tests: every kernel runs on the CPU backend (the reference) and on CUDA with the
 * same inputs, and the outputs are compared. Without a GPU the tests are skipped with the backend's reason.
 */
final class Parity {
    private Parity() {}

    static final Backend CPU = Backends.get("cpu");

    /** Set (by the GPU bundle's run.sh where nvidia-smi works) to fail, not skip, when CUDA is unavailable. */
    static final boolean REQUIRE_CUDA = Boolean.getBoolean("engine.requireCuda");

    /** The CUDA backend, or a skipped test saying why there is none. */
    static CudaBackend gpu() {
        Backend b = Backends.all().stream().filter(x -> x.name().equals("cuda")).findFirst().orElseThrow();
        if (REQUIRE_CUDA && !b.isAvailable()) fail("engine.requireCuda is set but CUDA is unavailable: " + b.unavailableReason());
        Assumptions.assumeTrue(b.isAvailable(), () -> "no GPU here: " + b.unavailableReason());
        return (CudaBackend) b;
    }

    /** CPU first, then CUDA. */
    static List<Backend> both() { return List.of(CPU, gpu()); }

    /** The same values in a buffer on each backend. */
    static final class Twin implements AutoCloseable {
        final DType dtype;
        final long length;
        final Buffer cpu, gpu;

        Twin(DType dtype, long length) {
            this.dtype = dtype;
            this.length = length;
            this.cpu = CPU.allocate(dtype, length);
            this.gpu = gpu().allocate(dtype, length);
        }

        Buffer on(Backend be) { return be == CPU ? cpu : gpu; }
        BufferView view(Backend be, Layout l) { return new BufferView(on(be), l); }
        BufferView view(Backend be, long... shape) { return BufferView.of(on(be), shape); }

        Twin set(double[] v) {
            for (Backend be : both()) write(be, on(be), v);
            return this;
        }

        double[] values(Backend be) { return read(be, on(be)); }

        @Override public void close() { cpu.close(); gpu.close(); }
    }

    static Twin random(DType dt, long n, long seed) {
        Random r = new Random(seed);
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = dt.isFloating() ? r.nextDouble() * 4 - 2 : r.nextInt(7);
        return new Twin(dt, n).set(v);
    }

    static Twin positive(DType dt, long n, long seed) {
        Random r = new Random(seed);
        double[] v = new double[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = 0.1 + r.nextDouble() * 2;
        return new Twin(dt, n).set(v);
    }

    static Twin of(DType dt, double... v) { return new Twin(dt, v.length).set(v); }

    /** Output buffers start equal (filled with a sentinel) so untouched elements compare too. */
    static Twin out(DType dt, long n) {
        double[] v = new double[(int) n];
        java.util.Arrays.fill(v, 7);
        return new Twin(dt, n).set(v);
    }

    static void write(Backend be, Buffer b, double[] v) {
        int n = v.length;
        switch (b.dtype()) {
            case F32 -> { float[] f = new float[n]; for (int i = 0; i < n; i++) f[i] = (float) v[i]; be.copyIn(f, 0, b, 0, n); }
            case F64 -> be.copyIn(v, 0, b, 0, n);
            case I32 -> { int[] f = new int[n]; for (int i = 0; i < n; i++) f[i] = (int) v[i]; be.copyIn(f, 0, b, 0, n); }
            case I64 -> { long[] f = new long[n]; for (int i = 0; i < n; i++) f[i] = (long) v[i]; be.copyIn(f, 0, b, 0, n); }
            default -> throw new IllegalArgumentException(b.dtype().toString());
        }
    }

    static double[] read(Backend be, Buffer b) {
        int n = (int) b.length();
        double[] v = new double[n];
        switch (b.dtype()) {
            case F32 -> { float[] f = new float[n]; be.copyOut(b, 0, f, 0, n); for (int i = 0; i < n; i++) v[i] = f[i]; }
            case F64 -> be.copyOut(b, 0, v, 0, n);
            case I32 -> { int[] f = new int[n]; be.copyOut(b, 0, f, 0, n); for (int i = 0; i < n; i++) v[i] = f[i]; }
            case I64 -> { long[] f = new long[n]; be.copyOut(b, 0, f, 0, n); for (int i = 0; i < n; i++) v[i] = f[i]; }
            default -> throw new IllegalArgumentException(b.dtype().toString());
        }
        return v;
    }

    /** Tolerance for a dtype: tight for F64, float rounding (and different summation order) for F32. */
    static double tol(DType dt) { return dt == DType.F64 ? 1e-9 : 2e-4; }

    static void assertClose(String what, Twin t) { assertClose(what, t, tol(t.dtype)); }

    /** |cpu - gpu| <= tol * (1 + |cpu|) everywhere; NaN must match NaN. Names the first mismatch. */
    static void assertClose(String what, Twin t, double tol) {
        double[] c = t.values(CPU), g = t.values(gpu());
        List<String> bad = new ArrayList<>();
        for (int i = 0; i < c.length; i++) {
            boolean ok = Double.isNaN(c[i]) ? Double.isNaN(g[i])
                    : c[i] == g[i] || Math.abs(c[i] - g[i]) <= tol * (1 + Math.abs(c[i]));
            if (!ok && bad.size() < 5) bad.add("[" + i + "] cpu=" + c[i] + " cuda=" + g[i]);
        }
        if (!bad.isEmpty()) fail(what + " (" + t.dtype + ", " + c.length + " elements) differs: " + String.join(", ", bad));
    }

    /** Bit-for-bit equality (dropout masks, argmax indices, copies). */
    static void assertExact(String what, Twin t) { assertClose(what, t, 0); }

    static final DType[] FLOATS = {DType.F32, DType.F64};

    /**
     * Switches the GPU's GEMM to {@code impl} until closed (then back to what it was). CUBLASLT is skipped, with
     * the loader's reason, where cuBLASLt could not be loaded, unless {@code engine.requireCublasLt} is set.
     */
    static AutoCloseable gemmMode(GemmImplementation impl) {
        CudaBackend cuda = gpu();
        String lt = CudaRuntime.cublasLtFailure();
        if (impl == GemmImplementation.CUBLASLT) {
            if (REQUIRE_CUBLASLT && lt != null) fail("engine.requireCublasLt is set but cuBLASLt is unavailable: " + lt);
            Assumptions.assumeTrue(lt == null, () -> "cuBLASLt unavailable: " + lt);
        }
        GemmImplementation before = cuda.gemmImplementation();
        cuda.setGemmImplementation(impl);
        return () -> cuda.setGemmImplementation(before);
    }

    /** Set by the GPU bundle where the CUDA toolkit's cuBLASLt is installed: fail, not skip, when it does not load. */
    static final boolean REQUIRE_CUBLASLT = Boolean.getBoolean("engine.requireCublasLt");
}
