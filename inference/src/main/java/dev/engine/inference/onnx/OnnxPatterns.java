package dev.engine.inference.onnx;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Rewrites the op patterns older exporters write for layers that later opsets have as one op, before
 * conversion: the Erf form of GELU ({@code x * 0.5 * (1 + erf(x / sqrt 2))}, either multiplication order)
 * in any association becomes one {@code Gelu}, and the ReduceMean/Sub/Pow/ReduceMean/Add/Sqrt/Div(/Mul/Add) form of layer
 * normalisation over the last axis becomes one {@code LayerNormalization}. A pattern matches only when every
 * inner value is read once (by the pattern) and its constants have the expected values; otherwise the
 * nodes are left alone (LayerNorm pieces still convert one by one; a lone Erf is refused by name).
 *
 * <pre>{@code
 * List<OnnxProto.Node> nodes = OnnxPatterns.rewrite(graph.nodes(), importer);
 * }</pre>
 */
final class OnnxPatterns {
    private OnnxPatterns() {}

    static List<OnnxProto.Node> rewrite(List<OnnxProto.Node> nodes, OnnxImporter im, String output) {
        Set<OnnxProto.Node> drop = java.util.Collections.newSetFromMap(new java.util.IdentityHashMap<>());
        Map<OnnxProto.Node, OnnxProto.Node> replace = new java.util.IdentityHashMap<>();
        Ctx c = new Ctx(im, nodes);
        for (OnnxProto.Node n : nodes) {
            if (drop.contains(n)) continue;
            if (n.opType().equals("Erf")) gelu(c, n, drop, replace);
            else if (n.opType().equals("ReduceMean")) layerNorm(c, n, drop, replace);
            else if (n.opType().equals("Softmax") && n.domain().isEmpty()) OnnxAttention.rewrite(c, n, drop, replace);
        }
        List<OnnxProto.Node> out = new ArrayList<>();
        for (OnnxProto.Node n : nodes) {
            if (replace.containsKey(n)) out.add(replace.get(n));
            else if (!drop.contains(n)) out.add(n);
        }
        return replace.isEmpty() ? out : live(out, output);
    }

    /**
     * The nodes the output depends on, in order: a fused attention leaves behind the shape arithmetic that
     * only its inner Reshapes read (PyTorch computes [L, B*H, D] from Shape ops), which must not run.
     */
    private static List<OnnxProto.Node> live(List<OnnxProto.Node> nodes, String output) {
        Set<String> needed = new java.util.HashSet<>(List.of(output));
        boolean[] keep = new boolean[nodes.size()];
        for (int i = nodes.size() - 1; i >= 0; i--) {
            OnnxProto.Node n = nodes.get(i);
            for (String o : n.outputs()) if (needed.contains(o)) keep[i] = true;
            if (keep[i]) needed.addAll(n.inputs());
        }
        List<OnnxProto.Node> out = new ArrayList<>();
        for (int i = 0; i < keep.length; i++) if (keep[i]) out.add(nodes.get(i));
        return out;
    }

    private record Ctx(OnnxImporter im, List<OnnxProto.Node> nodes) implements OnnxAttention.Ctx {
        @Override public OnnxProto.Node producer(String v) { return im.producers.get(v); }

        /** An initializer, also seen through Identity nodes (PyTorch's export shares equal initializers that way). */
        @Override public ConstTensor constant(String v) {
            for (int hops = 0; hops < 8; hops++) {
                ConstTensor k = im.constant(v);
                OnnxProto.Node p = k == null ? producer(v) : null;
                if (p == null || !p.opType().equals("Identity") || !p.domain().isEmpty() || p.inputs().isEmpty()) return k;
                v = p.inputs().get(0);
            }
            return null;
        }

        @Override public OnnxProto.Node main(String v) {
            List<OnnxProto.Node> cs = im.consumers.get(v);
            if (cs == null) return null;
            OnnxProto.Node m = null;
            int others = 0;
            for (OnnxProto.Node n : cs) {
                if (shapeOnly(n)) { others++; continue; }
                if (m != null && m != n) return null;
                m = n;
            }
            return m != null && im.usesOf(v) == others + 1 ? m : null;
        }

