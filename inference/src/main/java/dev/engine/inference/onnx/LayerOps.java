package dev.engine.inference.onnx;

import dev.engine.graph.Tracer;
import dev.engine.graph.Value;
import java.util.Arrays;
import java.util.List;

/**
 * Layer ops: MatMul/Gemm (a constant weight becomes a Linear, a following constant bias add is absorbed),
 * Conv, MaxPool/AveragePool with their padding rules, BatchNormalization, LayerNormalization,
 * Softmax/LogSoftmax on any non-batch axis, and last-axis ReduceMean/ReduceSum as a GEMM with a constant column.
 *
 * <pre>{@code
 * layers.bind(node);
 * layers.conv(inputs);
 * }</pre>
 */
final class LayerOps extends OnnxNodeContext {
    LayerOps(OnnxImporter im) { super(im); }


    /** x @ B with constant B [k, n]: a Linear with weight B^T (a following constant bias add is absorbed). */
    void matmul(Object a, Object b) {
        if (a instanceof ConstTensor ca && b instanceof ConstTensor cb) throw unsupported("a product of two constants is not folded");
        if (a instanceof Value va && b instanceof Value vb) { out(im.named(n).matmul(va, vb)); return; }
        if (!(a instanceof Value x) || !(b instanceof ConstTensor w)) throw unsupported("a constant left operand is not supported");
        if (w.rank() != 2 || w.isInt()) throw unsupported("constant right operand " + Arrays.toString(w.shape()) + " must be a 2-D float matrix");
        linear(x, transpose2(w.f(), w.shape()[0], w.shape()[1]), w.shape()[1], w.shape()[0], null);
    }

    /** The fused attention of this engine's export: one packed input or q, k, v (see {@link OnnxAttention}). */
    void attention(List<Object> ins) {
        long heads = attrInt("heads", Long.MIN_VALUE);
        double scale = attrFloat("scale", 1);
        boolean causal = attrInt("causal", 0) != 0;
        // 2 or 4 inputs: the last is a key-padding mask (a model input), as in the IR's ATTENTION node
        Value pad = ins.size() % 2 == 0 ? dyn(ins, ins.size() - 1) : null;
        if (ins.size() <= 2) out(im.named(n).attention(dyn(ins, 0), pad, heads, scale, causal));
        else out(im.named(n).attention(dyn(ins, 0), dyn(ins, 1), dyn(ins, 2), pad, heads, scale, causal));
    }

    /**
     * PyTorch's batch-first multi-head self-attention (see {@link OnnxAttention}): x [B, L, E], the in-projection
     * as MatMul weight [E, 3E] and bias [3E], the out-projection weight ([out, in] when transposed, as Gemm's
     * transB=1 holds it) and bias, and optionally a key-padding mask input [B, L]; traced as in-projection, fused
     * attention, out-projection.
     */
    void torchMultiheadAttention(List<Object> ins) {
        Value x = dyn(ins, 0);
        ConstTensor win = k(ins, 1), bin = k(ins, 2), wout = k(ins, 3), bout = k(ins, 4);
        long e = win.shape()[0];
        if (x.rank() != 3 || x.dim(2) != e || bin.size() != 3 * e || wout.rank() != 2 || wout.shape()[0] != e || wout.shape()[1] != e || bout.size() != e)
            throw unsupported("attention of input " + Arrays.toString(x.shape()) + " with projections " + Arrays.toString(win.shape()) + " and "
                    + Arrays.toString(wout.shape()) + " does not fit");
        String base = n.name();
        Value qkv = im.tracer.named(base + ".in_proj").linear(x, transpose2(win.f(), e, 3 * e), 3 * e, e, bin.f());
        Value pad = ins.size() > 5 ? dyn(ins, 5) : null;  // src_key_padding_mask, when the pattern had one
        Value ctx = im.tracer.named(base + ".attention").attention(qkv, pad, attrInt("heads", Long.MIN_VALUE), attrFloat("scale", 1), attrInt("causal", 0) != 0);
        float[] wo = attrInt("outTransposed", 0) != 0 ? wout.asFloats().clone() : transpose2(wout.f(), e, e);
        out(im.tracer.named(base + ".out_proj").linear(ctx, wo, e, e, bout.f()));
    }

