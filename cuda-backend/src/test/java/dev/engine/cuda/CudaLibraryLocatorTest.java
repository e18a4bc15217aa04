package dev.engine.cuda;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs everywhere: the search order over fake CUDA installations in a temporary file-system root. */
class CudaLibraryLocatorTest {
    private static final String LIB = CublasLt.LIBRARY;

    private static Path lib(Path dir) throws IOException {
        Files.createDirectories(dir);
        return Files.writeString(dir.resolve(LIB), "not really a library");
    }

    private static CudaLibraryLocator locator(Path root, Map<String, String> env, Map<String, String> props) {
        return new CudaLibraryLocator(env::get, props::get, root);
    }

    @Test
    void findsEveryInstallationInSearchOrder(@TempDir Path root) throws IOException {
        Path prop = lib(root.resolve("opt/mine"));
        Path home = lib(root.resolve("opt/cuda-home/lib64"));
        Path targets13 = lib(root.resolve("usr/local/cuda-13.0/targets/x86_64-linux/lib"));
        Path lib64_12 = lib(root.resolve("usr/local/cuda-12.8/lib64"));
        Path lib64_12_10 = lib(root.resolve("usr/local/cuda-12.10/lib64"));
        Path ld = lib(root.resolve("opt/ld"));
        Path wheel = lib(root.resolve("venv/lib/python3.12/site-packages/nvidia/cu13/lib"));
        Path sysWheel = lib(root.resolve("usr/local/lib/python3.11/dist-packages/nvidia/cublas/lib"));
        Path distro = lib(root.resolve("usr/lib/x86_64-linux-gnu"));
        Files.createDirectories(root.resolve("opt/empty"));
        Map<String, String> env = new HashMap<>();
        env.put("CUDA_HOME", root.resolve("opt/cuda-home").toString());
        env.put("LD_LIBRARY_PATH", root.resolve("opt/empty") + java.io.File.pathSeparator + root.resolve("opt/ld"));
        env.put("VIRTUAL_ENV", root.resolve("venv").toString());
        CudaLibraryLocator.Search s = locator(root, env, Map.of("engine.cuda.libdir", prop.getParent().toString())).find(LIB);
        assertEquals(List.of(prop, home, targets13, lib64_12_10, lib64_12, ld, wheel, sysWheel, distro), s.found());
        assertTrue(s.searched().contains(root.resolve("opt/empty").toAbsolutePath()), "an existing folder without the file is still searched");
    }

    @Test
    void aLinkedInstallationIsOneCandidate(@TempDir Path root) throws IOException {
        Path real = lib(root.resolve("usr/local/cuda-13.0/targets/x86_64-linux/lib"));
        Files.createSymbolicLink(root.resolve("usr/local/cuda"), root.resolve("usr/local/cuda-13.0"));
        CudaLibraryLocator.Search s = locator(root, Map.of(), Map.of()).find(LIB);
        assertEquals(1, s.found().size(), s.toString());
        assertEquals(real.toRealPath(), s.found().get(0).toRealPath());
    }

    @Test
    void nothingFoundNamesWhereItLooked(@TempDir Path root) throws IOException {
        Files.createDirectories(root.resolve("usr/local/cuda-13.0/lib64"));
        Files.createDirectories(root.resolve("elsewhere"));
        CudaLibraryLocator.Search s = locator(root, Map.of("CUDA_PATH", root.resolve("elsewhere").toString(), "CUDA_HOME", root.resolve("missing").toString()),
                Map.of()).find(LIB);
        assertTrue(s.found().isEmpty());
        String why = s.notFoundReason();
        assertTrue(why.startsWith(LIB + " not found in ["), why);
        assertTrue(why.contains(root.resolve("usr/local/cuda-13.0/lib64").toString()), why);
        assertFalse(why.contains("missing"), "folders that do not exist are not listed: " + why);

        CudaLibraryLocator.Search none = locator(root.resolve("empty-root"), Map.of(), Map.of()).find(LIB);
        assertTrue(none.found().isEmpty());
        assertEquals(LIB + " not found in any folder (none to search)", none.notFoundReason());
    }

    @Test
    void versionsCompareByNumber() {
        assertTrue(CudaLibraryLocator.compareVersions("cuda-12.10", "cuda-12.9") > 0);
        assertTrue(CudaLibraryLocator.compareVersions("cuda-13.0", "cuda-12.8") > 0);
        assertTrue(CudaLibraryLocator.compareVersions("python3.9", "python3.12") < 0);
        assertEquals(0, CudaLibraryLocator.compareVersions("x86_64-linux", "x86_64-linux"));
        assertTrue(CudaLibraryLocator.compareVersions("cuda-13", "cuda-13.0") < 0);
    }

    @Test
    void parsesTheGemmProperty() {
        assertEquals(GemmImplementation.AUTO, GemmImplementation.parse(null));
        assertEquals(GemmImplementation.AUTO, GemmImplementation.parse(" Auto "));
        assertEquals(GemmImplementation.CUBLASLT, GemmImplementation.parse("cublas"));
        assertEquals(GemmImplementation.CUBLASLT, GemmImplementation.parse("CUBLASLT"));
        assertEquals(GemmImplementation.OWN, GemmImplementation.parse("own"));
        dev.engine.api.EngineException e = assertThrows(dev.engine.api.EngineException.class, () -> GemmImplementation.parse("fast"));
        assertTrue(e.getMessage().contains("engine.cuda.gemm=fast") && e.getMessage().contains("auto, cublas, own"), e.getMessage());
    }
}
