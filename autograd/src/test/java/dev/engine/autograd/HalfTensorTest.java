package dev.engine.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.DType;
import dev.engine.api.DTypeException;
import dev.engine.api.contract.ScalarRef;
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
                assertEquals((float) ScalarRef.roundBf16(x.toFloatArray()[i]), bv[i], 0, "bf16 " + i);
                assertEquals((float) ScalarRef.roundF16(x.toFloatArray()[i]), hv[i], 0, "f16 " + i);
            }
            float[] sum = b.add(b).toFloatArray();
            for (int i = 0; i < 4; i++) assertEquals((float) ScalarRef.roundBf16(bv[i] + bv[i]), sum[i], 0, "bf16 add " + i);
            Tensor total = h.sum();
            assertEquals(DType.F16, total.dtype());
            assertEquals(ScalarRef.roundF16((float) (hv[0] + hv[1] + hv[2] + hv[3])), total.item(), 0);
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

    @Test void productsOfHalfTensorsSumInF32AndRoundOnce() {
        try (MemoryScope s = MemoryScope.open()) {
            Generator g = new Generator(3);
            Tensor a = Tensor.randn(g, 5, 40).to(DType.BF16).requiresGrad(true), b = Tensor.randn(g, 40, 7).to(DType.BF16).requiresGrad(true);
            Tensor y = a.matmul(b);
            assertEquals(DType.BF16, y.dtype());
            float[] av = a.toFloatArray(), bv = b.toFloatArray(), yv = y.toFloatArray();
            for (int i = 0; i < 5; i++)
                for (int j = 0; j < 7; j++) {
                    double exact = 0;
                    for (int q = 0; q < 40; q++) exact += (double) av[i * 40 + q] * bv[q * 7 + j];
                    double want = ScalarRef.roundBf16((float) exact);
                    assertEquals(want, yv[i * 7 + j], Math.abs(want) * 0x1p-7 + 1e-6, "(" + i + ", " + j + ")");
                }
            y.sum().backward();
            assertEquals(DType.BF16, a.grad().dtype());
            float[] ga = a.grad().toFloatArray();
            for (int q = 0; q < 40; q++) {
                double rowSum = 0;
                for (int j = 0; j < 7; j++) rowSum += bv[q * 7 + j];
                assertEquals(ScalarRef.roundBf16((float) rowSum), ga[q], Math.abs(rowSum) * 0x1p-7 + 1e-6, "dA[0, " + q + "]");
            }
        }
    }

    @Test void aModelCastToBf16RunsItsLinearAndConvolutionLayers() {
        try (MemoryScope s = MemoryScope.open()) {
            Generator g = new Generator(4);
            Tensor x = Tensor.randn(g, 2, 1, 6, 6), w = Tensor.randn(g, 3, 1, 3, 3), b = Tensor.randn(g, 3);
            Tensor wl = Tensor.randn(g, 4, 48), bl = Tensor.randn(g, 4);
            Tensor ref = Functional.linear(Functional.conv2d(x, w, b, 1, 0).relu().reshape(2, 48), wl, bl);
            Tensor half = Functional.linear(Functional.conv2d(x.to(DType.BF16), w.to(DType.BF16), b.to(DType.BF16), 1, 0).relu().reshape(2, 48),
                    wl.to(DType.BF16), bl.to(DType.BF16));
            assertEquals(DType.BF16, half.dtype());
            float[] r = ref.toFloatArray(), h = half.toFloatArray();
            for (int i = 0; i < r.length; i++) assertEquals(r[i], h[i], 0.05 * (1 + Math.abs(r[i])), "output " + i);
            DTypeException e = assertThrows(DTypeException.class, () -> Functional.maxPool2d(x.to(DType.BF16), 2));
            assertTrue(e.getMessage().contains("BF16/F16 buffers are storage") && e.getMessage().contains("cast to F32"), e.getMessage());
        }
    }
}
