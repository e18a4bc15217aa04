package dev.engine.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Runs a test's {@code main} class in a child JVM with {@code ENGINE_CPU_ISA} set (null or empty: unset),
 * so the narrower kernel variants an AVX-512 machine never picks get tested; the ISA is chosen once per process.
 */
final class IsaChild {
    private IsaChild() {}

    /** The child's output (stdout and stderr); fails the test when it exits non-zero. */
    static String run(Class<?> main, String isa) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        ProcessBuilder pb = new ProcessBuilder(List.of(java, "-cp", System.getProperty("java.class.path"), main.getName()));
        if (isa != null && !isa.isEmpty()) pb.environment().put("ENGINE_CPU_ISA", isa);
        else pb.environment().remove("ENGINE_CPU_ISA");
        pb.redirectErrorStream(true);
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertEquals(0, p.waitFor(), out);
        return out;
    }
}