        /**
         * A reader that needs only {@code v}'s shape: a Shape op, or a Transpose read only by Shape ops (PyTorch 1.13
         * transposes k a second time just to take its length for the key-padding mask's shape).
         */
        private boolean shapeOnly(OnnxProto.Node n) {
            if (n.opType().equals("Shape")) return true;
            if (!n.opType().equals("Transpose") || n.outputs().size() != 1) return false;
            List<OnnxProto.Node> cs = im.consumers.get(n.outputs().get(0));
            if (cs == null || cs.size() != im.usesOf(n.outputs().get(0))) return false;
            for (OnnxProto.Node r : cs) if (!r.opType().equals("Shape")) return false;
            return true;
        }

        /** The only consumer of {@code v} when it is read exactly once, else null. */
        @Override public boolean isInput(String v) { return im.env.get(v) instanceof dev.engine.graph.Value && !im.producers.containsKey(v); }

        @Override public OnnxProto.Node sole(String v) {
            if (im.usesOf(v) != 1) return null;
            List<OnnxProto.Node> cs = im.consumers.get(v);
            return cs == null || cs.size() != 1 ? null : cs.get(0);
        }

        /** The value of a scalar constant (initializer or Constant node), or NaN. */
        @Override public double scalar(String v) {
            ConstTensor k = constant(v);
            if (k == null) {
                OnnxProto.Node p = producer(v);
                if (p != null && p.opType().equals("Constant") && p.attributes().containsKey("value") && p.attributes().get("value").t() != null) {
                    try { k = TensorData.decode(p.attributes().get("value").t(), null, "constant"); } catch (RuntimeException e) { return Double.NaN; }
                }
            }
            return k != null && k.size() == 1 ? k.get(0) : Double.NaN;
        }

        /** The other input of a two-input node, given one of them, or null. */
        String other(OnnxProto.Node n, String v) {
            if (n.inputs().size() != 2) return null;
            if (n.inputs().get(0).equals(v)) return n.inputs().get(1);
            if (n.inputs().get(1).equals(v)) return n.inputs().get(0);
            return null;
        }
    }

    private static boolean is(OnnxProto.Node n, String op) { return n != null && n.opType().equals(op) && n.domain().isEmpty(); }

    private static boolean near(double v, double want) { return Math.abs(v - want) <= 1e-4 * Math.abs(want); }

    private static void gelu(Ctx c, OnnxProto.Node erf, Set<OnnxProto.Node> drop, Map<OnnxProto.Node, OnnxProto.Node> replace) {
        if (erf.inputs().size() != 1 || erf.outputs().size() != 1) return;
        OnnxProto.Node scale = c.producer(erf.inputs().get(0));
        if (scale == null || c.sole(scale.outputs().get(0)) != erf || scale.inputs().size() != 2) return;
        String x = scale.inputs().get(0);
        double k = c.scalar(scale.inputs().get(1));
        if (!(is(scale, "Div") && near(k, Math.sqrt(2)) || is(scale, "Mul") && near(k, 1 / Math.sqrt(2)))) return;
        OnnxProto.Node add = c.sole(erf.outputs().get(0));
        if (!is(add, "Add") || !near(c.scalar(c.other(add, erf.outputs().get(0))), 1)) return;
        OnnxProto.Node m1 = c.sole(add.outputs().get(0));
        if (!is(m1, "Mul")) return;
        String o1 = c.other(m1, add.outputs().get(0));
        List<OnnxProto.Node> inner = new ArrayList<>(List.of(scale, erf, add, m1));
        OnnxProto.Node last;
        if (near(c.scalar(o1), 0.5)) { // x * ((1 + erf) * 0.5)
            last = c.sole(m1.outputs().get(0));
            if (!is(last, "Mul") || !x.equals(c.other(last, m1.outputs().get(0)))) return;
            inner.add(last);
        } else if (x.equals(o1)) { // (x * (1 + erf)) * 0.5
            last = c.sole(m1.outputs().get(0));
            if (!is(last, "Mul") || !near(c.scalar(c.other(last, m1.outputs().get(0))), 0.5)) return;
            inner.add(last);
        } else { // (x * 0.5) * (1 + erf)
            OnnxProto.Node half = c.producer(o1);
            if (!is(half, "Mul") || c.sole(o1) != m1 || !near(c.scalar(c.other(half, x)), 0.5)) return;
            inner.add(half);
            last = m1;
        }
        drop.addAll(inner);
        replace.put(last, new OnnxProto.Node(erf.name().isEmpty() ? "gelu" : erf.name(), "Gelu", "", List.of(x), List.of(last.outputs().get(0)), Map.of()));
    }

