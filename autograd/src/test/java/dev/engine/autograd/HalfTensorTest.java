package dev.engine.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.DType;
import dev.engine.api.DTypeException;
import org.junit.jupiter.api.Test;

/** BF16 / F16 tensors: casts, elementwise ops and reductions (computed in F32, rounded once), gradients through them. */
class HalfTensorTest {
    @Test void castsRoundAndOpsComputeInF32() {
        try (MemoryScope s = MemoryScope.open()) {
            Tensor x = Tensor.of(new float[]{1.0f, 0.1f, 300.7f, -2e-3f}, 4);
            Tensor b = x.to(DType.BF16), h = x.to(DType.F16);
            assertEquals(DType.BF16, b.dtype());
            float[] bv = b.toFloatArray(), hv = h.toFloatArray();
            for (int i = 0; i < 4; i++) {
                assertEquals((float) AutocastTest.bf16(x.toFloatArray()[i]), bv[i], 0, "bf16 " + i);
                assertEquals((float) AutocastTest.f16(x.toFloatArray()[i]), hv[i], 0, "f16 " + i);
            }
            float[] sum = b.add(b).toFloatArray();
            for (int i = 0; i < 4; i++) assertEquals((float) AutocastTest.bf16(bv[i] + bv[i]), sum[i], 0, "bf16 add " + i);
            Tensor total = h.sum();
            assertEquals(DType.F16, total.dtype());
            assertEquals(AutocastTest.f16((float) (hv[0] + hv[1] + hv[2] + hv[3])), total.item(), 0);
            assertArrayEquals(new float[]{0.5f, 0.5f}, Tensor.full(DType.BF16, 0.5, 2).toFloatArray(), 0f);
        }
    }

    @Test void gradientsFlowThroughHalfTensors() {
        try (MemoryScope s = MemoryScope.open()) {
            Tensor x = Tensor.of(new float[]{1.5f, -2f, 0.25f}, 3).requiresGrad(true);
            x.to(DType.BF16).mul(3).sum().backward();
            assertEquals(DType.F32, x.grad().dtype());
            assertArrayEquals(new float[]{3, 3, 3}, x.grad().toFloatArray(), 0f);
        }
    }

    @Test void productsOfHalfTensorsSayHowToRunThem() {
        try (MemoryScope s = MemoryScope.open()) {
            Tensor a = Tensor.of(new float[]{1, 2, 3, 4}, 2, 2).to(DType.BF16);
            DTypeException e = assertThrows(DTypeException.class, () -> a.matmul(a));
            assertTrue(e.getMessage().contains("BF16/F16 buffers are storage") && e.getMessage().contains("cast to F32"), e.getMessage());
        }
    }
}
