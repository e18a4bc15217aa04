package dev.engine.api.contract;

import static dev.engine.api.contract.BackendContract.test;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.engine.api.Backend;
import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.DType;
import dev.engine.api.DTypeException;
import dev.engine.api.EngineException;
import dev.engine.api.Layout;
import dev.engine.api.ShapeException;
import java.util.List;
import org.junit.jupiter.api.DynamicTest;

/**
 * Fused attention against a naive reference (scores, mask, softmax, weighted sum written out as loops):
 * plain, causal (square and rectangular), key padding (including a batch whose keys are all padding), heads
 * read in place from a packed [B, L, 3E] projection and written as [B, L, E], sizes off the vector width,
 * and its bad inputs.
 */
final class AttentionContract {
    private AttentionContract() {}

    /** A [B, H, L, D] view's element (b, h, i, d) of the double array behind it. */
    private static double at(double[] data, Layout l, int b, int h, int i, int d) {
        return data[(int) (l.offset() + b * l.stride(0) + h * l.stride(1) + i * l.stride(2) + d * l.stride(3))];
    }

    /** out[b][h][i][d] as a dense [B, H, Lq, Dv] array. */
    static double[] reference(double[] qd, Layout q, double[] kd, Layout k, double[] vd, Layout v, double[] pad, boolean causal, double scale) {
        int bn = (int) q.shape(0), hn = (int) q.shape(1), lq = (int) q.shape(2), dk = (int) q.shape(3), lk = (int) k.shape(2), dv = (int) v.shape(3);
        double[] out = new double[bn * hn * lq * dv];
        for (int b = 0; b < bn; b++) for (int h = 0; h < hn; h++) for (int i = 0; i < lq; i++) {
            double[] s = new double[lk];
            boolean[] seen = new boolean[lk];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < lk; j++) {
                seen[j] = !(causal && j > i) && (pad == null || pad[b * lk + j] == 0);
                if (!seen[j]) continue;
                double t = 0;
                for (int d = 0; d < dk; d++) t += at(qd, q, b, h, i, d) * at(kd, k, b, h, j, d);
                s[j] = t * scale;
                max = Math.max(max, s[j]);
            }
            double sum = 0;
            for (int j = 0; j < lk; j++) { s[j] = seen[j] ? Math.exp(s[j] - max) : 0; sum += s[j]; }
            for (int d = 0; d < dv; d++) {
                double t = 0;
                for (int j = 0; j < lk; j++) if (seen[j]) t += s[j] / sum * at(vd, v, b, h, j, d);
                out[((b * hn + h) * lq + i) * dv + d] = t;   // a query that sees nothing: sum 0, t stays 0
            }
        }
        return out;
    }

    /** Contiguous q/k/v of the given sizes, optional padding, checked against the reference. */
    private static void dense(Fx f, int bn, int hn, int lq, int lk, int dk, int dv, boolean causal, double[] pad) {
        for (DType dt : Fx.FLOATS) {
            Layout ql = Layout.contiguous(bn, hn, lq, dk), kl = Layout.contiguous(bn, hn, lk, dk), vl = Layout.contiguous(bn, hn, lk, dv);
            double[] q = f.random(dt, bn * hn * lq * dk), k = f.random(dt, bn * hn * lk * dk), v = f.random(dt, bn * hn * lk * dv);
            Buffer out = f.alloc(dt, bn * hn * lq * dv);
            double scale = 1 / Math.sqrt(dk);
            f.be.attention(new BufferView(f.buf(dt, q), ql), new BufferView(f.buf(dt, k), kl), new BufferView(f.buf(dt, v), vl),
                    pad == null ? null : f.buf(dt, pad), causal, scale, BufferView.of(out, bn, hn, lq, dv));
            String what = "attention " + dt + " [" + bn + "," + hn + "," + lq + "x" + lk + "," + dk + "->" + dv + "]" + (causal ? " causal" : "")
                    + (pad != null ? " padded" : "");
            Fx.close(reference(q, ql, k, kl, v, vl, pad, causal, scale), f.read(out), dt, 8, what);
        }
    }

    static List<DynamicTest> tests(Backend be) {
        return List.of(
                test(be, "attention without a mask, sizes on and off the vector width", f -> {
                    dense(f, 2, 3, 5, 7, 4, 6, false, null);
                    dense(f, 1, 2, 70, 37, 5, 3, false, null);
                    dense(f, 1, 1, 1, 1, 1, 1, false, null);
                    dense(f, 2, 1, 16, 64, 32, 32, false, null);
                }),
                test(be, "causal attention, square and rectangular", f -> {
                    dense(f, 2, 2, 9, 9, 8, 8, true, null);
                    dense(f, 1, 3, 4, 19, 3, 5, true, null);
                    dense(f, 1, 1, 40, 33, 16, 16, true, null);
                }),
                test(be, "key padding, one batch all padding (zero rows), with and without causal", f -> {
                    double[] pad = {0, 0, 1, 0, 1, 1, 1, 1, 1, 1};
                    dense(f, 2, 2, 3, 5, 4, 4, false, pad);
                    dense(f, 2, 2, 6, 5, 4, 4, true, pad);
                }),
                test(be, "heads read in place from a packed [B, L, 3E] projection, written as [B, L, E]", f -> {
                    int bn = 2, l = 11, hn = 4, d = 8, e = hn * d;
                    for (DType dt : Fx.FLOATS) {
                        double[] qkv = f.random(dt, bn * l * 3 * e);
                        Buffer in = f.buf(dt, qkv), out = f.alloc(dt, bn * l * e);
                        Layout head = new Layout(new long[]{bn, hn, l, d}, new long[]{(long) l * 3 * e, d, 3L * e, 1}, 0);
                        Layout outL = new Layout(new long[]{bn, hn, l, d}, new long[]{(long) l * e, d, e, 1}, 0);
                        for (boolean causal : new boolean[]{false, true}) {
                            f.be.attention(new BufferView(in, head), new BufferView(in, head.withOffset(e)), new BufferView(in, head.withOffset(2L * e)),
                                    null, causal, 0.3, new BufferView(out, outL));
                            double[] want = reference(qkv, head, qkv, head.withOffset(e), qkv, head.withOffset(2L * e), null, causal, 0.3);
                            double[] got = f.read(out), dense = new double[got.length];
                            for (int b = 0; b < bn; b++) for (int h = 0; h < hn; h++) for (int i = 0; i < l; i++) for (int c = 0; c < d; c++)
                                dense[((b * hn + h) * l + i) * d + c] = got[b * l * e + i * e + h * d + c];
                            Fx.close(want, dense, dt, 8, "packed attention " + dt + (causal ? " causal" : ""));
                        }
                    }
                }),
                test(be, "a NaN in q gives NaN in its rows, never a silent number", f -> {
                    double[] q = f.random(DType.F32, 8), k = f.random(DType.F32, 8), v = f.random(DType.F32, 8);
                    q[0] = Double.NaN;
                    Buffer out = f.alloc(DType.F32, 8);
                    f.be.attention(BufferView.of(f.buf(DType.F32, q), 1, 1, 2, 4), BufferView.of(f.buf(DType.F32, k), 1, 1, 2, 4),
                            BufferView.of(f.buf(DType.F32, v), 1, 1, 2, 4), null, false, 1, BufferView.of(out, 1, 1, 2, 4));
                    double[] got = f.read(out);
                    for (int d = 0; d < 4; d++) assertEquals(Double.NaN, got[d], 0, "row 0 col " + d);
                    for (int d = 4; d < 8; d++) assertEquals(false, Double.isNaN(got[d]), "row 1 col " + d);
                }),
                test(be, "bad inputs name the problem", f -> {
                    Buffer a = f.alloc(DType.F32, 64), o = f.alloc(DType.F32, 64);
                    BufferView q = BufferView.of(a, 1, 2, 4, 4), out = BufferView.of(o, 1, 2, 4, 4);
                    expect(ShapeException.class, "attention: q, k, v and out must be 4-D [batch, heads, seq, dim], got q [2, 4, 4], k [1, 2, 4, 4], "
                            + "v [1, 2, 4, 4], out [1, 2, 4, 4]", () -> f.be.attention(BufferView.of(a, 2, 4, 4), q, q, null, false, 1, out));
                    expect(ShapeException.class, "attention: q [1, 2, 4, 4], k [1, 2, 4, 3] and v [1, 2, 4, 4] must be [B, H, Lq, D], [B, H, Lk, D] and [B, H, Lk, Dv]",
                            () -> f.be.attention(q, BufferView.of(a, 1, 2, 4, 3), q, null, false, 1, out));
                    expect(ShapeException.class, "attention: out has shape [1, 2, 4, 2], expected [1, 2, 4, 4]",
                            () -> f.be.attention(q, q, q, null, false, 1, BufferView.of(o, 1, 2, 4, 2)));
                    Layout strided = new Layout(new long[]{1, 2, 4, 2}, new long[]{32, 16, 4, 2}, 0);
                    expect(ShapeException.class, "attention: k " + strided + " must have unit stride along its last axis",
                            () -> f.be.attention(BufferView.of(a, 1, 2, 4, 2), new BufferView(a, strided), BufferView.of(a, 1, 2, 4, 2), null, false, 1,
                                    BufferView.of(o, 1, 2, 4, 2)));
                    expect(ShapeException.class, "attention: out overlaps v; the output must not alias an input",
                            () -> f.be.attention(q, q, BufferView.of(o, 1, 2, 4, 4), null, false, 1, out));
                    expect(ShapeException.class, "attention: keyPadding holds 3 elements, needs 4",
                            () -> f.be.attention(q, q, q, f.alloc(DType.F32, 3), false, 1, out));
                    expect(DTypeException.class, "attention: keyPadding has dtype F64, expected F32",
                            () -> f.be.attention(q, q, q, f.alloc(DType.F64, 4), false, 1, out));
                    expect(DTypeException.class, "attention: q is F32 but v is F64",
                            () -> f.be.attention(q, q, BufferView.of(f.alloc(DType.F64, 32), 1, 2, 4, 4), null, false, 1, out));
                    expect(DTypeException.class, "attention: q has dtype I32, expected F32 or F64",
                            () -> f.be.attention(BufferView.of(f.alloc(DType.I32, 32), 1, 2, 4, 4), q, q, null, false, 1, out));
                    expect(EngineException.class, "attention: scale NaN must be finite", () -> f.be.attention(q, q, q, null, false, Double.NaN, out));
                    expect(EngineException.class, "attention: q is null", () -> f.be.attention(null, q, q, null, false, 1, out));
                    assertEquals(Double.NaN, f.read(o)[0], 0, "no bad call wrote the output");
                }));
    }

    private static void expect(Class<? extends EngineException> type, String message, org.junit.jupiter.api.function.Executable call) {
        EngineException e = assertThrows(type, call);
        assertEquals(type, e.getClass(), message);
        assertEquals(message, e.getMessage());
    }
}