    void gemm(List<Object> ins) {
        Value x = dyn(ins, 0);
        ConstTensor b = k(ins, 1);
        ConstTensor c = ins.size() > 2 && ins.get(2) != null ? k(ins, 2) : null;
        if (attrInt("transA", 0) != 0) throw unsupported("transA=1 on a graph value is not supported");
        if (x.rank() != 2 || b.rank() != 2) throw unsupported("operands must be 2-D");
        float alpha = attrFloat("alpha", 1), beta = attrFloat("beta", 1);
        boolean transB = attrInt("transB", 0) != 0;
        long out = transB ? b.shape()[0] : b.shape()[1], in = transB ? b.shape()[1] : b.shape()[0];
        float[] w = transB ? b.asFloats().clone() : transpose2(b.asFloats(), in, out);
        if (alpha != 1) for (int i = 0; i < w.length; i++) w[i] *= alpha;
        float[] bias = null;
        if (c != null) {
            if (c.size() != out && c.size() != 1) throw unsupported("C " + Arrays.toString(c.shape()) + " must broadcast over the " + out + " outputs only");
            bias = new float[(int) out];
            for (int i = 0; i < out; i++) bias[i] = beta * (float) c.get(c.size() == 1 ? 0 : i);
        }
        linear(x, w, out, in, bias);
    }

    void linear(Value x, float[] w, long out, long in, float[] bias) {
        if (x.dim(-1) != in) throw unsupported("input " + Arrays.toString(x.shape()) + " does not end in " + in + " features");
        String y = n.outputs().get(0);
        if (bias == null && im.usesOf(y) == 1) { // absorb Add(y, bias[out])
            List<OnnxProto.Node> cs = im.consumers.get(y);
            OnnxProto.Node add = cs == null || cs.size() != 1 ? null : cs.get(0);
            if (add != null && add.opType().equals("Add") && add.inputs().size() == 2 && add.domain().isEmpty()) {
                String other = add.inputs().get(0).equals(y) ? add.inputs().get(1) : add.inputs().get(0);
                ConstTensor bc = im.constant(other);
                if (bc != null && !bc.isInt() && bc.size() == out && (bc.rank() == 1 || (bc.rank() == 2 && bc.shape()[0] == 1 && x.rank() == 2))) {
                    bias = bc.f();
                    im.absorbed.add(add);
                    Value v = im.named(n).linear(x, w, out, in, bias);
                    out(v);
                    im.env.put(add.outputs().get(0), v);
                    return;
                }
            }
        }
        out(im.named(n).linear(x, w, out, in, bias));
    }

    static float[] transpose2(float[] a, long rows, long cols) {
        float[] t = new float[a.length];
        for (int r = 0; r < rows; r++) for (int c = 0; c < cols; c++) t[(int) (c * rows + r)] = a[(int) (r * cols + c)];
        return t;
    }

    void conv(List<Object> ins) {
        Value x = dyn(ins, 0);
        ConstTensor w = k(ins, 1);
        ConstTensor b = ins.size() > 2 && ins.get(2) != null ? k(ins, 2) : null;
        if (x.rank() != 4 || w.rank() != 4) throw unsupported("only 2-D convolution (NCHW input, 4-D weight) is supported, got " + Arrays.toString(x.shape()));
        long[] ws = w.shape();
        long[] ks = attrInts("kernel_shape");
        if (ks != null && (ks.length != 2 || ks[0] != ws[2] || ks[1] != ws[3])) throw unsupported("kernel_shape " + Arrays.toString(ks) + " differs from the weight");
        long[] st = pair("strides", 1), dl = pair("dilations", 1);
        long[] pads = pads(x.shape(), new long[]{ws[2], ws[3]}, st, dl);
        long g = attrInt("group", 1);
        out(im.named(n).conv2d(x, w.asFloats(), ws, b == null ? null : b.asFloats(), ints(st), ints(pads), ints(dl), (int) g));
    }

