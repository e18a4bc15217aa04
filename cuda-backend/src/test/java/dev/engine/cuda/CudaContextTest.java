package dev.engine.cuda;

import static org.junit.jupiter.api.Assertions.*;

import dev.engine.api.BackendUnavailableException;
import dev.engine.api.DType;
import dev.engine.api.Device;
import dev.engine.api.EngineException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Runs everywhere, GPU or not: the Java side of a {@link CudaContext}, a backend on a device that is not
 * there, and the native library's refusal of calls without a live context (no device is touched for those).
 */
class CudaContextTest {
    @BeforeAll
    static void loadNative() { CudaNative.load(); }

    @Test
    void closingTwiceDestroysOnceAndLeavesAClearError() {
        AtomicInteger destroyed = new AtomicInteger();
        CudaContext c = new CudaContext(0x1234, 3, h -> {
            assertEquals(0x1234, h);
            destroyed.incrementAndGet();
            return 0;
        });
        assertEquals(0x1234, c.handle());
        c.close();
        c.close();
        assertEquals(1, destroyed.get());
        assertTrue(c.isClosed());
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, c::handle);
        assertTrue(e.getMessage().contains("device 3") && e.getMessage().contains("closed"), e.getMessage());
        c.free(0x5678);  // a buffer closed after its context: nothing to free, no native call
        assertThrows(IllegalArgumentException.class, () -> new CudaContext(0, 0, h -> 0));
    }

    @Test
    void aMissingDeviceMakesAnUnavailableBackendThatClosesQuietly() {
        assertThrows(EngineException.class, () -> new CudaBackend(-1));
        CudaBackend b = new CudaBackend(64);
        assertEquals(Device.of("cuda", 64), b.device());
        assertEquals(64, b.deviceOrdinal());
        assertFalse(b.isAvailable());
        String reason = b.unavailableReason();
        assertNotNull(reason);
        if (CudaRuntime.failure() == null) assertTrue(reason.startsWith("no CUDA device 64"), reason);
        else assertEquals(CudaRuntime.failure(), reason);
        b.close();
        b.close();
        BackendUnavailableException e = assertThrows(BackendUnavailableException.class, () -> b.allocate(DType.F32, 4));
        assertTrue(e.getMessage().contains(reason), e.getMessage());
    }

    /** Handle 0 (and any non-context) is refused before any CUDA call, with the reason in the per-thread message. */
    @Test
    void callsWithoutAContextFailLoudly() {
        String unbound = "no CUDA context bound";
        assertEquals(CudaRuntime.MESSAGE, CudaNative.ecu_synchronize(0));
        assertEquals(unbound, CudaNative.ecu_error_message());
        assertEquals(0, CudaNative.ecu_alloc(0, 64));
        assertEquals(CudaRuntime.MESSAGE, CudaNative.ecu_last_alloc_error());
        assertEquals(CudaRuntime.MESSAGE, CudaNative.ecu_free(0, 0x1000));
        assertEquals(CudaRuntime.MESSAGE, CudaNative.ecu_gemm(0, 0));
        assertEquals(CudaRuntime.MESSAGE, CudaNative.ecu_elementwise(0, 0));
        assertEquals(CudaRuntime.MESSAGE, CudaNative.ecu_graph_begin(0));
        assertEquals(0, CudaNative.ecu_graph_end(0));
        assertEquals(CudaRuntime.MESSAGE, CudaNative.ecu_last_graph_error());
        assertEquals(Long.MIN_VALUE, CudaNative.ecu_check_indices(0, 0, 1, 1));
        assertEquals(0, CudaNative.ecu_call_create(0, 1, 1));
        assertEquals(CudaRuntime.MESSAGE, CudaNative.ecu_call_last_error());
        assertEquals(CudaRuntime.MESSAGE, CudaNative.ecu_context_destroy(0));
        assertEquals(unbound, CudaNative.ecu_describe(0));
        assertEquals(CudaRuntime.MESSAGE, CudaNative.ecu_skinny_gemm(0, 0));
        assertTrue(CudaNative.ecu_cublaslt_bench(0, 0) < 0);
        assertEquals(unbound, CudaNative.ecu_error_message());
        EngineException e = assertThrows(EngineException.class, () -> CudaRuntime.check("op", CudaNative.ecu_synchronize(0)));
        assertEquals("op: " + unbound, e.getMessage());
    }

    @Test
    void noContextWithoutADevice() {
        if (CudaRuntime.failure() == null) return;  // a GPU is here: CudaTwoContextsTest covers contexts
        assertEquals(0, CudaNative.ecu_context_create(0));
        assertTrue(CudaNative.ecu_error_message().startsWith("cudaSetDevice(0) failed: CUDA error "), CudaNative.ecu_error_message());
    }
}
