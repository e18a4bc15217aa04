package dev.engine.cuda;

import dev.engine.nativeabi.DTypeCodes;
import dev.engine.nativeabi.NativeArgs;
import dev.engine.api.Backend;
import dev.engine.api.Backends;
import dev.engine.api.Buffer;
import dev.engine.api.DType;
import dev.engine.api.Epilogue;
import dev.engine.api.MatrixRef;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * In-process GEMM benchmark: per shape, GFLOP/s of our SIMT kernel, our TF32 tensor-core kernel, cuBLASLt
 * through the engine's SPI (F32 and TF32: {@link CudaBackend#gemm}, one JNI call each, checks included; BF16:
 * {@link CudaBackend#gemmRounded}, the rounded copies included) and
 * cuBLASLt called directly (a native loop of back-to-back {@code cublasLtMatmul} calls on one plan, timed with
 * CUDA events: what a C++ program calling cuBLAS would get), and the ratio SPI / direct. Each figure is the
 * median of 5 timed runs after a warm-up; a run is at least 20 calls and 0.2 s (only 0.2 s where 20 calls would
 * take over half a second). Random inputs. Where there is no GPU it prints the reason and exits 0.
 *
 * <pre>
 * java -cp 'lib/*:test-classes' dev.engine.cuda.CudaGemmBench            # every shape, about a minute on an H200
 * java -cp 'lib/*:test-classes' dev.engine.cuda.CudaGemmBench 4096 1x784x512   # just these
 * </pre>
 */
public final class CudaGemmBench {
    private CudaGemmBench() {}

    record Shape(int m, int n, int k) {
        String name() { return m == n && n == k ? Integer.toString(m) : m + "x" + k + "x" + n; }
        double flops() { return 2.0 * m * n * k; }
    }

    /** Square products, then skinny ones (batch x in x out, as a linear layer sees them). */
    static final List<Shape> SHAPES = List.of(new Shape(1024, 1024, 1024), new Shape(2048, 2048, 2048), new Shape(4096, 4096, 4096),
            new Shape(8192, 8192, 8192), new Shape(1, 512, 784), new Shape(64, 512, 784), new Shape(1, 4096, 4096), new Shape(64, 4096, 4096));

    private static final int REPEATS = 5;
    private static final double MIN_SECONDS = 0.2;
    private static final int MIN_CALLS = 20;

    public static void main(String[] args) {
        Backend b = Backends.all().stream().filter(x -> x.name().equals("cuda")).findFirst().orElseThrow();
        if (!b.isAvailable()) {
            System.out.println("CudaGemmBench skipped: " + b.unavailableReason());
            return;
        }
        CudaBackend cuda = (CudaBackend) b;
        List<Shape> shapes = new ArrayList<>();
        for (Shape s : SHAPES) if (args.length == 0 || Arrays.asList(args).contains(s.name())) shapes.add(s);
        System.out.println(cuda.describe());
        boolean lt = CudaRuntime.cublasLtFailure() == null;
        if (!lt) System.out.println("cuBLASLt columns empty: " + CudaRuntime.cublasLtFailure());
        System.out.println("GFLOP/s, median of " + REPEATS + " runs; SPI/direct = cuBLASLt through CudaBackend.gemm over a direct cublasLtMatmul loop; "
                + "BF16 = gemmRounded(BF16) (rounded copies, then COMPUTE_32F_FAST_16BF) over a direct FAST_16BF loop on the F32 operands");
        System.out.printf("%-13s %10s %10s | %10s %10s %7s | %10s %10s %7s | %10s %10s %7s%n", "m x k x n", "own SIMT", "own TF32", "Lt F32", "direct",
                "SPI/dir", "Lt TF32", "direct", "SPI/dir", "Lt BF16", "direct", "SPI/dir");
        GemmImplementation before = cuda.gemmImplementation();
        long t0 = System.nanoTime();
        try {
            for (Shape s : shapes) row(cuda, s, lt);
        } finally {
            cuda.setGemmImplementation(before);
            cuda.setTf32(false);
        }
        System.out.printf("total %.1f s; %s%n", (System.nanoTime() - t0) / 1e9, cuda.gemmDescription());
    }

    private static void row(CudaBackend cuda, Shape s, boolean lt) {
        try (Buffer a = random(cuda, (long) s.m * s.k, 1); Buffer bm = random(cuda, (long) s.k * s.n, 2); Buffer c = cuda.allocate(DType.F32, (long) s.m * s.n)) {
            Runnable spi = () -> cuda.gemm(false, false, s.m, s.n, s.k, 1, MatrixRef.of(a, s.k), MatrixRef.of(bm, s.n), 0, MatrixRef.of(c, s.n), 1, Epilogue.NONE);
            Runnable rounded = () -> cuda.gemmRounded(DType.BF16, false, false, s.m, s.n, s.k, 1, MatrixRef.of(a, s.k), MatrixRef.of(bm, s.n), 0,
                    MatrixRef.of(c, s.n), 1, Epilogue.NONE);
            double[] g = new double[11];
            Arrays.fill(g, Double.NaN);
            cuda.setGemmImplementation(GemmImplementation.OWN);
            cuda.setTf32(false);
            g[0] = s.flops() / spiSeconds(cuda, spi) / 1e9;
            if (cuda.setTf32(true)) g[1] = s.flops() / spiSeconds(cuda, spi) / 1e9;
            if (lt) {
                cuda.setGemmImplementation(GemmImplementation.CUBLASLT);
                for (int tf = 0; tf < 2; tf++) {
                    if (!cuda.setTf32(tf == 1) && tf == 1) break;
                    g[2 + 3 * tf] = s.flops() / spiSeconds(cuda, spi) / 1e9;
                    g[3 + 3 * tf] = s.flops() / directSeconds(cuda, s, a, bm, c, 0) / 1e9;
                    g[4 + 3 * tf] = g[2 + 3 * tf] / g[3 + 3 * tf];
                }
                cuda.setTf32(false);
                g[8] = s.flops() / spiSeconds(cuda, rounded) / 1e9;
                g[9] = s.flops() / directSeconds(cuda, s, a, bm, c, 1) / 1e9;
                g[10] = g[8] / g[9];
            }
            System.out.printf("%-13s %10s %10s | %10s %10s %7s | %10s %10s %7s | %10s %10s %7s%n", s.name(), num(g[0]), num(g[1]), num(g[2]), num(g[3]),
                    pct(g[4]), num(g[5]), num(g[6]), pct(g[7]), num(g[8]), num(g[9]), pct(g[10]));
        }
    }

    /** Median seconds per call of {@code op} through the SPI, timed on the host around a synchronised run. */
    private static double spiSeconds(CudaBackend cuda, Runnable op) {
        for (int i = 0; i < 3; i++) op.run();
        cuda.synchronize();
        long t = System.nanoTime();
        op.run();
        cuda.synchronize();
        int calls = calls((System.nanoTime() - t) / 1e9);
        double[] runs = new double[REPEATS];
        for (int r = 0; r < REPEATS; r++) {
            long start = System.nanoTime();
            for (int i = 0; i < calls; i++) op.run();
            cuda.synchronize();
            runs[r] = (System.nanoTime() - start) / 1e9 / calls;
        }
        return median(runs);
    }

    /** Median seconds per call of a native loop of cublasLtMatmul calls on the same buffers (CUDA events). */
    private static double directSeconds(CudaBackend cuda, Shape s, Buffer a, Buffer b, Buffer c, int fast) {
        double one = direct(cuda, s, a, b, c, 1, fast);
        int calls = calls(one);
        double[] runs = new double[REPEATS];
        for (int r = 0; r < REPEATS; r++) runs[r] = direct(cuda, s, a, b, c, calls, fast);
        return median(runs);
    }

    private static double direct(CudaBackend cuda, Shape s, Buffer a, Buffer b, Buffer c, int calls, int fast) {
        NativeArgs q = NativeArgs.begin().put(0L).put(false).put(false).put((long) s.m).put((long) s.n).put((long) s.k)
                .put(a.address()).put((long) s.k).put(b.address()).put((long) s.n).put(c.address()).put((long) s.n).put((long) calls).put((long) fast);
        double ms = CudaNative.ecu_cublaslt_bench(cuda.ctx(), q.address());
        if (ms < 0) throw new IllegalStateException("direct cuBLASLt timing failed: " + CudaNative.ecu_error_message());
        return ms / 1e3;
    }

    private static int calls(double secondsPerCall) {
        int forTime = (int) Math.ceil(MIN_SECONDS / Math.max(secondsPerCall, 1e-7));
        return secondsPerCall * MIN_CALLS > 0.5 ? Math.max(1, forTime) : Math.max(MIN_CALLS, forTime);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    private static String num(double v) { return Double.isNaN(v) ? "-" : String.format("%.0f", v); }

    private static String pct(double v) { return Double.isNaN(v) ? "-" : String.format("%.0f%%", 100 * v); }

    private static Buffer random(CudaBackend cuda, long n, long seed) {
        Random r = new Random(seed);
        float[] v = new float[(int) n];
        for (int i = 0; i < v.length; i++) v[i] = r.nextFloat() * 2 - 1;
        Buffer buf = cuda.allocate(DType.F32, n);
        cuda.copyIn(v, 0, buf, 0, v.length);
        return buf;
    }
}
