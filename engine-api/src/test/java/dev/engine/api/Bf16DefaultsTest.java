package dev.engine.api;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.contract.StubBackend;
import org.junit.jupiter.api.Test;

/** The SPI defaults of the BF16 calls: a backend without a BF16 kernel refuses them with a message naming it. */
class Bf16DefaultsTest {
    @Test void backendsWithoutABf16KernelSaySo() {
        StubBackend be = new StubBackend("stub", 1, true);
        Buffer w = be.foreignBuffer(DType.F32, 4);
        EngineException e = assertThrows(EngineException.class, () -> be.packMatrixBf16(w, 2, 2));
        assertTrue(e.getMessage().contains("stub backend has no BF16 GEMM kernel"), e.getMessage());
        assertThrows(ShapeException.class, () -> be.packMatrixBf16(w, 3, 2), "sizes are checked first");
        PackedMatrix p = new PackedMatrix(be.foreignBuffer(DType.I32, 4), 2, 2, "cpu-bf16-panel32x2");
        Buffer a = be.foreignBuffer(DType.F32, 2), c = be.foreignBuffer(DType.F32, 2);
        e = assertThrows(EngineException.class, () -> be.gemmBf16Packed(1, MatrixRef.of(a, 2), p, MatrixRef.of(c, 2), Epilogue.NONE));
        assertTrue(e.getMessage().contains("format"), e.getMessage());
    }
}
