package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.Backends;
import dev.engine.api.InputQuantization;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The AMX variant of the int8 GEMM on the shapes its tiles cut unevenly (rows around 16 and 32, k not a
 * multiple of 64 or of 4, n not a multiple of 16 or 32): bit for bit against {@link Int8Reference}, the
 * same bits for 1, 2 and 3 threads, and the same bits as the VNNI variant. Each variant runs in a child
 * JVM ({@code ENGINE_CPU_ISA=avx512vnni} for VNNI); skipped where the CPU or the OS offers no AMX.
 */
class AmxInt8Test {
    static final int[] ROWS = {1, 8, 15, 16, 17, 33, 64, 100};
    static final int[][] KN = {{67, 17}, {130, 47}, {64, 32}, {201, 10}, {784, 100}};

    /** Whether this CPU reports AMX-INT8 (the OS may still refuse the tile state). */
    static boolean amxUsable() { return Backends.get("cpu").describe().contains("amx_int8"); }

    @Test
    void amxMatchesTheReferenceAndTheVnniVariant() throws Exception {
        String amx = child(null);
        Assumptions.assumeTrue(amx.contains("kernel amx"), amxUsable()
                ? "the CPU has AMX-INT8 but the OS did not grant this process the tile state" : "no AMX-INT8 on this CPU");
        String vnni = child("avx512vnni");
        assertTrue(vnni.contains("kernel avx512vnni"), vnni);
        String checked = "amx checked " + 2 * ROWS.length * KN.length;
        assertTrue(amx.contains(checked), amx);
        assertTrue(vnni.contains(checked), vnni);
        assertEquals(line(vnni, "digest"), line(amx, "digest"), "AMX and VNNI give different bits");
    }

    private static String child(String isa) throws Exception {
        return IsaChild.run(Child.class, isa);
    }

    private static String line(String out, String prefix) {
        return out.lines().filter(l -> l.startsWith(prefix)).findFirst().orElse("no " + prefix + " in:\n" + out);
    }

    /** Runs in the child JVM: prints the kernel, the count checked and a digest of every output; exit 1 on a mismatch. */
    public static final class Child {
        public static void main(String[] args) {
            CpuBackend be = (CpuBackend) Backends.get("cpu");
            System.out.println("kernel " + be.int8GemmIsa());
            Random r = new Random(19);
            int checked = 0;
            long digest = 17;
            for (int m : ROWS)
                for (int[] kn : KN) {
                    Int8Reference.Case c = Int8Reference.Case.random(r, m, kn[0], kn[1], m % 3);
                    for (InputQuantization aq : new InputQuantization[]{InputQuantization.dynamic(), InputQuantization.of(0.03f, 70)}) {
                        boolean epi = (m + kn[0]) % 2 == 0;
                        float[] want = Int8Reference.reference(c, aq, epi, !epi, epi);
                        for (int threads = 1; threads <= 3; threads++) {
                            be.setThreads(threads);
                            float[] got = Int8Reference.run(be, c, aq, epi, !epi, epi);
                            for (int i = 0; i < want.length; i++)
                                if (Float.floatToIntBits(want[i]) != Float.floatToIntBits(got[i])) {
                                    System.out.println("mismatch m=" + m + " k=" + c.k() + " n=" + c.n() + " " + aq + " threads " + threads + " element "
                                            + i + ": " + got[i] + " expected " + want[i]);
                                    System.exit(1);
                                }
                            if (threads == 1) digest = digest * 31 + Arrays.hashCode(got);
                        }
                        checked++;
                    }
                }
            System.out.println("amx checked " + checked);
            System.out.println("digest " + digest);
        }
    }
}
