package dev.engine.cuda;

import static org.junit.jupiter.api.Assertions.*;

import dev.engine.api.Backend;
import dev.engine.api.BackendUnavailableException;
import dev.engine.api.Backends;
import dev.engine.api.DType;
import org.junit.jupiter.api.Test;

/**
 * Runs everywhere, GPU or not: the backend is discovered, its native library loads without killing the
 * JVM, and it either works or says why not, naming the CUDA error.
 */
class CudaAvailabilityTest {
    private static Backend cuda() {
        return Backends.all().stream().filter(b -> b.name().equals("cuda")).findFirst()
                .orElseThrow(() -> new AssertionError("cuda backend not discovered; found " + Backends.all()));
    }

    @Test
    void discoveredAndRankedAboveCpu() {
        Backend cuda = cuda();
        assertEquals(100, cuda.rank());
        assertSame(cuda, Backends.all().get(0), "highest rank first");
        assertTrue(Backends.all().stream().anyMatch(b -> b.name().equals("cpu")), "cpu backend is on the test class path");
    }

    @Test
    void loadsAndReportsAvailabilityWithReason() {
        Backend cuda = cuda();
        boolean available = cuda.isAvailable();   // must not throw, whatever the machine
        String reason = cuda.unavailableReason();
        System.out.println("cuda available=" + available + (available ? "; " + cuda.describe() : "; reason: " + reason));
        if (Parity.REQUIRE_CUDA) assertTrue(available, "engine.requireCuda is set: " + reason);
        if (available) {
            assertNull(reason);
            assertSame(cuda, Backends.get("cuda"));
            return;
        }
        assertNotNull(reason);
        assertFalse(reason.isBlank());
        // the library itself loaded: the reason comes from the CUDA runtime, not from a link error
        assertTrue(reason.startsWith("no CUDA driver/device: cudaGetDeviceCount"), reason);
        assertTrue(reason.matches(".*returned \\d+ \\(.+\\).*|.*found 0 devices.*"), reason);
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> Backends.get("cuda"));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    @Test
    void kernelsRefuseToRunWhenUnavailable() {
        Backend cuda = cuda();
        if (cuda.isAvailable()) return;
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> cuda.allocate(DType.F32, 4));
        assertTrue(e.getMessage().contains("cudaGetDeviceCount"), e.getMessage());
        assertThrows(BackendUnavailableException.class, cuda::synchronize);
        assertThrows(BackendUnavailableException.class, () -> ((CudaBackend) cuda).allocatorStats());
        assertThrows(BackendUnavailableException.class, () -> CudaGraph.capture((CudaBackend) cuda, () -> {}));
        assertThrows(BackendUnavailableException.class, () -> cuda.recordCall(null, 0, null, 0, () -> {}));
        assertThrows(BackendUnavailableException.class, () -> ((CudaBackend) cuda).pinnedStats());
    }

    @Test
    void preferredFallsBackToCpuWithoutGpu() {
        if (cuda().isAvailable()) return;
        if (System.getProperty(Backends.PROPERTY) != null || System.getenv(Backends.ENV) != null) return;
        assertEquals("cpu", Backends.preferred().name());
    }
}
