package dev.engine.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.engine.api.DType;
import dev.engine.api.DTypeException;
import dev.engine.api.contract.ScalarRef;
import org.junit.jupiter.api.Test;

/**
 * Autocast: products of F32 tensors on operands rounded to BF16 / F16 (forward and backward), against naive
 * double loops on operands rounded by an independent rule ({@link ScalarRef}); scopes nest and restore; the backward of a
 * product runs in the precision it was recorded with; F64 is never rounded.
 */
class AutocastTest {
    static double round(DType p, float x) { return p == DType.BF16 ? ScalarRef.roundBf16(x) : p == DType.F16 ? ScalarRef.roundF16(x) : x; }

    /** C[m x n] = op(A) op(B) in double on rounded operands; A is m x k (or k x m when ta), B k x n (or n x k). */
    static double[] product(DType p, float[] a, boolean ta, float[] b, boolean tb, int m, int n, int k) {
        double[] c = new double[m * n];
        for (int i = 0; i < m; i++)
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int q = 0; q < k; q++)
                    s += round(p, ta ? a[q * m + i] : a[i * k + q]) * round(p, tb ? b[j * k + q] : b[q * n + j]);
                c[i * n + j] = s;
            }
        return c;
    }

    static void close(double[] want, float[] got, double tol, String what) {
        assertEquals(want.length, got.length, what);
        for (int i = 0; i < want.length; i++)
            assertTrue(Math.abs(want[i] - got[i]) <= tol * (1 + Math.abs(want[i])), what + "[" + i + "]: " + want[i] + " vs " + got[i]);
    }

    /** How many entries differ by more than tol: rounding must show somewhere. */
    static int differing(double[] want, float[] got, double tol) {
        int d = 0;
        for (int i = 0; i < want.length; i++) if (Math.abs(want[i] - got[i]) > tol * (1 + Math.abs(want[i]))) d++;
        return d;
    }

    @Test void linearRoundsItsOperandsForwardAndBackward() {
        for (DType p : new DType[]{DType.BF16, DType.F16}) {
            try (MemoryScope s = MemoryScope.open()) {
                Generator g = new Generator(7);
                int m = 9, in = 70, out = 33;
                Tensor x = Tensor.randn(g, m, in).requiresGrad(true), w = Tensor.randn(g, out, in).requiresGrad(true);
                Tensor b = Tensor.randn(g, out).requiresGrad(true), up = Tensor.randn(g, m, out);
                Tensor y;
                try (Autocast a = Autocast.of(p)) {
                    y = Functional.linear(x, w, b);
                }
                float[] xs = x.toFloatArray(), ws = w.toFloatArray(), bs = b.toFloatArray(), ups = up.toFloatArray();
                double[] want = product(p, xs, false, ws, true, m, out, in);
                for (int i = 0; i < m; i++) for (int j = 0; j < out; j++) want[i * out + j] += bs[j];
                close(want, y.toFloatArray(), 1e-5, p + " linear forward");
                assertTrue(differing(product(null, xs, false, ws, true, m, out, in), y.toFloatArray(), 1e-4) > 0, p + ": nothing was rounded");

                y.backward(up);  // outside the scope: the recorded precision still applies
                close(product(p, ups, false, ws, false, m, in, out), x.grad().toFloatArray(), 1e-5, p + " dx");
                close(product(p, ups, true, xs, false, out, in, m), w.grad().toFloatArray(), 1e-5, p + " dW");
                double[] gb = new double[out];
                for (int i = 0; i < m; i++) for (int j = 0; j < out; j++) gb[j] += ups[i * out + j];
                close(gb, b.grad().toFloatArray(), 1e-5, p + " db (a sum, not a product: never rounded)");
            }
        }
    }

    @Test void batchedMatmulRounds() {
        try (MemoryScope s = MemoryScope.open()) {
            Generator g = new Generator(8);
            Tensor a = Tensor.randn(g, 3, 5, 40).requiresGrad(true), b = Tensor.randn(g, 3, 40, 6).requiresGrad(true);
            Tensor y;
            try (Autocast c = Autocast.bf16()) {
                y = a.matmul(b);
            }
            float[] as = a.toFloatArray(), bs = b.toFloatArray(), ys = y.toFloatArray();
            for (int i = 0; i < 3; i++) {
                float[] ai = java.util.Arrays.copyOfRange(as, i * 200, (i + 1) * 200), bi = java.util.Arrays.copyOfRange(bs, i * 240, (i + 1) * 240);
                close(product(DType.BF16, ai, false, bi, false, 5, 6, 40), java.util.Arrays.copyOfRange(ys, i * 30, (i + 1) * 30), 1e-5, "batch " + i);
            }
            y.sum().backward();
            float[] ones = new float[30];
            java.util.Arrays.fill(ones, 1);
            float[] ga = a.grad().toFloatArray();
            for (int i = 0; i < 3; i++) {
                float[] bi = java.util.Arrays.copyOfRange(bs, i * 240, (i + 1) * 240);
                close(product(DType.BF16, ones, false, bi, true, 5, 40, 6), java.util.Arrays.copyOfRange(ga, i * 200, (i + 1) * 200), 1e-5, "dA " + i);
            }
        }
    }

    @Test void conv2dRoundsItsOperandsForwardAndBackward() {
        try (MemoryScope s = MemoryScope.open()) {
            Generator g = new Generator(9);
            Tensor x = Tensor.randn(g, 2, 3, 9, 8).requiresGrad(true), w = Tensor.randn(g, 4, 3, 3, 3).requiresGrad(true);
            Tensor up = Tensor.randn(g, 2, 4, 9, 8);
            Tensor y;
            try (Autocast a = Autocast.bf16()) {
                y = Functional.conv2d(x, w, null, 1, 1);
            }
            y.backward(up);
            // the same convolution in F32 on tensors rounded here
            Tensor xr = Tensor.of(roundAll(x.toFloatArray()), x.shape()).requiresGrad(true);
            Tensor wr = Tensor.of(roundAll(w.toFloatArray()), w.shape()).requiresGrad(true);
            Tensor yr = Functional.conv2d(xr, wr, null, 1, 1);
            yr.backward(Tensor.of(roundAll(up.toFloatArray()), up.shape()));
            close(toDouble(yr.toFloatArray()), y.toFloatArray(), 1e-5, "conv forward");
            close(toDouble(xr.grad().toFloatArray()), x.grad().toFloatArray(), 1e-5, "conv dx");
            close(toDouble(wr.grad().toFloatArray()), w.grad().toFloatArray(), 1e-5, "conv dW");
        }
    }

    static float[] roundAll(float[] v) {
        float[] r = new float[v.length];
        for (int i = 0; i < v.length; i++) r[i] = (float) ScalarRef.roundBf16(v[i]);
        return r;
    }

    static double[] toDouble(float[] v) {
        double[] d = new double[v.length];
        for (int i = 0; i < v.length; i++) d[i] = v[i];
        return d;
    }

    @Test void aLongMixedPrecisionLoopDoesNotGrowNativeMemory() {
        Generator g = new Generator(11);
        Tensor w1 = MemoryScope.detach(Tensor.randn(g, 4, 1, 3, 3).requiresGrad(true));
        Tensor w2 = MemoryScope.detach(Tensor.randn(g, 10, 4 * 6 * 6).requiresGrad(true));
        Tensor x = MemoryScope.detach(Tensor.randn(g, 8, 1, 8, 8));
        long warm = -1;
        for (int step = 0; step < 30; step++) {
            try (MemoryScope s = MemoryScope.open()) {
                Tensor loss;
                try (Autocast a = step % 2 == 0 ? Autocast.bf16() : Autocast.f16()) {
                    Tensor h = Functional.conv2d(x, w1, null, 1, 0).relu().reshape(8, -1);
                    loss = Functional.linear(h, w2, null).square().mean();
                }
                loss.backward();
                w1.zeroGrad();
                w2.zeroGrad();
            }
            long live = Tensor.defaultBackend().memoryStats().liveBytes();
            if (step == 3) warm = live;
            if (step > 3) assertTrue(live <= warm, "native memory grew at step " + step + ": " + live + " > " + warm);
        }
    }

    @Test void scopesNestAndRestore() {
        assertNull(Autocast.precision());
        try (Autocast a = Autocast.bf16()) {
            assertEquals(DType.BF16, Autocast.precision());
            try (Autocast b = Autocast.disabled()) {
                assertNull(Autocast.precision());
                try (Autocast c = Autocast.f16()) {
                    assertEquals(DType.F16, Autocast.precision());
                }
                assertNull(Autocast.precision());
            }
            Autocast twice = Autocast.of(DType.F32);
            twice.close();
            twice.close();  // a second close changes nothing
            assertEquals(DType.BF16, Autocast.precision());
        }
        assertNull(Autocast.precision());
        DTypeException e = assertThrows(DTypeException.class, () -> Autocast.of(DType.I8));
        assertEquals("autocast: products run in BF16 or F16 (or F32 for none), not I8", e.getMessage());
    }

    @Test void backwardKeepsTheForwardPrecisionAndF64IsNeverRounded() {
        try (MemoryScope s = MemoryScope.open()) {
            Generator g = new Generator(10);
            Tensor x = Tensor.randn(g, 4, 50).requiresGrad(true), w = Tensor.randn(g, 6, 50).requiresGrad(true);
            Tensor y = Functional.linear(x, w, null);  // recorded in full precision
            try (Autocast a = Autocast.bf16()) {
                y.sum().backward();                       // ... so its backward stays F32 inside a scope
            }
            float[] ones = new float[24];
            java.util.Arrays.fill(ones, 1);
            close(product(null, ones, false, w.toFloatArray(), false, 4, 50, 6), x.grad().toFloatArray(), 1e-5, "full-precision dx");

            Tensor xd = x.detach().to(DType.F64), wd = w.detach().to(DType.F64);
            Tensor plain = Functional.linear(xd, wd, null), cast;
            try (Autocast a = Autocast.bf16()) {
                cast = Functional.linear(xd, wd, null);
            }
            assertArrayEquals(plain.toDoubleArray(), cast.toDoubleArray(), 0, "F64 products are not rounded");
        }
    }
}
