package dev.engine.bench;

import static org.bytedeco.openblas.global.openblas.CblasNoTrans;
import static org.bytedeco.openblas.global.openblas.CblasRowMajor;

import dev.engine.api.Backend;
import dev.engine.api.Buffer;
import dev.engine.api.Epilogue;
import dev.engine.api.MatrixRef;
import dev.engine.cpu.CpuBackend;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.openblas.global.openblas;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;

/**
 * Square F32 GEMM {@code C = A B}: the engine through the SPI against a direct OpenBLAS call through the
 * bytedeco Java API and against the raw native sgemm without checks or marshalling. Operands are
 * allocated once. The bytedeco API calls its own copy of the same OpenBLAS build (libopenblas_nolapack),
 * so the direct peer runs the same kernels, with the same OPENBLAS_CORETYPE, in a separate instance.
 */
@Suite(title = "GEMM F32 (square n x n)",
        note = "engine = Backend.gemm via the SPI; peerDirectOpenBlas = bytedeco cblas_sgemm on FloatPointers made once "
                + "(its JNI links libopenblas_nolapack.so.0, a separate instance of the same OpenBLAS build; see the facts); "
                + "peerRawNative = CpuBackend.sgemmUnchecked (one JNI call into the engine's own OpenBLAS, no checks)",
        targetPeer = "peerDirectOpenBlas", minRatio = 0.95)
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class GemmBench {
    @Param({"256", "512", "1024"}) public int n;
    @Param({"cpu"}) public String backend;

    private Backend be;
    private Buffer a, b, c;
    private MatrixRef ra, rb, rc;
    private CpuBackend cpu;
    private Buffer ca, cb, cc;
    private FloatPointer pa, pb, pc;

    /** Work of one op, read by the report to print GFLOP/s. */
    public static double flopsPerOp(Map<String, String> params) {
        double n = Double.parseDouble(params.get("n"));
        return 2 * n * n * n;
    }

    @Setup(Level.Trial)
    public void setup() {
        int len = n * n;
        be = Fixtures.backend(backend);
        a = Fixtures.randomF32(be, len, 1);
        b = Fixtures.randomF32(be, len, 2);
        c = Fixtures.randomF32(be, len, 3);
        ra = MatrixRef.of(a, n);
        rb = MatrixRef.of(b, n);
        rc = MatrixRef.of(c, n);
        cpu = (CpuBackend) Fixtures.backend("cpu");
        boolean same = be == cpu;
        ca = same ? a : Fixtures.randomF32(cpu, len, 1);
        cb = same ? b : Fixtures.randomF32(cpu, len, 2);
        cc = same ? c : Fixtures.randomF32(cpu, len, 3);
        pa = new FloatPointer(Fixtures.random(len, 1));
        pb = new FloatPointer(Fixtures.random(len, 2));
        pc = new FloatPointer(Fixtures.random(len, 3));
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        if (be != cpu) Fixtures.close(ca, cb, cc);
        Fixtures.close(a, b, c);
        pa.close();
        pb.close();
        pc.close();
    }

    @Benchmark
    public void engine() {
        be.gemm(false, false, n, n, n, 1.0, ra, rb, 0.0, rc, 1, Epilogue.NONE);
        be.synchronize();
    }

    @Benchmark
    public void peerDirectOpenBlas() {
        openblas.cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, n, n, 1f, pa, n, pb, n, 0f, pc, n);
    }

    @Benchmark
    public void peerRawNative() {
        cpu.sgemmUnchecked(n, n, n, ca, cb, cc);
    }
}
