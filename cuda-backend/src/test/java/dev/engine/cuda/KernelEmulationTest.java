package dev.engine.cuda;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Runs our GEMM kernels (native/cuda/tiled_gemm.cuh, skinny_gemm.cuh) and the fused attention kernel
 * (attention.cuh) on the host kernel emulator (native/cuda/emu), so their tiling, edge handling, asynchronous
 * copies, warp exchanges and tensor-core fragment indexing are checked against double loops on every machine,
 * GPU or not (the GPU parity and contract tests then check the hardware agrees). Skipped
 * where the sources are not beside the tests (the GPU bundle) or no C++20 compiler is found.
 */
class KernelEmulationTest {
    private static final Path SOURCES = Path.of("..", "native", "cuda");

    @Test
    void gemmKernelsMatchDoubleLoops() throws IOException, InterruptedException {
        emulate("gemm_emu_test");
    }

    @Test
    void fusedAttentionMatchesTheCpuRule() throws IOException, InterruptedException {
        emulate("attention_emu_test");
    }

    /** Builds native/cuda/emu/NAME.cpp with the host's C++ compiler and runs it: exit 0 and "cases passed". */
    private static void emulate(String name) throws IOException, InterruptedException {
        Path test = SOURCES.resolve("emu").resolve(name + ".cpp");
        Assumptions.assumeTrue(Files.isRegularFile(test), "kernel sources not found at " + test.toAbsolutePath());
        Path dir = Files.createDirectories(Path.of("target", "kernel-emulation"));
        Path binary = dir.resolve(name);
        String compiler = System.getenv().getOrDefault("CXX", "g++");
        Run build = run(dir, List.of(compiler, "-std=c++20", "-O2", "-pthread", "-I", SOURCES.toAbsolutePath().toString(),
                test.toAbsolutePath().toString(), "-o", binary.toAbsolutePath().toString()), 300);
        Assumptions.assumeTrue(build.started, "no C++ compiler '" + compiler + "': " + build.output);
        assertEquals(0, build.exit, "building " + name + " failed:\n" + build.output);
        Run result = run(dir, List.of(binary.toAbsolutePath().toString()), 600);
        assertEquals(0, result.exit, "emulated kernels disagree with the reference:\n" + result.output);
        assertTrue(result.output.contains("cases passed"), result.output);
        System.out.println(name + ": " + result.output.lines().reduce((a, b) -> b).orElse(""));
    }

    private record Run(boolean started, int exit, String output) {}

    private static Run run(Path dir, List<String> command, long timeoutSeconds) throws IOException, InterruptedException {
        Process p;
        try {
            p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        } catch (IOException e) {
            return new Run(false, -1, e.getMessage());
        }
        // read while it runs, so a full pipe cannot stall it
        StringBuilder out = new StringBuilder();
        Thread reader = new Thread(() -> {
            try {
                out.append(new String(p.getInputStream().readAllBytes()));
            } catch (IOException ignored) {
                // the exit status reports the failure
            }
        });
        reader.start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            reader.join();
            fail(command.get(0) + " did not finish in " + timeoutSeconds + " s:\n" + out);
        }
        reader.join();
        return new Run(true, p.exitValue(), out.toString());
    }
}
