package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.Backends;
import org.junit.jupiter.api.Test;

/**
 * Every variant of the int8 GEMM (AMX and VNNI where the CPU has them, AVX2, baseline) and of the int8
 * convolution (plane kernel with AVX-512 VNNI + VBMI, im2col), each in a child JVM with {@code ENGINE_CPU_ISA}
 * set (the default picks the widest), bit for bit against {@link Int8Reference}.
 */
class Int8IsaTest {
    @Test
    void everyVariantMatchesTheIntegerReference() throws Exception {
        String features = Backends.get("cpu").describe();
        for (String isa : new String[]{"", "avx512vnni", "avx2", "baseline"}) {
            String out = IsaChild.run(Child.class, isa);
            String expected = switch (isa) {
                case "" -> AmxInt8Test.amxUsable() && out.contains("kernel amx") ? "amx" : features.contains("avx512vnni") ? "avx512vnni" : features.contains("avx2") ? "avx2" : "baseline";
                case "avx512vnni" -> features.contains("avx512vnni") ? "avx512vnni" : features.contains("avx2") ? "avx2" : "baseline";
                case "avx2" -> features.contains("avx2") ? "avx2" : "baseline";
                default -> "baseline";
            };
            assertTrue(out.contains("kernel " + expected), "the child should run the " + expected + " kernel:\n" + out);
            assertTrue(out.contains("\nchecked " + 2 * Int8Reference.ROWS.length * Int8Reference.KN.length), out);
            assertTrue(out.contains("conv checked " + 2 * Int8Reference.CONVS.length), out);
            // the plane convolution kernel is AVX-512 only: the narrower variants check the im2col path alone
            if (expected.equals("avx2") || expected.equals("baseline")) assertTrue(out.contains("conv kernels im2col\n"), out);
        }
    }

    /** Runs in the child JVM: prints the kernel in use and the check's result; exit 1 on a mismatch. */
    public static final class Child {
        public static void main(String[] args) {
            CpuBackend be = (CpuBackend) Backends.get("cpu");
            be.setThreads(2);
            System.out.println("kernel " + be.int8GemmIsa());
            System.out.println("conv kernels " + CpuNative.engine_int8_conv_kernels());
            String result = Int8Reference.checkAll(be), conv = Int8Reference.checkConv(be);
            System.out.println(result);
            System.out.println(conv);
            if (!result.startsWith("checked") || !conv.startsWith("conv checked")) System.exit(1);
        }
    }
}
