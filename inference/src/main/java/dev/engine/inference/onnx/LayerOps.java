package dev.engine.inference.onnx;

import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
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
        int sp = spatialDims(x, w, "convolution");
        long[] ws = sp == 1 ? new long[]{w.shape()[0], w.shape()[1], 1, w.shape()[2]} : w.shape();
        checkKernelShape(ws, sp);
        long[] st = pair("strides", 1, sp), dl = pair("dilations", 1, sp);
        Value x2 = sp == 1 ? lift(x) : x;
        long[][] p = pads(x2.shape(), new long[]{ws[2], ws[3]}, st, dl, sp);
        long[][] deferred = im.deferredPads.remove(n);
        if (deferred != null) for (int i = 0; i < 2; i++) { p[0][i] += deferred[0][i]; p[1][i] += deferred[1][i]; }
        long[] sym = symmetricPart(p);
        x2 = padRest(x2, p, sym, 0f);
        long g = attrInt("group", 1);
        Value y = im.named(n).conv2d(x2, w.asFloats(), ws, b == null ? null : b.asFloats(), ints(st), ints(sym), ints(dl), (int) g);
        out(sp == 1 ? unlift(y) : y);
    }

    /** 1 for NCL input with a 3-D weight (lifted to NC1L), 2 for NCHW; anything else is refused by name. */
    private int spatialDims(Value x, ConstTensor w, String kind) {
        if (x.rank() == 4 && w.rank() == 4) return 2;
        if (x.rank() == 3 && w.rank() == 3) return 1;
        throw unsupported("only 1-D and 2-D " + kind + " (NCL or NCHW input) is supported, got input " + Arrays.toString(x.shape())
                + " and weight " + Arrays.toString(w.shape()));
    }

    private void checkKernelShape(long[] ws, int sp) {
        long[] ks = attrInts("kernel_shape");
        if (ks != null && (ks.length != sp || (sp == 2 && ks[0] != ws[2]) || ks[sp - 1] != ws[3]))
            throw unsupported("kernel_shape " + Arrays.toString(ks) + " differs from the weight");
    }

    /** [N, C, L] as [N, C, 1, L]. */
    private Value lift(Value x) { return im.tracer.reshape(x, x.dim(1), 1, x.dim(2)); }

    /** [N, C, 1, L] back to [N, C, L]. */
    private Value unlift(Value y) { return im.tracer.reshape(y, y.dim(1), y.dim(3)); }

    /** The symmetric part of (begin, end) padding per spatial axis: what the IR's own padding holds. */
    static long[] symmetricPart(long[][] p) { return new long[]{Math.min(p[0][0], p[1][0]), Math.min(p[0][1], p[1][1])}; }

    /** x with the padding beyond {@code sym} written out explicitly (filled with {@code value}). */
    private Value padRest(Value x, long[][] p, long[] sym, float value) {
        if (p[0][0] == sym[0] && p[1][0] == sym[0] && p[0][1] == sym[1] && p[1][1] == sym[1]) return x;
        return Padding.pad(im.tracer, x, new long[]{0, 0, p[0][0] - sym[0], p[0][1] - sym[1]}, new long[]{0, 0, p[1][0] - sym[0], p[1][1] - sym[1]},
                "constant", value, what);
    }

    /** ConvTranspose (1-D or 2-D): weight [C_in, C_out/group, (kh,) kw]; padding from pads, auto_pad or output_shape (symmetric only). */
    void convTranspose(List<Object> ins) {
        Value x0 = dyn(ins, 0);
        ConstTensor w = k(ins, 1);
        ConstTensor b = ins.size() > 2 && ins.get(2) != null ? k(ins, 2) : null;
        int sp = spatialDims(x0, w, "transposed convolution");
        Value x = sp == 1 ? lift(x0) : x0;
        long[] ws = sp == 1 ? new long[]{w.shape()[0], w.shape()[1], 1, w.shape()[2]} : w.shape();
        checkKernelShape(ws, sp);
        long[] st = pair("strides", 1, sp), dl = pair("dilations", 1, sp);
        long[] opad = attrInts("output_padding");
        opad = opad == null ? new long[]{0, 0} : opad.length == sp && sp == 1 ? new long[]{0, opad[0]} : opad;
        if (opad.length != 2 || opad[0] < 0 || opad[1] < 0 || opad[0] > 1 << 20 || opad[1] > 1 << 20)
            throw unsupported("output_padding " + Arrays.toString(attrInts("output_padding")) + " must be " + sp + " non-negative ints");
        long[] outShape = attrInts("output_shape");
        if (outShape != null && sp == 1 && outShape.length == 1) outShape = new long[]{1, outShape[0]};
        String auto = attrString("auto_pad", "NOTSET");
        long[] pads;
        if (outShape != null || auto.startsWith("SAME")) {
            if (outShape != null && outShape.length != 2) throw unsupported("output_shape " + Arrays.toString(outShape) + " must have " + sp + " entries");
            pads = new long[2];
            for (int i = 0; i < 2; i++) {
                long in = x.dim(2 + i), want = outShape != null ? outShape[i] : in * st[i];
                long total = st[i] * (in - 1) + opad[i] + (ws[2 + i] - 1) * dl[i] + 1 - want;
                if (total < 0 || total % 2 != 0)
                    throw unsupported("output size " + want + " needs " + (total < 0 ? "negative" : "asymmetric") + " padding (" + total + "), which is not supported");
                pads[i] = total / 2;
            }
        } else if (auto.equals("NOTSET") || auto.equals("VALID")) {
            long[][] p = auto.equals("VALID") ? new long[][]{{0, 0}, {0, 0}} : pads(x.shape(), new long[]{ws[2], ws[3]}, st, dl, sp);
            if (p[0][0] != p[1][0] || p[0][1] != p[1][1]) throw unsupported("asymmetric pads " + Arrays.toString(attrInts("pads")) + " are not supported");
            pads = p[0];
        } else throw unsupported("auto_pad '" + auto + "'");
        long g = attrInt("group", 1);
        if (g < 1 || g > 1 << 20) throw unsupported("group " + g + " out of range");
        Value y = im.named(n).convTranspose2d(x, w.asFloats(), ws, b == null ? null : b.asFloats(), ints(st), ints(pads), ints(opad), ints(dl), (int) g);
        out(sp == 1 ? unlift(y) : y);
    }

    /**
     * MaxPool / AveragePool over NCL or NCHW: rectangular windows, asymmetric pads and ceil_mode. The IR's pool
     * holds symmetric padding; the rest is written out (with -inf for max pooling). An average whose divisor is
     * not the window's size everywhere (pads outside the symmetric part, ceil_mode windows, count_include_pad=0
     * with written-out pads) becomes a sum over the window times a constant map of 1 / divisor.
     */
    void pool(boolean max, Value x0) {
        int sp = x0.rank() == 4 ? 2 : x0.rank() == 3 ? 1 : 0;
        if (sp == 0) throw unsupported("only 1-D and 2-D pooling (NCL or NCHW) is supported, got " + Arrays.toString(x0.shape()));
        long[] k = attrInts("kernel_shape");
        if (k == null || k.length != sp) throw unsupported("kernel_shape must have " + sp + " entries");
        for (long v : k) if (v < 1 || v > 1 << 20) throw unsupported("kernel_shape " + Arrays.toString(k) + " out of range");
        if (sp == 1) k = new long[]{1, k[0]};
        long[] dl = pair("dilations", 1, sp);
        if (dl[0] != 1 || dl[1] != 1) throw unsupported("dilated pooling is not supported");
        if (max && n.outputs().size() > 1 && im.usesOf(n.outputs().get(1)) > 0) throw unsupported("the Indices output is not supported");
        long[] st = pair("strides", 1, sp);
        Value x = sp == 1 ? lift(x0) : x0;
        long[][] p = pads(x.shape(), k, st, dl, sp);
        boolean countPad = attrInt("count_include_pad", 0) != 0;
        long[][] deferred = im.deferredPads.remove(n);
        if (deferred != null) { p = deferred; countPad = true; } // a zero Pad before a pool without pads of its own
        boolean ceil = attrInt("ceil_mode", 0) != 0;
        long[] extra = new long[2], outs = new long[2];
        for (int i = 0; i < 2; i++) {
            long in = x.dim(2 + i), span = in + p[0][i] + p[1][i] - k[i];
            if (span < 0) throw unsupported("window " + k[i] + " exceeds the padded input " + (in + p[0][i] + p[1][i]));
            long o = (ceil ? Math.floorDiv(span + st[i] - 1, st[i]) : span / st[i]) + 1;
            if (ceil && (o - 1) * st[i] >= in + p[0][i]) o--;  // the last window must start inside the input or its leading pad
            outs[i] = o;
            extra[i] = Math.max(0, (o - 1) * st[i] + k[i] - (in + p[0][i] + p[1][i]));
        }
        long[] sym = symmetricPart(p);
        for (int i = 0; i < 2; i++) if (2 * sym[i] > k[i]) sym[i] = k[i] / 2;  // the IR's pool keeps padding within half a window
        long[][] written = {{p[0][0] - sym[0], p[0][1] - sym[1]}, {p[1][0] - sym[0] + extra[0], p[1][1] - sym[1] + extra[1]}};
        boolean plain = written[0][0] == 0 && written[0][1] == 0 && written[1][0] == 0 && written[1][1] == 0;
        Tracer t = im.named(n);
        Value y;
        if (max) {
            Value xp = plain ? x : Padding.pad(im.tracer, x, new long[]{0, 0, written[0][0], written[0][1]}, new long[]{0, 0, written[1][0], written[1][1]},
                    "constant", Float.NEGATIVE_INFINITY, what);
            y = t.maxPool2d(xp, ints(k), ints(st), ints(sym));
        } else if (plain) {
            y = t.avgPool2d(x, ints(k), ints(st), ints(sym), countPad);
        } else {
            Value xp = Padding.pad(im.tracer, x, new long[]{0, 0, written[0][0], written[0][1]}, new long[]{0, 0, written[1][0], written[1][1]}, "constant", 0f, what);
            Value sum = t.avgPool2d(xp, ints(k), ints(st), ints(sym), true);
            float[] scale = divisorScale(x.dim(2), x.dim(3), k, st, p, outs, countPad);
            y = im.tracer.elementwise(ElementwiseProgram.single(ElementwiseOp.MUL, 0), sum, im.tracer.constant(scale, 1, outs[0], outs[1]));
        }
        if (y.dim(2) != outs[0] || y.dim(3) != outs[1]) throw unsupported("pooled to " + Arrays.toString(y.shape()) + " instead of " + Arrays.toString(outs));
        out(sp == 1 ? unlift(y) : y);
    }

    /**
     * window size / divisor for each output of an average pool whose windows sum over zero-padded input: the divisor
     * counts the window's cells inside the input, plus those in the declared pads when {@code countPad} (never
     * the cells ceil_mode adds past them), as ONNX Runtime and PyTorch count them.
     */
    private static float[] divisorScale(long h, long w, long[] k, long[] st, long[][] p, long[] outs, boolean countPad) {
        float[] r = new float[(int) (outs[0] * outs[1])];
        for (int i = 0; i < outs[0]; i++) {
            long rows = cells(i * st[0] - p[0][0], k[0], h, countPad ? p[0][0] : 0, countPad ? p[1][0] : 0);
            for (int j = 0; j < outs[1]; j++) {
                long cols = cells(j * st[1] - p[0][1], k[1], w, countPad ? p[0][1] : 0, countPad ? p[1][1] : 0);
                r[(int) (i * outs[1] + j)] = (float) ((double) (k[0] * k[1]) / Math.max(1, rows * cols));
            }
        }
        return r;
    }

    /** Cells of the window [start, start + k) inside [-lo, size + hi). */
    private static long cells(long start, long k, long size, long lo, long hi) {
        return Math.max(0, Math.min(start + k, size + hi) - Math.max(start, -lo));
    }

    /** An ints attribute of {@code sp} positive entries, as a (H, W) pair (1-D: H is 1). */
    long[] pair(String name, long dflt, int sp) {
        long[] v = attrInts(name);
        if (v == null) return new long[]{dflt, dflt};
        if (v.length != sp || Arrays.stream(v).anyMatch(e -> e < 1 || e > 1 << 20)) throw unsupported("'" + name + "' " + Arrays.toString(v) + " must be " + sp + " positive ints");
        return sp == 1 ? new long[]{1, v[0]} : v;
    }

    /** {{top, left}, {bottom, right}} padding from pads or auto_pad (SAME_UPPER puts the odd cell at the end). */
    long[][] pads(long[] x, long[] k, long[] st, long[] dl, int sp) {
        String auto = attrString("auto_pad", "NOTSET");
        long[] p = attrInts("pads");
        switch (auto) {
            case "NOTSET" -> {
                if (p == null) return new long[][]{{0, 0}, {0, 0}};
                if (p.length != 2 * sp) throw unsupported("pads " + Arrays.toString(p) + " must have " + 2 * sp + " entries");
                for (long v : p) if (v < 0 || v > 1 << 20) throw unsupported("pads " + Arrays.toString(p) + " out of range");
                return sp == 1 ? new long[][]{{0, p[0]}, {0, p[1]}} : new long[][]{{p[0], p[1]}, {p[2], p[3]}};
            }
            case "VALID" -> { return new long[][]{{0, 0}, {0, 0}}; }
            case "SAME_UPPER", "SAME_LOWER" -> {
                long[][] r = new long[2][2];
                for (int i = 0; i < 2; i++) {
                    long in = x[2 + i], out = (in + st[i] - 1) / st[i];
                    long total = Math.max(0, (out - 1) * st[i] + (k[i] - 1) * dl[i] + 1 - in);
                    long small = total / 2, large = total - small;
                    r[0][i] = auto.equals("SAME_UPPER") ? small : large;
                    r[1][i] = total - r[0][i];
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

    /** InstanceNormalization of [N, C, ...]: a layer norm over each channel's flattened spatial values, then scale and bias per channel. */
    void instanceNorm(List<Object> ins) {
        Value x = dyn(ins, 0);
        if (x.rank() < 3) throw unsupported("input " + Arrays.toString(x.shape()) + " has no spatial axes");
        long c = x.dim(1), s = 1;
        for (int i = 2; i < x.rank(); i++) s *= x.dim(i);
        ConstTensor scale = k(ins, 1), bias = k(ins, 2);
        if (scale.size() != c || bias.size() != c) throw unsupported("scale and bias need " + c + " values, one per channel");
        Tracer t = im.tracer;
        Value y = t.reshape(im.named(n).layerNorm(t.reshape(x, c, s), (float[]) null, (float[]) null, attrFloat("epsilon", 1e-5f)), Arrays.copyOfRange(x.shape(), 1, x.rank()));
        long[] perChannel = new long[x.rank() - 1];
        Arrays.fill(perChannel, 1);
        perChannel[0] = c;
        ElementwiseProgram.Builder p = ElementwiseProgram.builder(3);
        ElementwiseProgram affine = p.build(p.op(ElementwiseOp.ADD, p.op(ElementwiseOp.MUL, 0, 1), 2));
        out(t.elementwise(affine, y, t.constant(scale.asFloats(), perChannel), t.constant(bias.asFloats(), perChannel)));
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
}
