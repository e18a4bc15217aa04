package dev.engine.cuda;

import dev.engine.api.Activation;
import dev.engine.api.Backend;
import dev.engine.api.Backends;
import dev.engine.api.Buffer;
import dev.engine.api.DType;
import dev.engine.api.Epilogue;
import dev.engine.api.MatrixRef;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * A quick look at GPU speed for the bundle's run.sh (not JMH; the benchmarks module holds the real
 * comparisons, {@link CudaGemmBench} the per-shape GEMM table): GEMM GFLOP/s for our SIMT and TF32 kernels
 * and for cuBLASLt, and a 784-512-512-10 MLP forward at batch 1, eager against one CUDA graph launch. Prints the reason and exits 0 where there is no GPU.
 */
public final class CudaQuickBench {
    private CudaQuickBench() {}

    public static void main(String[] args) {
        Backend b = Backends.all().stream().filter(x -> x.name().equals("cuda")).findFirst().orElseThrow();
        if (!b.isAvailable()) {
            System.out.println("CudaQuickBench skipped: " + b.unavailableReason());
            return;
        }
        CudaBackend cuda = (CudaBackend) b;
        System.out.println(cuda.describe());
        List<GemmImplementation> impls = new ArrayList<>(List.of(GemmImplementation.OWN));
        if (CudaRuntime.cublasLtFailure() == null) impls.add(GemmImplementation.CUBLASLT);
        else System.out.println("cuBLASLt rows skipped: " + CudaRuntime.cublasLtFailure());
        GemmImplementation before = cuda.gemmImplementation();
        for (GemmImplementation impl : impls) {
            cuda.setGemmImplementation(impl);
            String who = impl == GemmImplementation.OWN ? "own" : "cuBLASLt";
            for (int n : new int[]{1024, 2048, 4096, 8192}) {
                for (boolean tf32 : new boolean[]{false, true}) {
                    boolean on = cuda.setTf32(tf32);
                    if (tf32 && !on) continue;
                    System.out.printf("gemm %-8s F32 %s %5d: %8.1f GFLOP/s%n", who, tf32 ? "tf32" : "fp32", n, gemm(cuda, DType.F32, n));
                }
            }
            cuda.setTf32(false);
            System.out.printf("gemm %-8s F64      1024: %8.1f GFLOP/s%n", who, gemm(cuda, DType.F64, 1024));
            mlp(cuda, who);
        }
        cuda.setGemmImplementation(before);
        System.out.println(cuda.allocatorStats());
    }

    private static Buffer filled(CudaBackend cuda, DType dt, int n, long seed) {
        Random r = new Random(seed);
        Buffer buf = cuda.allocate(dt, n);
        if (dt == DType.F32) {
            float[] v = new float[n];
            for (int i = 0; i < n; i++) v[i] = r.nextFloat() - 0.5f;
            cuda.copyIn(v, 0, buf, 0, n);
        } else {
            double[] v = new double[n];
            for (int i = 0; i < n; i++) v[i] = r.nextDouble() - 0.5;
            cuda.copyIn(v, 0, buf, 0, n);
        }
        return buf;
    }

    private static double gemm(CudaBackend cuda, DType dt, int n) {
        try (Buffer a = filled(cuda, dt, n * n, 1); Buffer bm = filled(cuda, dt, n * n, 2); Buffer c = cuda.allocate(dt, (long) n * n)) {
            Runnable op = () -> cuda.gemm(false, false, n, n, n, 1, MatrixRef.of(a, n), MatrixRef.of(bm, n), 0, MatrixRef.of(c, n), 1, Epilogue.NONE);
            op.run();
            cuda.synchronize();
            int reps = Math.max(3, (int) (2e11 / (2.0 * n * n * n)));
            long t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) op.run();
            cuda.synchronize();
            double s = (System.nanoTime() - t0) / 1e9;
            return 2.0 * n * n * n * reps / s / 1e9;
        }
    }

    private static void mlp(CudaBackend cuda, String who) {
        int[] dims = {784, 512, 512, 10};
        Buffer[] w = new Buffer[3], bias = new Buffer[3], act = new Buffer[4];
        act[0] = filled(cuda, DType.F32, dims[0], 3);
        for (int i = 0; i < 3; i++) {
            w[i] = filled(cuda, DType.F32, dims[i] * dims[i + 1], 10 + i);
            bias[i] = filled(cuda, DType.F32, dims[i + 1], 20 + i);
            act[i + 1] = cuda.allocate(DType.F32, dims[i + 1]);
        }
        Runnable forward = () -> {
            for (int i = 0; i < 3; i++)
                cuda.gemm(false, false, 1, dims[i + 1], dims[i], 1, MatrixRef.of(act[i], dims[i]), MatrixRef.of(w[i], dims[i + 1]), 0,
                        MatrixRef.of(act[i + 1], dims[i + 1]), 1, Epilogue.of(bias[i], i < 2 ? Activation.RELU : Activation.NONE));
        };
        int reps = 2000;
        for (int i = 0; i < 100; i++) forward.run();
        cuda.synchronize();
        long t0 = System.nanoTime();
        for (int i = 0; i < reps; i++) forward.run();
        cuda.synchronize();
        double eager = (System.nanoTime() - t0) / 1e3 / reps;
        try (CudaGraph g = cuda.captureGraph(forward)) {
            for (int i = 0; i < 100; i++) g.launch();
            cuda.synchronize();
            t0 = System.nanoTime();
            for (int i = 0; i < reps; i++) g.launch();
            cuda.synchronize();
            double graph = (System.nanoTime() - t0) / 1e3 / reps;
            System.out.printf("mlp 784-512-512-10 batch 1 (%s GEMM): eager %.1f us/forward, one graph launch %.1f us/forward%n", who, eager, graph);
        }
        for (Buffer x : w) x.close();
        for (Buffer x : bias) x.close();
        for (Buffer x : act) x.close();
    }
}