    /** ConvTranspose (2-D): weight [C_in, C_out/group, kh, kw]; padding from pads, auto_pad or output_shape (symmetric only). */
    void convTranspose(List<Object> ins) {
        Value x = dyn(ins, 0);
        ConstTensor w = k(ins, 1);
        ConstTensor b = ins.size() > 2 && ins.get(2) != null ? k(ins, 2) : null;
        if (x.rank() != 4 || w.rank() != 4) throw unsupported("only 2-D transposed convolution (NCHW input, 4-D weight) is supported, got " + Arrays.toString(x.shape()));
        long[] ws = w.shape();
        long[] ks = attrInts("kernel_shape");
        if (ks != null && (ks.length != 2 || ks[0] != ws[2] || ks[1] != ws[3])) throw unsupported("kernel_shape " + Arrays.toString(ks) + " differs from the weight");
        long[] st = pair("strides", 1), dl = pair("dilations", 1);
        long[] opad = attrInts("output_padding");
        if (opad == null) opad = new long[]{0, 0};
        if (opad.length != 2 || opad[0] < 0 || opad[1] < 0 || opad[0] > 1 << 20 || opad[1] > 1 << 20)
            throw unsupported("output_padding " + Arrays.toString(opad) + " must be 2 non-negative ints");
        long[] outShape = attrInts("output_shape");
        String auto = attrString("auto_pad", "NOTSET");
        long[] pads;
        if (outShape != null || auto.startsWith("SAME")) {
            if (outShape != null && outShape.length != 2) throw unsupported("output_shape " + Arrays.toString(outShape) + " must have 2 entries (H, W)");
            pads = new long[2];
            for (int i = 0; i < 2; i++) {
                long in = x.dim(2 + i), want = outShape != null ? outShape[i] : in * st[i];
                long total = st[i] * (in - 1) + opad[i] + (ws[2 + i] - 1) * dl[i] + 1 - want;
                if (total < 0 || total % 2 != 0)
                    throw unsupported("output size " + want + " needs " + (total < 0 ? "negative" : "asymmetric") + " padding (" + total + "), which is not supported");
                pads[i] = total / 2;
            }
        } else if (auto.equals("NOTSET") || auto.equals("VALID")) {
            pads = auto.equals("VALID") ? new long[]{0, 0} : pads(x.shape(), new long[]{ws[2], ws[3]}, st, dl);
        } else throw unsupported("auto_pad '" + auto + "'");
        long g = attrInt("group", 1);
        if (g < 1 || g > 1 << 20) throw unsupported("group " + g + " out of range");
        out(im.named(n).convTranspose2d(x, w.asFloats(), ws, b == null ? null : b.asFloats(), ints(st), ints(pads), ints(opad), ints(dl), (int) g));
    }

    void pool(boolean max, Value x) {
        if (x.rank() != 4) throw unsupported("only 2-D pooling (NCHW) is supported, got " + Arrays.toString(x.shape()));
        long[] k = attrInts("kernel_shape");
        if (k == null || k.length != 2) throw unsupported("kernel_shape must have 2 entries");
        if (attrInt("ceil_mode", 0) != 0) throw unsupported("ceil_mode=1 is not supported");
        long[] dl = pair("dilations", 1);
        if (dl[0] != 1 || dl[1] != 1) throw unsupported("dilated pooling is not supported");
        if (max && n.outputs().size() > 1 && im.usesOf(n.outputs().get(1)) > 0) throw unsupported("the Indices output is not supported");
        long[] st = pair("strides", 1);
        long[] p = pads(x.shape(), k, st, dl);
        Tracer t = im.named(n);
        if (k[0] != k[1] || st[0] != st[1] || p[0] != p[1])
            throw unsupported("non-square pooling windows, strides or pads are not supported");
        out(max ? t.maxPool2d(x, (int) k[0], (int) st[0], (int) p[0])
                : t.avgPool2d(x, (int) k[0], (int) st[0], (int) p[0], attrInt("count_include_pad", 0) != 0));
    }

    long[] pair(String name, long dflt) {
        long[] v = attrInts(name);
        if (v == null) return new long[]{dflt, dflt};
        if (v.length != 2 || v[0] < 1 || v[1] < 1 || v[0] > 1 << 20 || v[1] > 1 << 20) throw unsupported("'" + name + "' " + Arrays.toString(v) + " must be 2 positive ints");
        return v;
    }

    /** Symmetric (top, left) padding from pads or auto_pad; asymmetric padding is refused by name. */
    long[] pads(long[] x, long[] k, long[] st, long[] dl) {
        String auto = attrString("auto_pad", "NOTSET");
        long[] p = attrInts("pads");
        switch (auto) {
            case "NOTSET" -> {
                if (p == null) return new long[]{0, 0};
                if (p.length != 4) throw unsupported("pads " + Arrays.toString(p) + " must have 4 entries");
                for (long v : p) if (v < 0 || v > 1 << 20) throw unsupported("pads " + Arrays.toString(p) + " out of range");
                if (p[0] != p[2] || p[1] != p[3]) throw unsupported("asymmetric pads " + Arrays.toString(p) + " are not supported");
                return new long[]{p[0], p[1]};
            }
            case "VALID" -> { return new long[]{0, 0}; }
            case "SAME_UPPER", "SAME_LOWER" -> {
                long[] r = new long[2];
                for (int i = 0; i < 2; i++) {
                    long in = x[2 + i], out = (in + st[i] - 1) / st[i];
                    long total = Math.max(0, (out - 1) * st[i] + (k[i] - 1) * dl[i] + 1 - in);
                    if (total % 2 != 0) throw unsupported("auto_pad " + auto + " needs asymmetric padding here, which is not supported");
                    r[i] = total / 2;
                }
                return r;
            }
            default -> throw unsupported("auto_pad '" + auto + "'");
        }
    }

