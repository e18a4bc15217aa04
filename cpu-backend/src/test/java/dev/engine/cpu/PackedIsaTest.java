package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.Activation;
import dev.engine.api.Backend;
import dev.engine.api.Backends;
import dev.engine.api.Buffer;
import dev.engine.api.DType;
import dev.engine.api.Epilogue;
import dev.engine.api.MatrixRef;
import dev.engine.api.PackedMatrix;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The AVX2 and baseline variants of the packed GEMM kernel, which an AVX-512 machine never picks by
 * itself: each runs in a child JVM with {@code ENGINE_CPU_ISA} set, against a double triple loop, for
 * packed (frozen) and eager (packed per call, transposed operands) products with every tail shape.
 */
class PackedIsaTest {
    @Test
    void narrowerKernelsGiveTheSameResults() throws Exception {
        for (String isa : new String[]{"avx2", "baseline"}) {
            String out = IsaChild.run(Child.class, isa);
            String expected = isa.equals("avx2") && !hasAvx2() ? "baseline" : isa;
            assertTrue(out.contains("kernel " + expected), "the child should run the " + expected + " kernel:\n" + out);
            assertTrue(out.contains("checked 18"), out);
        }
    }

    private static boolean hasAvx2() { return ((CpuBackend) Backends.get("cpu")).describe().contains("avx2"); }

    /** Runs in the child JVM: prints the kernel in use and fails (exit 1) on the first wrong element. */
    public static final class Child {
        public static void main(String[] args) {
            CpuBackend be = (CpuBackend) Backends.get("cpu");
            be.setThreads(2);
            System.out.println("kernel " + be.packedGemmIsa());
            Random r = new Random(3);
            int checked = 0;
            for (int m : new int[]{1, 3, 8, 9, 17, 130})
                for (int[] kn : new int[][]{{33, 31}, {1, 65}, {70, 100}}) {
                    int k = kn[0], n = kn[1];
                    float[] a = rnd(r, m * k), b = rnd(r, k * n), bias = rnd(r, n);
                    double[] ref = new double[m * n];
                    for (int i = 0; i < m; i++)
                        for (int j = 0; j < n; j++) {
                            double s = bias[j];
                            for (int q = 0; q < k; q++) s += (double) a[i * k + q] * b[q * n + j];
                            ref[i * n + j] = Math.max(0, s);
                        }
                    float[] bt = new float[k * n], at = new float[m * k];
                    for (int q = 0; q < k; q++) for (int j = 0; j < n; j++) bt[j * k + q] = b[q * n + j];
                    for (int i = 0; i < m; i++) for (int q = 0; q < k; q++) at[q * m + i] = a[i * k + q];
                    try (Buffer ba = up(be, a); Buffer bb = up(be, b); Buffer bbt = up(be, bt); Buffer bat = up(be, at); Buffer bbias = up(be, bias);
                         Buffer c = be.allocate(DType.F32, (long) m * n); PackedMatrix pm = be.packMatrix(bb, k, n)) {
                        Epilogue epi = Epilogue.of(bbias, Activation.RELU);
                        be.gemmPacked(m, MatrixRef.of(ba, k), pm, MatrixRef.of(c, n), epi);
                        compare(be, c, ref, "packed m=" + m + " k=" + k + " n=" + n);
                        be.gemm(true, true, m, n, k, 1, MatrixRef.of(bat, m), MatrixRef.of(bbt, k), 0, MatrixRef.of(c, n), 1, epi);
                        compare(be, c, ref, "eager transposed m=" + m + " k=" + k + " n=" + n);
                    }
                    checked++;
                }
            System.out.println("checked " + checked);
        }

        static float[] rnd(Random r, int n) {
            float[] f = new float[n];
            for (int i = 0; i < n; i++) f[i] = (float) r.nextGaussian();
            return f;
        }

        static Buffer up(Backend be, float[] v) {
            Buffer b = be.allocate(DType.F32, Math.max(1, v.length));
            be.copyIn(v, 0, b, 0, v.length);
            return b;
        }

        static void compare(Backend be, Buffer c, double[] ref, String what) {
            float[] got = new float[ref.length];
            be.copyOut(c, 0, got, 0, ref.length);
            for (int i = 0; i < ref.length; i++)
                if (Math.abs(got[i] - ref[i]) > 1e-4 * (1 + Math.abs(ref[i]))) {
                    System.out.println(what + ": element " + i + " is " + got[i] + ", expected " + ref[i]);
                    System.exit(1);
                }
        }
    }
}
