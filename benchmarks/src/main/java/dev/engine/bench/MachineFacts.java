package dev.engine.bench;

import dev.engine.api.Backend;
import dev.engine.api.Backends;
import dev.engine.cpu.CpuBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

/** The facts every report opens with: CPU, cores, OpenBLAS core, environment, JVM, GPU, load. */
final class MachineFacts {
    private MachineFacts() {}

    static Map<String, String> collect() {
        Map<String, String> f = new LinkedHashMap<>();
        f.put("date (UTC)", Instant.now().truncatedTo(ChronoUnit.SECONDS).toString());
        Map<String, String> cpu = cpuInfo();
        f.put("CPU model", cpu.getOrDefault("model name", "unknown") + " (vendor " + cpu.getOrDefault("vendor_id", "?")
                + ", family " + cpu.getOrDefault("cpu family", "?") + ", model " + cpu.getOrDefault("model", "?") + ")");
        f.put("CPU MHz (/proc/cpuinfo)", cpu.getOrDefault("cpu MHz", "unknown"));
        String flags = " " + cpu.getOrDefault("flags", "") + " ";
        f.put("vector ISA", List.of("avx2", "fma", "avx512f", "avx512_vnni", "avx512_bf16").stream().filter(x -> flags.contains(" " + x + " "))
                .collect(Collectors.joining(" ")));
        int cores = Runtime.getRuntime().availableProcessors();
        f.put("logical CPUs visible to the JVM", Integer.toString(cores));
        try {
            CpuBackend be = (CpuBackend) Fixtures.backend("cpu");
            f.put("cores used (engine + OpenBLAS threads)", Integer.toString(be.threads()));
            f.put("OpenBLAS core (CpuBackend.openBlasCore())", be.openBlasCore());
            f.put("engine cpu backend", be.describe());
            double perCore = be.fmaPeakGflops(20);
            f.put("measured FP32 FMA peak", String.format("%.1f GFLOP/s per core x %d cores used = %.1f GFLOP/s (CpuBackend.fmaPeakGflops: "
                    + "16 independent %s FMA chains, no memory traffic)", perCore, be.threads(), perCore * be.threads(), be.packedGemmIsa()));
            double int8 = be.int8PeakGops(20);
            f.put("measured int8 peak", String.format("%.1f GOP/s per core x %d cores used = %.1f GOP/s (CpuBackend.int8PeakGops: "
                    + "16 independent %s chains, no memory traffic; a multiply-add counts 2)", int8, be.threads(), int8 * be.threads(), be.int8GemmIsa()));
            org.bytedeco.javacpp.Loader.load(org.bytedeco.openblas.global.openblas_nolapack.class);
            f.put("OpenBLAS libraries mapped", openBlasLibraries());
        } catch (RuntimeException e) {
            f.put("engine cpu backend", "unavailable: " + e.getMessage());
        }
        for (String v : List.of("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS"))
            f.put("env " + v, String.valueOf(System.getenv(v)));
        f.put("JVM", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + " (" + System.getProperty("java.vendor") + ")");
        f.put("OS", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
        f.put("GPU", gpu());
        f.put("backends found", Backends.all().stream().map(Backend::name).collect(Collectors.joining(", ")));
        f.put("load average at start (1/5/15 min)", loadAverage());
        return f;
    }

    /** File names of the OpenBLAS libraries this process mapped (engine and bytedeco may map separate copies). */
    static String openBlasLibraries() {
        try {
            return Files.readAllLines(Path.of("/proc/self/maps")).stream().map(l -> l.substring(l.lastIndexOf(' ') + 1))
                    .filter(p -> p.contains("libopenblas")).map(p -> Path.of(p).getFileName().toString()).distinct().sorted()
                    .collect(Collectors.joining(", "));
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    static String loadAverage() {
        try {
            String[] p = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return p[0] + " / " + p[1] + " / " + p[2];
        } catch (IOException | RuntimeException e) {
            return "unknown";
        }
    }

    /** Fields of the first processor in /proc/cpuinfo. */
    private static Map<String, String> cpuInfo() {
        Map<String, String> m = new LinkedHashMap<>();
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.isBlank()) break;
                int c = line.indexOf(':');
                if (c > 0) m.put(line.substring(0, c).trim(), line.substring(c + 1).trim());
            }
        } catch (IOException e) {
            m.put("model name", System.getProperty("os.arch"));
        }
        return m;
    }

    private static String gpu() {
        Path nv = Path.of("/proc/driver/nvidia/gpus");
        try {
            if (Files.isDirectory(nv)) {
                try (var s = Files.list(nv)) {
                    return s.map(p -> {
                        try {
                            return Files.readAllLines(p.resolve("information")).stream().filter(l -> l.startsWith("Model"))
                                    .map(l -> l.substring(l.indexOf(':') + 1).trim()).findFirst().orElse(p.getFileName().toString());
                        } catch (IOException e) {
                            return p.getFileName().toString();
                        }
                    }).collect(Collectors.joining(", "));
                }
            }
        } catch (IOException ignored) {
            // fall through
        }
        return Files.exists(Path.of("/dev/nvidia0")) ? "NVIDIA device present" : "none found";
    }
}