    private static boolean lastAxisMean(Ctx c, OnnxProto.Node r) {
        if (!is(r, "ReduceMean")) return false;
        OnnxProto.Attribute keep = r.attributes().get("keepdims");
        if (keep != null && keep.i() == 0) return false;
        long[] axes = r.attributes().containsKey("axes") ? r.attributes().get("axes").ints() : null;
        if (axes == null && r.inputs().size() > 1) {
            ConstTensor a = c.im().constant(r.inputs().get(1));
            axes = a == null ? null : a.asLongs();
        }
        return axes != null && axes.length == 1 && axes[0] == -1;
    }

    private static void layerNorm(Ctx c, OnnxProto.Node mean, Set<OnnxProto.Node> drop, Map<OnnxProto.Node, OnnxProto.Node> replace) {
        if (!lastAxisMean(c, mean)) return;
        String x = mean.inputs().get(0);
        OnnxProto.Node sub = c.sole(mean.outputs().get(0));
        if (!is(sub, "Sub") || sub.inputs().size() != 2 || !sub.inputs().get(0).equals(x) || !sub.inputs().get(1).equals(mean.outputs().get(0))) return;
        String d = sub.outputs().get(0);
        List<OnnxProto.Node> cs = c.im().consumers.get(d);
        if (cs == null || cs.size() != 2 || c.im().usesOf(d) != 2) return;
        OnnxProto.Node pow = is(cs.get(0), "Pow") ? cs.get(0) : cs.get(1), div = pow == cs.get(0) ? cs.get(1) : cs.get(0);
        if (!is(pow, "Pow") || !is(div, "Div") || !pow.inputs().get(0).equals(d) || !near(c.scalar(pow.inputs().get(1)), 2)) return;
        OnnxProto.Node var = c.sole(pow.outputs().get(0));
        if (!lastAxisMean(c, var)) return;
        OnnxProto.Node addEps = c.sole(var.outputs().get(0));
        if (!is(addEps, "Add")) return;
        double eps = c.scalar(c.other(addEps, var.outputs().get(0)));
        if (!(eps >= 0)) return;
        OnnxProto.Node sqrt = c.sole(addEps.outputs().get(0));
        if (!is(sqrt, "Sqrt") || c.sole(sqrt.outputs().get(0)) != div || !div.inputs().get(0).equals(d)) return;
        List<OnnxProto.Node> inner = new ArrayList<>(List.of(mean, sub, pow, var, addEps, sqrt, div));
        OnnxProto.Node last = div;
        String gamma = "", beta = "";
        OnnxProto.Node mul = c.sole(div.outputs().get(0));
        if (is(mul, "Mul") && c.im().constant(c.other(mul, div.outputs().get(0))) != null) {
            gamma = c.other(mul, div.outputs().get(0));
            inner.add(mul);
            last = mul;
            OnnxProto.Node add = c.sole(mul.outputs().get(0));
            if (is(add, "Add") && c.im().constant(c.other(add, mul.outputs().get(0))) != null) {
                beta = c.other(add, mul.outputs().get(0));
                inner.add(add);
                last = add;
            }
        }
        drop.addAll(inner);
        Map<String, OnnxProto.Attribute> attrs = Map.of("epsilon", new OnnxProto.Attribute("epsilon", 1, (float) eps, 0, null, null, new float[0], new long[0], new String[0]),
                "axis", new OnnxProto.Attribute("axis", 2, 0, -1, null, null, new float[0], new long[0], new String[0]));
        List<String> ins = new ArrayList<>(List.of(x, gamma));
        if (!beta.isEmpty()) ins.add(beta);
        replace.put(last, new OnnxProto.Node(mean.name().isEmpty() ? "layernorm" : mean.name(), "LayerNormalization", "", ins,
                List.of(last.outputs().get(0)), attrs));
    }
}
