package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.Backends;
import org.junit.jupiter.api.Test;

/**
 * Every variant of the BF16 GEMM (AMX tiles where the CPU and Linux allow them, vdpbf16ps where the CPU has
 * AVX512_BF16, the widening AVX2 and baseline fallbacks), each in a child JVM with {@code ENGINE_CPU_ISA} set
 * (unset: the widest, the one this JVM picked), against {@link Bf16Reference}.
 */
class Bf16IsaTest {
    @Test
    void everyVariantMatchesTheReference() throws Exception {
        String features = Backends.get("cpu").describe().split("; packed GEMM kernel")[0];  // the CPU features, not the kernels chosen
        String widest = ((CpuBackend) Backends.get("cpu")).bf16GemmIsa();
        for (String isa : new String[]{"", "avx512bf16", "avx2", "baseline"}) {
            String out = IsaChild.run(Child.class, isa);
            String expected = switch (isa) {
                case "" -> System.getenv("ENGINE_CPU_ISA") == null ? widest : features.contains("avx512bf16") ? "avx512bf16" : "avx2";
                case "avx512bf16" -> features.contains("avx512bf16") ? "avx512bf16" : features.contains("avx2") ? "avx2" : "baseline";
                case "avx2" -> features.contains("avx2") ? "avx2" : "baseline";
                default -> "baseline";
            };
            assertTrue(out.contains("kernel " + expected), "the child should run the " + expected + " kernel:\n" + out);
            assertTrue(out.contains("\nchecked " + Bf16Reference.ROWS.length * Bf16Reference.KN.length), out);
        }
    }

    /** Runs in the child JVM: prints the kernel in use and the check's result; exit 1 on a mismatch. */
    public static final class Child {
        public static void main(String[] args) {
            CpuBackend be = (CpuBackend) Backends.get("cpu");
            be.setThreads(2);
            System.out.println("kernel " + be.bf16GemmIsa());
            String result = Bf16Reference.checkAll(be);
            System.out.println(result);
            if (!result.startsWith("checked")) System.exit(1);
        }
    }
}
