package dev.engine.nn;

import static org.junit.jupiter.api.Assertions.*;

import dev.engine.api.DType;
import dev.engine.autograd.Generator;
import dev.engine.autograd.GradCheck;
import dev.engine.autograd.GradMode;
import dev.engine.autograd.MemoryScope;
import dev.engine.autograd.Tensor;
import org.junit.jupiter.api.Test;

/** MultiHeadAttention's output against a plain-loop implementation of PyTorch's definition. */
class AttentionReferenceTest {
    /** x [B, L, E] row-major; w [3E, E]; returns [B, Lq, E] before the output projection is applied by the caller. */
    static double[] reference(double[] q, double[] kv, int b, int lq, int lk, int e, int h, double[] w, double[] bias,
                              double[] ow, double[] ob, boolean causal, double[] pad) {
        int d = e / h;
        double[] out = new double[b * lq * e];
        for (int bi = 0; bi < b; bi++) {
            double[][] Q = proj(q, bi, lq, e, w, bias, 0), K = proj(kv, bi, lk, e, w, bias, e), V = proj(kv, bi, lk, e, w, bias, 2 * e);
            double[][] ctx = new double[lq][e];
            for (int hi = 0; hi < h; hi++) {
                for (int i = 0; i < lq; i++) {
                    double[] s = new double[lk];
                    double mx = Double.NEGATIVE_INFINITY;
                    for (int j = 0; j < lk; j++) {
                        double dot = 0;
                        for (int t = 0; t < d; t++) dot += Q[i][hi * d + t] * K[j][hi * d + t];
                        s[j] = dot / Math.sqrt(d);
                        if ((causal && j > i) || (pad != null && pad[bi * lk + j] != 0)) s[j] = Double.NEGATIVE_INFINITY;
                        mx = Math.max(mx, s[j]);
                    }
                    double z = 0;
                    for (int j = 0; j < lk; j++) { s[j] = Math.exp(s[j] - mx); z += s[j]; }
                    for (int j = 0; j < lk; j++) for (int t = 0; t < d; t++) ctx[i][hi * d + t] += s[j] / z * V[j][hi * d + t];
                }
            }
            for (int i = 0; i < lq; i++) for (int o = 0; o < e; o++) {
                double acc = ob[o];
                for (int t = 0; t < e; t++) acc += ctx[i][t] * ow[o * e + t];
                out[(bi * lq + i) * e + o] = acc;
            }
        }
        return out;
    }

    static double[][] proj(double[] x, int bi, int l, int e, double[] w, double[] bias, int rowOff) {
        double[][] r = new double[l][e];
        for (int i = 0; i < l; i++) for (int o = 0; o < e; o++) {
            double acc = bias[rowOff + o];
            for (int t = 0; t < e; t++) acc += x[(bi * l + i) * e + t] * w[(rowOff + o) * e + t];
            r[i][o] = acc;
        }
        return r;
    }

    @Test void selfAndCrossAttentionMatchReference() {
        int b = 2, lq = 3, lk = 4, e = 6, h = 3;
        MultiHeadAttention mha = new MultiHeadAttention(e, h, 0, new Generator(3));
        mha.to(DType.F64);
        try (MemoryScope s = MemoryScope.open(); GradMode ng = GradMode.noGrad()) {
            // non-zero biases so every term is exercised
            mha.stateDict().get("in_proj_bias").copyFrom(Tensor.of(GradCheck.random(4, 3 * e), 3 * e));
            mha.stateDict().get("out_proj.bias").copyFrom(Tensor.of(GradCheck.random(5, e), e));
            double[] w = mha.stateDict().get("in_proj_weight").toDoubleArray(), bias = mha.stateDict().get("in_proj_bias").toDoubleArray();
            double[] ow = mha.stateDict().get("out_proj.weight").toDoubleArray(), ob = mha.stateDict().get("out_proj.bias").toDoubleArray();
            double[] q = GradCheck.random(6, b * lq * e), kv = GradCheck.random(7, b * lk * e);
            Tensor tq = Tensor.of(q, b, lq, e), tkv = Tensor.of(kv, b, lk, e);
            assertArrayEquals(reference(q, q, b, lq, lq, e, h, w, bias, ow, ob, false, null), mha.forward(tq).toDoubleArray(), 1e-12);
            assertArrayEquals(reference(q, q, b, lq, lq, e, h, w, bias, ow, ob, true, null),
                    mha.forward(tq, tq, tq, null, null, true).toDoubleArray(), 1e-12);
            double[] pad = {0, 0, 1, 1, 0, 1, 0, 0};
            assertArrayEquals(reference(q, kv, b, lq, lk, e, h, w, bias, ow, ob, false, pad),
                    mha.forward(tq, tkv, tkv, Tensor.of(pad, b, lk), null, false).toDoubleArray(), 1e-12);
            assertArrayEquals(reference(q, kv, b, lq, lk, e, h, w, bias, ow, ob, true, pad),
                    mha.forward(tq, tkv, tkv, Tensor.of(pad, b, lk), null, true).toDoubleArray(), 1e-12);
        }
    }
}
