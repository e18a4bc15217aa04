package dev.engine.cuda;

import static org.junit.jupiter.api.Assertions.*;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs everywhere (the native library loads without a GPU): opening cuBLASLt from bad candidates gives a
 * reason naming each file and what was wrong, never a crash; on a GPU machine, what the backend reports.
 */
class CublasLtLoadTest {
    @BeforeAll
    static void loadNative() { CudaNative.load(); }

    @Test
    void missingFileIsAReason(@TempDir Path dir) {
        Path missing = dir.resolve("libcublasLt.so.13");
        String why = CublasLt.probe(List.of(missing), false);
        assertNotNull(why);
        assertTrue(why.contains("could not load libcublasLt.so.13") && why.contains(missing.toString()), why);
    }

    @Test
    void bogusFileIsAReason(@TempDir Path dir) throws IOException {
        Path bogus = Files.writeString(dir.resolve("libcublasLt.so.13"), "this is not an ELF file, just text long enough to be read");
        Path empty = Files.createFile(dir.resolve("empty.so"));
        String why = CublasLt.probe(List.of(bogus, empty), false);
        assertNotNull(why);
        assertTrue(why.contains(bogus + ": ") && why.contains(empty + ": "), "each candidate with its own error: " + why);
    }

    @Test
    void aLibraryWithoutTheSymbolsIsAReason() {
        Path libm = null;
        for (String d : new String[]{"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64", "/usr/lib64", "/lib/aarch64-linux-gnu"})
            if (Files.isRegularFile(Path.of(d, "libm.so.6"))) libm = Path.of(d, "libm.so.6");
        org.junit.jupiter.api.Assumptions.assumeTrue(libm != null, "no libm.so.6 in the usual folders");
        String why = CublasLt.probe(List.of(libm), false);
        assertNotNull(why);
        assertTrue(why.contains("symbol cublasLtCreate missing"), why);
    }

    @Test
    void noCandidatesIsAReason() {
        assertEquals("no candidate paths for libcublasLt.so.13", CublasLt.probe(List.of(), false));
    }

    /** With a GPU: the backend names the GEMM in use; where cuBLASLt loaded, the locator's files open too. */
    @Test
    void backendReportsWhichGemmRuns() {
        CudaBackend cuda = Parity.gpu();
        String lt = CudaRuntime.cublasLtFailure();
        String d = cuda.gemmDescription();
        System.out.println("GEMM: " + d);
        assertTrue(cuda.describe().contains("GEMM: "), cuda.describe());
        if (Parity.REQUIRE_CUBLASLT) assertNull(lt, "engine.requireCublasLt is set");
        if (lt == null) {
            assertTrue(d.startsWith("cuBLASLt "), d);
            assertTrue(CublasLt.loaded());
            assertNull(CublasLt.probe(CudaLibraryLocator.system().find(CublasLt.LIBRARY).found(), true));
        } else {
            assertTrue(d.contains(lt), d);
            dev.engine.api.BackendUnavailableException e = assertThrows(dev.engine.api.BackendUnavailableException.class,
                    () -> cuda.setGemmImplementation(GemmImplementation.CUBLASLT));
            assertTrue(e.getMessage().contains(lt), e.getMessage());
        }
        GemmImplementation before = cuda.gemmImplementation();
        try {
            cuda.setGemmImplementation(GemmImplementation.OWN);
            assertEquals(GemmImplementation.OWN, cuda.gemmImplementation());
            assertTrue(cuda.gemmDescription().startsWith("ours (mode OWN"), cuda.gemmDescription());
        } finally {
            cuda.setGemmImplementation(before);
        }
    }
}
