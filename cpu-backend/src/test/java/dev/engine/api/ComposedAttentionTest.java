package dev.engine.api;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The composed attention (the fallback a backend without a fused kernel, such as CUDA today, runs) agrees
 * with the CPU's fused kernel, which the contract suite checks against a naive reference: no mask, causal,
 * key padding with one batch all padding, on strided heads of a packed projection, F32 and F64.
 */
class ComposedAttentionTest {
    private static final Backend BE = Backends.cpu();

    private static double[] run(boolean composed, DType dt, double[] qkv, double[] pad, boolean causal, int bn, int l, int heads, int d) {
        int e = heads * d;
        try (Buffer in = BE.allocate(dt, qkv.length); Buffer out = BE.allocate(dt, (long) bn * l * e);
             Buffer padding = pad == null ? null : BE.allocate(dt, pad.length)) {
            write(in, qkv);
            if (pad != null) write(padding, pad);
            Layout head = new Layout(new long[]{bn, heads, l, d}, new long[]{(long) l * 3 * e, d, 3L * e, 1}, 0);
            BufferView q = new BufferView(in, head), k = new BufferView(in, head.withOffset(e)), v = new BufferView(in, head.withOffset(2L * e));
            BufferView o = new BufferView(out, new Layout(new long[]{bn, heads, l, d}, new long[]{(long) l * e, d, e, 1}, 0));
            if (composed) ComposedAttention.run(BE, q, k, v, padding, causal, 1 / Math.sqrt(d), o);
            else BE.attention(q, k, v, padding, causal, 1 / Math.sqrt(d), o);
            double[] r = new double[bn * l * e];
            if (dt == DType.F64) BE.copyOut(out, 0, r, 0, r.length);
            else {
                float[] f = new float[r.length];
                BE.copyOut(out, 0, f, 0, f.length);
                for (int i = 0; i < f.length; i++) r[i] = f[i];
            }
            return r;
        }
    }

    private static void write(Buffer b, double[] x) {
        if (b.dtype() == DType.F64) { BE.copyIn(x, 0, b, 0, x.length); return; }
        float[] f = new float[x.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) x[i];
        BE.copyIn(f, 0, b, 0, f.length);
    }

    @Test
    void composedMatchesTheFusedKernel() {
        int bn = 2, l = 19, heads = 3, d = 8;
        Random r = new Random(3);
        double[] qkv = new double[bn * l * 3 * heads * d];
        for (int i = 0; i < qkv.length; i++) qkv[i] = r.nextGaussian();
        double[] pad = new double[bn * l];
        for (int j = 0; j < l; j++) pad[j] = 1;            // batch 0: every key is padding -> zeros
        for (int j = l - 5; j < l; j++) pad[l + j] = 1;    // batch 1: the last five keys are padding
        for (DType dt : new DType[]{DType.F32, DType.F64}) {
            double tol = dt == DType.F32 ? 2e-5 : 1e-12;
            for (boolean causal : new boolean[]{false, true}) {
                for (double[] p : new double[][]{null, pad}) {
                    String what = dt + (causal ? " causal" : "") + (p != null ? " padded" : "");
                    assertArrayEquals(run(false, dt, qkv, p, causal, bn, l, heads, d), run(true, dt, qkv, p, causal, bn, l, heads, d), tol, what);
                }
            }
        }
    }
}
