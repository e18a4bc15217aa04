package dev.engine.autograd;

import static org.junit.jupiter.api.Assertions.*;

import dev.engine.api.DType;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Forward values of tensor ops against naive Java loops. */
class TensorForwardTest {
    private static final double TOL = 1e-5;

    private static float[] seq(int n) {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) v[i] = (i * 7 % 11) - 5 + 0.25f * i;
        return v;
    }

    @Test void creation() {
        assertArrayEquals(new float[]{0, 0, 0}, Tensor.zeros(3).toFloatArray());
        assertArrayEquals(new float[]{2.5f, 2.5f}, Tensor.full(DType.F32, 2.5, 2).toFloatArray());
        assertArrayEquals(new float[]{1, 3, 5}, Tensor.arange(1, 6, 2).toFloatArray());
        assertArrayEquals(new float[]{0, 0.5f, 1}, Tensor.linspace(0, 1, 3).toFloatArray());
        assertArrayEquals(Tensor.randn(new Generator(3), 5).toFloatArray(), Tensor.randn(new Generator(3), 5).toFloatArray());
        float[] u = Tensor.uniform(new Generator(4), -2, 2, 1000).toFloatArray();
        for (float x : u) assertTrue(x >= -2 && x < 2);
        assertEquals(DType.I64, Tensor.ofLongs(new long[]{1, 2}, 2).dtype());
        assertEquals(3.0, Tensor.scalar(3).item());
    }

    @Test void broadcastArithmetic() {
        float[] a = seq(12), b = {1, 2, 3, 4};
        Tensor ta = Tensor.of(a, 3, 4), tb = Tensor.of(b, 4);
        float[] sum = ta.add(tb).toFloatArray(), prod = ta.mul(tb).toFloatArray(), q = ta.div(tb).toFloatArray();
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 4; j++) {
                assertEquals(a[i * 4 + j] + b[j], sum[i * 4 + j], TOL);
                assertEquals(a[i * 4 + j] * b[j], prod[i * 4 + j], TOL);
                assertEquals(a[i * 4 + j] / b[j], q[i * 4 + j], TOL);
            }
        Exception e = assertThrows(dev.engine.api.ShapeException.class, () -> ta.add(Tensor.zeros(3)));
        assertTrue(e.getMessage().contains("[3, 4]") && e.getMessage().contains("[3]"), e.getMessage());
    }

    @Test void activations() {
        float[] x = {-2, -0.5f, 0, 0.5f, 2};
        Tensor t = Tensor.of(x, 5);
        float[] relu = t.relu().toFloatArray(), sig = t.sigmoid().toFloatArray(), th = t.tanh().toFloatArray(),
                gelu = t.gelu().toFloatArray(), sp = t.softplus().toFloatArray(), lr = t.leakyRelu(0.1).toFloatArray();
        for (int i = 0; i < 5; i++) {
            assertEquals(Math.max(0, x[i]), relu[i], TOL);
            assertEquals(1 / (1 + Math.exp(-x[i])), sig[i], TOL);
            assertEquals(Math.tanh(x[i]), th[i], TOL);
            assertEquals(Math.log1p(Math.exp(x[i])), sp[i], TOL);
            assertEquals(x[i] > 0 ? x[i] : 0.1 * x[i], lr[i], TOL);
        }
        // gelu(1) = 0.8413447, gelu(-0.5) = -0.1542687 (erf form)
        assertEquals(-0.1542687, gelu[1], 1e-6);
        assertEquals(Tensor.of(new float[]{1}, 1).gelu().item(), 0.8413447, 1e-6);
    }

    @Test void mobileActivationsMatchPyTorch() {
        // F.relu6 / F.hardswish / F.silu of these points in PyTorch 1.13
        Tensor t = Tensor.of(new float[]{-4, -2, -0.5f, 0, 0.5f, 2, 4, 7, Float.NaN}, 9);
        double[][] want = {
            {0, 0, 0, 0, 0.5, 2, 4, 6},
            {0, -0.3333333, -0.2083333, 0, 0.2916667, 1.6666666, 4, 7},
            {-0.0719448, -0.2384058, -0.1887703, 0, 0.3112297, 1.7615941, 3.928055, 6.9936228}};
        float[][] got = {t.relu6().toFloatArray(), t.hardswish().toFloatArray(), t.silu().toFloatArray()};
        for (int f = 0; f < 3; f++) {
            for (int i = 0; i < 8; i++) assertEquals(want[f][i], got[f][i], 1e-6, "function " + f + " at " + i);
            assertTrue(Float.isNaN(got[f][8]), "NaN must stay NaN, function " + f);
        }
    }

    @Test void reductionsMatchLoops() {
        float[] a = seq(24);
        Tensor t = Tensor.of(a, 2, 3, 4);
        float[] s1 = t.sum(1, false).toFloatArray();
        float[] mx = t.max(2, false).toFloatArray();
        long[] am = t.argmax(2, false).toLongArray();
        for (int i = 0; i < 2; i++)
            for (int k = 0; k < 4; k++) {
                double s = 0;
                for (int j = 0; j < 3; j++) s += a[i * 12 + j * 4 + k];
                assertEquals(s, s1[i * 4 + k], 1e-4);
            }
        for (int r = 0; r < 6; r++) {
            float best = Float.NEGATIVE_INFINITY;
            int bi = -1;
            for (int k = 0; k < 4; k++) if (a[r * 4 + k] > best) { best = a[r * 4 + k]; bi = k; }
            assertEquals(best, mx[r], TOL);
            assertEquals(bi, am[r]);
        }
        double mean = 0;
        for (float v : a) mean += v;
        mean /= a.length;
        assertEquals(mean, t.mean().item(), 1e-4);
        double var = 0;
        for (float v : a) var += (v - mean) * (v - mean);
        assertEquals(var / (a.length - 1), t.flatten().var(0, false).item(), 1e-3);
        assertArrayEquals(new long[]{2, 1, 4}, t.sum(1, true).shape());
    }

    @Test void softmaxRowsSumToOne() {
        Tensor t = Tensor.of(seq(12), 3, 4);
        float[] s = t.softmax(1).toFloatArray(), ls = t.logSoftmax(1).toFloatArray();
        for (int r = 0; r < 3; r++) {
            double sum = 0;
            for (int j = 0; j < 4; j++) {
                sum += s[r * 4 + j];
                assertEquals(Math.log(s[r * 4 + j]), ls[r * 4 + j], 1e-5);
            }
            assertEquals(1.0, sum, 1e-6);
        }
    }

    @Test void matmulAgainstNaive() {
        float[] a = seq(2 * 3 * 4), b = seq(4 * 5);
        float[] c = Tensor.of(a, 2, 3, 4).matmul(Tensor.of(b, 4, 5)).toFloatArray();
        for (int n = 0; n < 2; n++)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 5; j++) {
                    double s = 0;
                    for (int k = 0; k < 4; k++) s += a[n * 12 + i * 4 + k] * b[k * 5 + j];
                    assertEquals(s, c[n * 15 + i * 5 + j], 1e-3);
                }
        // transposed view operand needs no copy and gives the same result as a contiguous one
        Tensor bt = Tensor.of(b, 4, 5).t().contiguous().t();
        assertArrayEquals(c, Tensor.of(a, 2, 3, 4).matmul(bt).toFloatArray(), 1e-4f);
        assertThrows(dev.engine.api.ShapeException.class, () -> Tensor.of(a, 6, 4).matmul(Tensor.of(a, 6, 4)));
    }

    @Test void viewsShareStorageAndCopyOnlyWhenNeeded() {
        Tensor t = Tensor.of(seq(6), 2, 3);
        Tensor tt = t.t();
        assertFalse(tt.isContiguous());
        assertSame(t.buffer(), tt.buffer());
        assertArrayEquals(new float[]{seq(6)[0], seq(6)[3], seq(6)[1], seq(6)[4], seq(6)[2], seq(6)[5]}, tt.toFloatArray());
        Tensor c = tt.contiguous();
        assertNotSame(t.buffer(), c.buffer());
        assertSame(t.buffer(), t.reshape(3, 2).buffer());
        assertArrayEquals(new float[]{seq(6)[3], seq(6)[4], seq(6)[5]}, t.select(0, 1).toFloatArray());
        assertArrayEquals(new long[]{2, 1, 3}, t.unsqueeze(1).shape());
        assertArrayEquals(new long[]{4, 2, 3}, t.expand(4, 2, 3).shape());
        float[] cat = Tensor.cat(List.of(t, t), 0).toFloatArray();
        assertEquals(12, cat.length);
        assertArrayEquals(new long[]{2, 2, 3}, Tensor.stack(List.of(t, t), 0).shape());
        assertArrayEquals(new float[]{seq(6)[3], seq(6)[4], seq(6)[5], seq(6)[0], seq(6)[1], seq(6)[2]},
                t.indexSelect(0, Tensor.ofLongs(new long[]{1, 0}, 2)).toFloatArray());
    }

    @Test void comparisonsAndWhere() {
        Tensor a = Tensor.of(new float[]{1, 5, 3}, 3), b = Tensor.of(new float[]{2, 2, 3}, 3);
        assertArrayEquals(new float[]{0, 1, 0}, a.gt(b).toFloatArray());
        assertArrayEquals(new float[]{0, 0, 1}, a.eq(b).toFloatArray());
        assertArrayEquals(new float[]{2, 5, 3}, Tensor.where(a.gt(b), a, b).toFloatArray());
        assertArrayEquals(new float[]{2, 5, 3}, a.maximum(b).toFloatArray());
        assertArrayEquals(new float[]{1, 4, 3}, a.clamp(Double.NaN, 4).toFloatArray());
    }

    @Test void dtypeConversion() {
        Tensor t = Tensor.of(new float[]{1.5f, -2.5f}, 2);
        assertArrayEquals(new double[]{1.5, -2.5}, t.to(DType.F64).toDoubleArray());
        assertArrayEquals(new long[]{1, -2}, t.to(DType.I64).toLongArray());
        assertThrows(dev.engine.api.DTypeException.class, () -> t.add(t.to(DType.F64)));
    }
}