    static int[] ints(long[] v) { return new int[]{(int) v[0], (int) v[1]}; }

    void batchNorm(List<Object> ins) {
        Value x = dyn(ins, 0);
        if (attrInt("training_mode", 0) != 0) throw unsupported("training_mode=1 is not supported (inference only)");
        for (int i = 1; i < n.outputs().size(); i++) if (im.usesOf(n.outputs().get(i)) > 0) throw unsupported("running-statistics outputs are not supported");
        double eps = attrFloat("epsilon", 1e-5f);
        long c = x.rank() > 1 ? x.dim(1) : -1;
        ConstTensor[] p = new ConstTensor[4];
        for (int i = 0; i < 4; i++) {
            p[i] = k(ins, i + 1);
            if (p[i].size() != c) throw unsupported("parameter " + (i + 1) + " has " + p[i].size() + " values for " + c + " channels");
        }
        out(im.named(n).batchNorm(x, p[0].asFloats(), p[1].asFloats(), p[2].asFloats(), p[3].asFloats(), eps));
    }

    void layerNorm(List<Object> ins) {
        Value x = dyn(ins, 0);
        long axis = attrInt("axis", -1);
        if (ConstOps.axis(axis, x.rank(), what) != x.rank() - 1) throw unsupported("normalising from axis " + axis + " (not the last) is not supported");
        for (int i = 1; i < n.outputs().size(); i++) if (im.usesOf(n.outputs().get(i)) > 0) throw unsupported("the Mean/InvStdDev outputs are not supported");
        ConstTensor g = ins.size() > 1 && ins.get(1) != null ? k(ins, 1) : null, b = ins.size() > 2 && ins.get(2) != null ? k(ins, 2) : null;
        long d = x.dim(-1);
        float[] gamma = g == null ? null : broadcastTo(g, d, "scale"), beta = b == null ? null : broadcastTo(b, d, "bias");
        out(im.named(n).layerNorm(x, gamma, beta, attrFloat("epsilon", 1e-5f)));
    }

    float[] broadcastTo(ConstTensor c, long d, String name) {
        if (c.size() == d) return c.asFloats();
        if (c.size() == 1) { float[] r = new float[(int) d]; Arrays.fill(r, (float) c.get(0)); return r; }
        throw unsupported(name + " has " + c.size() + " values for a last axis of " + d);
    }

    void softmax(boolean log, Value x) {
        int ax = ConstOps.axis(attrInt("axis", -1), x.rank(), what), last = x.rank() - 1;
        Tracer t = im.named(n);
        if (ax == last) { out(log ? t.logSoftmax(x) : t.softmax(x)); return; }
        if (ax == 0) throw unsupported("softmax over the batch axis is not supported");
        long[] perm = new long[x.rank()]; // swap the axis with the last, normalise, swap back
        for (int i = 0; i < perm.length; i++) perm[i] = i;
        perm[ax] = last;
        perm[last] = ax;
        Value p = t.permute(x, perm);
        out(t.permute(log ? t.logSoftmax(p) : t.softmax(p), perm));
    }

    /** Mean/sum over the last axis (keepdims) as a GEMM with a constant column; over H,W of NCHW as global pooling. */
    void reduce(boolean mean, List<Object> ins) {
        Object x = arg(ins, 0);
        long[] axes = attrInts("axes");
        if (axes == null && ins.size() > 1 && ins.get(1) != null) axes = k(ins, 1).asLongs();
        boolean keep = attrInt("keepdims", 1) != 0;
        if (!(x instanceof Value v)) throw unsupported("reducing constants is not folded");
        if (axes == null || axes.length == 0) throw unsupported("reducing every axis (including the batch) is not supported");
        int r = v.rank();
        long[] ax = axes.clone();
        for (int i = 0; i < ax.length; i++) ax[i] = ConstOps.axis(ax[i], r, what);
        Arrays.sort(ax);
        Tracer t = im.named(n);
        if (ax.length == 1 && ax[0] == r - 1 && keep && r >= 2) {
            long d = v.dim(-1);
            float[] w = new float[(int) d];
            Arrays.fill(w, mean ? 1f / d : 1f);
            out(t.linear(v, w, 1, d, null));
            return;
        }
        if (mean && r == 4 && ax.length == 2 && ax[0] == 2 && ax[1] == 3) {
            Value y = t.adaptiveAvgPool2d(v, 1, 1);
            out(keep ? y : t.reshape(y, v.dim(1)));
            return;
        }
        throw unsupported("reducing axes " + Arrays.toString(axes) + " of " + Arrays.toString(v.shape()) + " is not supported (last axis with keepdims, or H,W)");
    }
}
