package dev.engine.inference.onnx;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Recognises the two attention patterns that reach the importer, anchored at their Softmax, and replaces
 * each by one internal node that converts to the fused attention op:
 * <ul>
 * <li>this engine's own export ({@code OnnxExporter}): per-head Reshape/Transpose of q, k, v (Slices of one
 * packed projection, or three values), MatMul, Mul by the scale, an optional additive causal mask, an
 * optional additive key-padding mask, Softmax, MatMul, Transpose, Reshape; becomes {@value #ATTENTION};</li>
 * <li>PyTorch 1.13's {@code nn.MultiheadAttention} with {@code batch_first=True} (also inside
 * {@code nn.TransformerEncoderLayer}): Transpose to sequence-first, MatMul + Add in-projection, three Slices,
 * Reshape to [L, B*H, D] and Transpose, Div by sqrt(D), MatMul, Softmax, MatMul, Transpose, Reshape, Gemm
 * out-projection, Reshape, Transpose back; becomes {@value #TORCH_MHA}, whose batch-dependent shape
 * arithmetic is then dead and dropped.</li>
 * </ul>
 * A key-padding mask is recognised as an additive term {@code Where(Cast<bool>(m'), -inf, 0)} (optionally
 * times 1, as PyTorch's baddbmm writes it) where m' is a graph input [B, Lk] seen through Reshape, Expand and
 * Unsqueeze only (which broadcast it over heads and queries, never reorder it); PyTorch feeds
 * {@code src_key_padding_mask} this way, our export too. The mask input then feeds the fused op, non-zero
 * meaning padding; a bool input is read as F32 0/1.
 * Inner values must be read only by the pattern; anything else leaves the nodes alone (and the import then
 * refuses what it cannot express, e.g. a transpose of the batch axis, by name).
 *
 * <pre>{@code
 * OnnxAttention.rewrite(c, softmax, drop, replace);   // from OnnxPatterns, per Softmax node
 * }</pre>
 */
final class OnnxAttention {
    /** Internal op types (no ONNX domain has them; they never leave the importer). */
    static final String ATTENTION = "engine.Attention", TORCH_MHA = "engine.TorchMultiheadAttention";

    private OnnxAttention() {}

    interface Ctx {
        OnnxProto.Node producer(String v);
        OnnxProto.Node sole(String v);
        double scalar(String v);
        ConstTensor constant(String v);
        /** The one reader of {@code v} that is not a Shape op, when every other reader is one, else null. */
        OnnxProto.Node main(String v);
        /** Whether {@code v} is a graph input (not an initializer). */
        boolean isInput(String v);
    }

    private static boolean is(OnnxProto.Node n, String op) { return n != null && n.opType().equals(op) && n.domain().isEmpty(); }

    private static boolean perm(OnnxProto.Node t, long... p) {
        if (!is(t, "Transpose") || !t.attributes().containsKey("perm")) return false;
        return java.util.Arrays.equals(t.attributes().get("perm").ints(), p);
    }

    private static String out(OnnxProto.Node n) { return n.outputs().get(0); }

    private static OnnxProto.Attribute intAttr(String name, long v) {
        return new OnnxProto.Attribute(name, 2, 0, v, null, null, new float[0], new long[0], new String[0]);
    }

    private static OnnxProto.Attribute floatAttr(String name, float v) {
        return new OnnxProto.Attribute(name, 1, v, 0, null, null, new float[0], new long[0], new String[0]);
    }

    /** Tries both patterns at {@code sm}; on a match fills {@code drop} and {@code replace}. */
    static void rewrite(Ctx c, OnnxProto.Node sm, Set<OnnxProto.Node> drop, Map<OnnxProto.Node, OnnxProto.Node> replace) {
        if (sm.inputs().size() != 1) return;
        OnnxProto.Attribute ax = sm.attributes().get("axis");
        if (ax != null && ax.i() != -1 && ax.i() != 2 && ax.i() != 3) return;
        if (!engine(c, sm, drop, replace)) torch(c, sm, drop, replace);
    }

    /** A causal mask constant [Lq, Lk] (or [1, Lq, Lk]): 0 where j <= i, -inf (or below -1e4) above. */
    private static boolean causalMask(ConstTensor m) {
        long[] s = m.shape();
        if (s.length < 2) return false;
        long lq = s[s.length - 2], lk = s[s.length - 1];
        if (m.size() != lq * lk) return false;
        for (int i = 0; i < lq; i++) for (int j = 0; j < lk; j++) {
            double v = m.get((int) (i * lk + j));
            if (j <= i ? v != 0 : !(v <= -1e4)) return false;
        }
        return true;
    }

    // ---- this engine's export ----

    private static boolean engine(Ctx c, OnnxProto.Node sm, Set<OnnxProto.Node> drop, Map<OnnxProto.Node, OnnxProto.Node> replace) {
        List<OnnxProto.Node> inner = new ArrayList<>(List.of(sm));
        OnnxProto.Node s = c.producer(sm.inputs().get(0));
        boolean causal = false;
        String pad = null;
        for (int round = 0; round < 2 && is(s, "Add") && c.sole(out(s)) == inner.get(inner.size() - 1); round++) {
            ConstTensor m = c.constant(s.inputs().get(1));
            List<OnnxProto.Node> chain = new ArrayList<>();
            String p = m == null && pad == null ? keyPadding(c, s.inputs().get(1), s, chain) : null;
            if (m != null && !causal && causalMask(m)) causal = true;
            else if (p != null) { pad = p; inner.addAll(chain); }
            else return false;
            inner.add(s);
            s = c.producer(s.inputs().get(0));
        }
        if (!is(s, "Mul") || c.sole(out(s)) != inner.get(inner.size() - 1)) return false;
        double scale = c.scalar(s.inputs().get(1));
        OnnxProto.Node mm1 = c.producer(s.inputs().get(0));
        if (Double.isNaN(scale) || !is(mm1, "MatMul") || c.sole(out(mm1)) != s) return false;
        inner.add(s);
        inner.add(mm1);
        Head q = head(c, mm1.inputs().get(0), mm1, new long[]{0, 2, 1, 3}), k = head(c, mm1.inputs().get(1), mm1, new long[]{0, 2, 3, 1});
        OnnxProto.Node mm2 = c.sole(out(sm));
        if (q == null || k == null || !is(mm2, "MatMul") || !mm2.inputs().get(0).equals(out(sm))) return false;
        Head v = head(c, mm2.inputs().get(1), mm2, new long[]{0, 2, 1, 3});
        OnnxProto.Node t = c.sole(out(mm2));
        OnnxProto.Node r = t == null ? null : c.sole(out(t));
        if (v == null || !perm(t, 0, 2, 1, 3) || !is(r, "Reshape") || q.heads != k.heads || q.heads != v.heads) return false;
        inner.addAll(List.of(mm2, t, r));
        inner.addAll(q.nodes);
        inner.addAll(k.nodes);
        inner.addAll(v.nodes);
        List<String> ins = new ArrayList<>(packed(c, q, k, v, inner));
        if (pad != null) ins.add(pad);
        drop.addAll(inner);
        Map<String, OnnxProto.Attribute> attrs = new HashMap<>();
        attrs.put("heads", intAttr("heads", q.heads));
        attrs.put("scale", floatAttr("scale", (float) scale));
        attrs.put("causal", intAttr("causal", causal ? 1 : 0));
        replace.put(r, new OnnxProto.Node(sm.name().isEmpty() ? "attention" : sm.name(), ATTENTION, "", ins, List.of(out(r)), attrs));
        return true;
    }

    /**
     * The graph input behind an additive key-padding term read by {@code user}: {@code [Mul(·, 1)] <- Where(cond,
     * s <= -1e4, 0) <- Cast(to bool) <- Reshape/Expand/Unsqueeze* <- input [B, Lk]}; the term's nodes are added to
     * {@code chain}. Null when {@code term} is anything else.
     */
    private static String keyPadding(Ctx c, String term, OnnxProto.Node user, List<OnnxProto.Node> chain) {
        OnnxProto.Node w = c.producer(term);
        if (is(w, "Mul") && c.main(term) == user && c.scalar(w.inputs().get(1)) == 1) {
            chain.add(w);
            user = w;
            w = c.producer(w.inputs().get(0));
        }
        if (!is(w, "Where") || w.inputs().size() != 3 || c.main(out(w)) != user || !(c.scalar(w.inputs().get(1)) <= -1e4) || !zero(c, w.inputs().get(2)))
            return null;
        chain.add(w);
        OnnxProto.Node cast = c.producer(w.inputs().get(0));
        if (!is(cast, "Cast") || attr(cast, "to", 0) != 9 || c.main(out(cast)) != w) return null;  // 9: BOOL, i.e. x != 0
        chain.add(cast);
        String v = cast.inputs().get(0);
        OnnxProto.Node r = c.producer(v), reader = cast;
        while (r != null && (is(r, "Reshape") || is(r, "Expand") || is(r, "Unsqueeze")) && c.main(v) == reader) {
            chain.add(r);
            reader = r;
            v = r.inputs().get(0);
            r = c.producer(v);
        }
        return r == null && c.constant(v) == null && c.isInput(v) ? v : null;
    }

    /** A zero: a scalar 0, or ConstantOfShape with no value or a 0 value (PyTorch's zeros_like of the mask). */
    private static boolean zero(Ctx c, String v) {
        if (c.scalar(v) == 0) return true;
        OnnxProto.Node z = c.producer(v);
        if (!is(z, "ConstantOfShape")) return false;
        OnnxProto.Attribute a = z.attributes().get("value");
        if (a == null || a.t() == null) return true;
        try {
            ConstTensor t = TensorData.decode(a.t(), null, "constant");
            return t.size() == 1 && t.get(0) == 0;
        } catch (RuntimeException e) {
            return false;
        }
    }

    /** One operand's heads: Transpose(perm) of Reshape(src, [0, L, H, D]) read only by {@code user}. */
    private record Head(String src, long heads, List<OnnxProto.Node> nodes) {}

    private static Head head(Ctx c, String v, OnnxProto.Node user, long[] p) {
        OnnxProto.Node t = c.producer(v);
        if (!perm(t, p) || c.sole(v) != user) return null;
        OnnxProto.Node r = c.producer(t.inputs().get(0));
        if (!is(r, "Reshape") || c.sole(out(r)) != t || r.inputs().size() < 2) return null;
        ConstTensor shape = c.constant(r.inputs().get(1));
        if (shape == null) return null;
        long[] s = shape.asLongs();
        if (s.length != 4 || s[0] != 0 || s[2] < 1) return null;
        return new Head(r.inputs().get(0), s[2], List.of(t, r));
    }

    /** [P] when q, k, v are the slices [0, E), [E, 2E), [2E, 3E) of P's last axis (the slices then dropped), else [q, k, v]. */
    private static List<String> packed(Ctx c, Head q, Head k, Head v, List<OnnxProto.Node> inner) {
        OnnxProto.Node[] sl = {c.producer(q.src), c.producer(k.src), c.producer(v.src)};
        String p = null;
        long e = -1;
        for (int i = 0; i < 3; i++) {
            OnnxProto.Node s = sl[i];
            if (!is(s, "Slice") || s.inputs().size() < 4 || s.inputs().size() > 5 || c.sole(out(s)) == null) return List.of(q.src, k.src, v.src);
            if (p == null) p = s.inputs().get(0);
            else if (!p.equals(s.inputs().get(0))) return List.of(q.src, k.src, v.src);
            ConstTensor st = c.constant(s.inputs().get(1)), en = c.constant(s.inputs().get(2)), ax = c.constant(s.inputs().get(3));
            ConstTensor step = s.inputs().size() > 4 ? c.constant(s.inputs().get(4)) : null;
            if (st == null || en == null || ax == null || st.size() != 1 || en.size() != 1 || ax.size() != 1 || ax.get(0) != 2
                    || s.inputs().size() > 4 && (step == null || step.size() != 1 || step.get(0) != 1)) return List.of(q.src, k.src, v.src);
            if (i == 0) e = (long) en.get(0);
            if (st.get(0) != i * e || en.get(0) != (i + 1) * e) return List.of(q.src, k.src, v.src);
        }
        inner.addAll(List.of(sl));
        return List.of(p);
    }

    // ---- PyTorch 1.13 nn.MultiheadAttention, batch_first ----

    private static void torch(Ctx c, OnnxProto.Node sm, Set<OnnxProto.Node> drop, Map<OnnxProto.Node, OnnxProto.Node> replace) {
        List<OnnxProto.Node> inner = new ArrayList<>(List.of(sm));
        OnnxProto.Node mm1 = c.producer(sm.inputs().get(0));
        boolean causal = false;
        String pad = null;
        if (is(mm1, "Add") && c.main(out(mm1)) == sm) {  // baddbmm(attn_mask, q, k^T)
            OnnxProto.Node add = mm1;
            int mi = c.constant(add.inputs().get(0)) != null ? 0 : 1;
            ConstTensor m = c.constant(add.inputs().get(mi));
            List<OnnxProto.Node> chain = new ArrayList<>();
            if (m != null) {
                if (!causalMask(m)) return;
                causal = true;
            } else if ((pad = keyPadding(c, add.inputs().get(mi = 1), add, chain)) == null
                    && (pad = keyPadding(c, add.inputs().get(mi = 0), add, chain = new ArrayList<>())) == null) return;
            inner.addAll(chain);
            inner.add(add);
            mm1 = c.producer(add.inputs().get(1 - mi));
            if (mm1 == null || c.main(out(mm1)) != add) return;
            if (is(mm1, "Mul") && c.scalar(mm1.inputs().get(1)) == 1) {  // baddbmm's beta-free alpha = 1
                OnnxProto.Node one = mm1;
                inner.add(one);
                mm1 = c.producer(one.inputs().get(0));
                if (mm1 == null || c.main(out(mm1)) != one) return;
            }
        } else if (c.main(out(mm1)) != sm) return;
        if (!is(mm1, "MatMul")) return;
        OnnxProto.Node div = c.producer(mm1.inputs().get(0));
        if (div == null || c.main(out(div)) != mm1 || div.inputs().size() != 2) return;
        double k0 = c.scalar(div.inputs().get(1));
        double scale = is(div, "Div") ? 1 / k0 : is(div, "Mul") ? k0 : Double.NaN;
        if (!(scale > 0)) return;
        OnnxProto.Node qt = c.producer(div.inputs().get(0)), kt = c.producer(mm1.inputs().get(1)), mm2 = c.main(out(sm));
        if (!perm(qt, 1, 0, 2) || c.main(out(qt)) != div || !perm(kt, 1, 2, 0) || c.main(out(kt)) != mm1) return;
        if (!is(mm2, "MatMul") || !mm2.inputs().get(0).equals(out(sm))) return;
        OnnxProto.Node vt = c.producer(mm2.inputs().get(1));
        if (!perm(vt, 1, 0, 2) || c.main(out(vt)) != mm2) return;
        OnnxProto.Node[] rs = new OnnxProto.Node[3], ss = new OnnxProto.Node[3];
        OnnxProto.Node[] ts = {qt, kt, vt};
        for (int i = 0; i < 3; i++) {
            rs[i] = c.producer(ts[i].inputs().get(0));
            if (!is(rs[i], "Reshape") || c.main(out(rs[i])) != ts[i]) return;
            ss[i] = c.producer(rs[i].inputs().get(0));
            if (!is(ss[i], "Slice") || c.main(out(ss[i])) != rs[i] || ss[i].inputs().size() < 3) return;
        }
        // q, k, v are consecutive slices of one projection: q starts at 0, k where q ends, v where k ends
        String proj = ss[0].inputs().get(0);
        if (!proj.equals(ss[1].inputs().get(0)) || !proj.equals(ss[2].inputs().get(0))) return;
        if (c.scalar(ss[0].inputs().get(1)) != 0 || !ss[1].inputs().get(1).equals(ss[0].inputs().get(2))
                || !ss[2].inputs().get(1).equals(ss[1].inputs().get(2))) return;
        OnnxProto.Node add = c.producer(proj);
        if (!is(add, "Add") || add.inputs().size() != 2) return;
        int bi = c.constant(add.inputs().get(0)) != null ? 0 : 1;
        String bias = add.inputs().get(bi);
        OnnxProto.Node mm = c.producer(add.inputs().get(1 - bi));
        if (c.constant(bias) == null || !is(mm, "MatMul") || c.main(out(mm)) != add) return;
        ConstTensor w = c.constant(mm.inputs().get(1));
        OnnxProto.Node xt = c.producer(mm.inputs().get(0));
        if (w == null || w.shape().length != 2 || w.shape()[1] != 3 * w.shape()[0] || !perm(xt, 1, 0, 2)) return;
        long e = w.shape()[0], d = Math.round(1 / (scale * scale));
        if (d < 1 || e % d != 0 || Math.abs(Math.sqrt(d) * scale - 1) > 1e-5) return;
        // out side: Transpose, Reshape, Gemm (or MatMul + Add), Reshape, Transpose back to batch-first
        OnnxProto.Node t4 = c.main(out(mm2));
        OnnxProto.Node r3 = t4 == null ? null : c.main(out(t4));
        OnnxProto.Node g = r3 == null ? null : c.main(out(r3));
        if (!perm(t4, 1, 0, 2) || !is(r3, "Reshape") || g == null) return;
        String wOut, bOut;
        boolean outTransposed;
        List<OnnxProto.Node> outNodes = new ArrayList<>(List.of(mm2, t4, r3, g));
        OnnxProto.Node last;
        if (is(g, "Gemm") && g.inputs().size() == 3 && g.inputs().get(0).equals(out(r3))) {
            if (attr(g, "transA", 0) != 0 || attrF(g, "alpha") != 1 || attrF(g, "beta") != 1) return;
            wOut = g.inputs().get(1);
            bOut = g.inputs().get(2);
            outTransposed = attr(g, "transB", 0) != 0;
            last = g;
        } else if (is(g, "MatMul") && g.inputs().get(0).equals(out(r3))) {
            OnnxProto.Node a2 = c.main(out(g));
            if (!is(a2, "Add")) return;
            wOut = g.inputs().get(1);
            bOut = a2.inputs().get(0).equals(out(g)) ? a2.inputs().get(1) : a2.inputs().get(0);
            outTransposed = false;
            outNodes.add(a2);
            last = a2;
        } else return;
        if (c.constant(wOut) == null || c.constant(bOut) == null) return;
        OnnxProto.Node r4 = c.main(out(last));
        OnnxProto.Node t5 = r4 == null ? null : c.main(out(r4));
        if (!is(r4, "Reshape") || !perm(t5, 1, 0, 2)) return;
        outNodes.addAll(List.of(r4, t5));
        inner.addAll(List.of(mm1, div, qt, kt, vt, add, mm, xt));
        inner.addAll(List.of(rs));
        inner.addAll(List.of(ss));
        inner.addAll(outNodes);
        drop.addAll(inner);
        Map<String, OnnxProto.Attribute> attrs = new HashMap<>();
        attrs.put("heads", intAttr("heads", e / d));
        attrs.put("scale", floatAttr("scale", (float) scale));
        attrs.put("causal", intAttr("causal", causal ? 1 : 0));
        attrs.put("outTransposed", intAttr("outTransposed", outTransposed ? 1 : 0));
        String name = sm.name().isEmpty() ? "self_attn" : sm.name().replaceAll("/Softmax.*$", "");
        List<String> ins = new ArrayList<>(List.of(xt.inputs().get(0), mm.inputs().get(1), bias, wOut, bOut));
        if (pad != null) ins.add(pad);
        replace.put(t5, new OnnxProto.Node(name, TORCH_MHA, "", ins, List.of(out(t5)), attrs));
    }

    private static long attr(OnnxProto.Node n, String name, long dflt) {
        OnnxProto.Attribute a = n.attributes().get(name);
        return a == null ? dflt : a.i();
    }

    private static float attrF(OnnxProto.Node n, String name) {
        OnnxProto.Attribute a = n.attributes().get(name);
        return a == null ? 1f : a.f();
    }
}
