package dev.engine.graph;

import dev.engine.api.Conv2dShape;
import dev.engine.api.Layout;
import dev.engine.api.Pool2dShape;
import dev.engine.api.ShapeException;
import dev.engine.api.Shapes;
import java.util.Arrays;

/**
 * Output shapes of graph nodes from their input shapes: used when tracing, when a plan is specialised to a
 * batch size and when a loaded bundle is validated. Every mismatch throws a {@link ShapeException} that
 * names the node.
 *
 * <pre>{@code
 * long[] y = ShapeInference.infer(node, new long[][]{{64, 784}});   // e.g. [64, 512] for a linear
 * }</pre>
 */
public final class ShapeInference {
    private ShapeInference() {}

    /** The output shape of {@code n} given its inputs' shapes ({@code batch} replaces the input's first axis). */
    public static long[] infer(Node n, long[][] in, long batch) {
        String op = n.kind().name().toLowerCase() + " '" + n.name() + "'";
        switch (n.kind()) {
            case INPUT: {
                long[] s = n.ints("shape");
                if (s.length == 0) throw new ShapeException(op + ": input needs at least one (batch) axis");
                s[0] = batch;
                Shapes.numel(s);
                return s;
            }
            case CONSTANT: return constant(n, "value", op).shape();
            case LINEAR: {
                long[] x = in[0];
                Const w = n.constOrNull("weight"), wt = n.constOrNull("weightT"), wq = n.constOrNull("weightQ");
                if (wt == null) wt = wq;  // int8: [in, out] like weightT
                if ((w == null) == (wt == null) || (wq != null && n.constOrNull("weightT") != null))
                    throw new ShapeException(op + ": needs exactly one of weight/weightT/weightQ");
                if (wq != null && wq.shape().length == 2) {
                    Const sc = n.constOrNull("weightScale");
                    if (sc == null || sc.numel() != wq.shape()[1])
                        throw new ShapeException(op + ": int8 weightQ " + Shapes.str(wq.shape()) + " needs a weightScale of " + wq.shape()[1] + " values");
                }
                long[] ws = w != null ? w.shape() : wt.shape();
                if (ws.length != 2) throw new ShapeException(op + ": weight must be 2-D, got " + Shapes.str(ws));
                long out = w != null ? ws[0] : ws[1], inF = w != null ? ws[1] : ws[0];
                if (x.length < 1 || x[x.length - 1] != inF)
                    throw new ShapeException(op + ": input " + Shapes.str(x) + " must end in " + inF + " features");
                Const b = n.constOrNull("bias");
                if (b != null && b.numel() != out) throw new ShapeException(op + ": bias has " + b.numel() + " values, expected " + out);
                long[] y = x.clone();
                y[y.length - 1] = out;
                if (in.length > 1 && !Arrays.equals(in[1], y))
                    throw new ShapeException(op + ": residual " + Shapes.str(in[1]) + " must have the output shape " + Shapes.str(y));
                return y;
            }
            case CONV2D: return conv(n, in[0], op).outputShape();
            case CONV_TRANSPOSE2D: return convTranspose(n, in[0], op).inputShape();
            case BATCHNORM: {
                long[] x = in[0];
                if (x.length < 2) throw new ShapeException(op + ": input " + Shapes.str(x) + " needs a channel axis");
                if (constant(n, "scale", op).numel() != x[1] || constant(n, "shift", op).numel() != x[1])
                    throw new ShapeException(op + ": scale/shift must have " + x[1] + " channels");
                return x;
            }
            case LAYERNORM: {
                long[] x = in[0];
                if (x.length < 1) throw new ShapeException(op + ": scalar input");
                for (String k : new String[]{"gamma", "beta"}) {
                    Const c = n.constOrNull(k);
                    if (c != null && c.numel() != x[x.length - 1])
                        throw new ShapeException(op + ": " + k + " has " + c.numel() + " values for last axis " + x[x.length - 1]);
                }
                return x;
            }
            case MAXPOOL2D: case AVGPOOL2D: return pool(n, in[0], op).outputShape();
            case ADAPTIVEAVGPOOL2D: {
                long[] x = rank4(in[0], op);
                long[] o = n.ints("output");
                if (o.length != 2 || o[0] < 1 || o[1] < 1) throw new ShapeException(op + ": output size " + Arrays.toString(o));
                return new long[]{x[0], x[1], o[0], o[1]};
            }
            case FLATTEN: {
                long[] x = in[0];
                int r = x.length;
                int s = (int) n.intOr("start", 1), e = (int) n.intOr("end", -1);
                s = s < 0 ? s + r : s;
                e = e < 0 ? e + r : e;
                if (r == 0) return new long[]{1};
                if (s < 0 || e >= r || s > e) throw new ShapeException(op + ": flatten axes " + s + ".." + e + " for rank " + r);
                long[] y = new long[r - (e - s)];
                int k = 0;
                for (int i = 0; i < s; i++) y[k++] = x[i];
                long p = 1;
                for (int i = s; i <= e; i++) p = Math.multiplyExact(p, x[i]);
                y[k++] = p;
                for (int i = e + 1; i < r; i++) y[k++] = x[i];
                return y;
            }
            case RESHAPE: {
                long[] x = in[0];
                long[] rest = n.ints("shape");
                long[] want = new long[rest.length + 1];
                want[0] = x[0];
                System.arraycopy(rest, 0, want, 1, rest.length);
                if (x[0] == 0) { for (int i = 1; i < want.length; i++) if (want[i] < 0) want[i] = 0; return want; }
                return Layout.inferShape(want, Shapes.numel(x));
            }
            case ELEMENTWISE: case ADD: {
                if (n.kind() == OpKind.ADD && in.length != 2) throw new ShapeException(op + ": add takes 2 inputs");
                if (in.length == 0) throw new ShapeException(op + ": no operands");
                long[] s = in[0];
                for (int i = 1; i < in.length; i++) s = Shapes.broadcast(op, s, in[i]);
                return s;
            }
            case SOFTMAX: case LOG_SOFTMAX: case DROPOUT: case IDENTITY: case COPY:
                if (in[0].length == 0) throw new ShapeException(op + ": scalar input");
                return in[0];
            case MATMUL: {
                long[] a = in[0], b = in[1];
                if (a.length < 2 || b.length < 2) throw new ShapeException(op + ": operands " + Shapes.str(a) + " x " + Shapes.str(b) + " must be at least 2-D");
                if (a[a.length - 1] != b[b.length - 2])
                    throw new ShapeException(op + ": inner sizes differ in " + Shapes.str(a) + " x " + Shapes.str(b));
                if (b.length > 2 && (b.length != a.length || !Arrays.equals(Arrays.copyOf(a, a.length - 2), Arrays.copyOf(b, b.length - 2))))
                    throw new ShapeException(op + ": batch dims of " + Shapes.str(a) + " and " + Shapes.str(b) + " must match");
                long[] y = a.clone();
                y[y.length - 1] = b[b.length - 1];
                return y;
            }
            case EMBEDDING: {
                Const t = constant(n, "table", op);
                if (t.shape().length != 2) throw new ShapeException(op + ": table must be 2-D");
                long[] y = Arrays.copyOf(in[0], in[0].length + 1);
                y[y.length - 1] = t.shape()[1];
                return y;
            }
            case PERMUTE: {
                long[] x = in[0], p = n.ints("perm");
                if (p.length != x.length || p.length == 0 || p[0] != 0) throw new ShapeException(op + ": perm " + Arrays.toString(p) + " must keep axis 0 first for rank " + x.length);
                boolean[] seen = new boolean[p.length];
                long[] y = new long[p.length];
                for (int i = 0; i < p.length; i++) {
                    if (p[i] < 0 || p[i] >= p.length || seen[(int) p[i]]) throw new ShapeException(op + ": perm " + Arrays.toString(p) + " is not a permutation");
                    seen[(int) p[i]] = true;
                    y[i] = x[(int) p[i]];
                }
                return y;
            }
            case SLICE: {
                long[] x = in[0].clone();
                long ax = n.intOr("axis", -1), start = n.intOr("start", 0), end = n.intOr("end", -1), step = n.intOr("step", 1);
                if (ax < 1 || ax >= x.length) throw new ShapeException(op + ": axis " + ax + " must be a non-batch axis of " + Shapes.str(x));
                if (step < 1 || start < 0 || end < start || end > x[(int) ax]) throw new ShapeException(op + ": [" + start + ", " + end + ") step " + step + " does not fit axis size " + x[(int) ax]);
                x[(int) ax] = (end - start + step - 1) / step;
                return x;
            }
            case CONCAT: {
                long ax = n.intOr("axis", -1);
                if (in.length == 0) throw new ShapeException(op + ": no inputs");
                long[] y = in[0].clone();
                if (ax < 1 || ax >= y.length) throw new ShapeException(op + ": axis " + ax + " must be a non-batch axis of " + Shapes.str(y));
                for (int i = 1; i < in.length; i++) {
                    if (in[i].length != y.length) throw new ShapeException(op + ": inputs of ranks " + y.length + " and " + in[i].length);
                    for (int d = 0; d < y.length; d++)
                        if (d != ax && in[i][d] != y[d]) throw new ShapeException(op + ": " + Shapes.str(in[0]) + " and " + Shapes.str(in[i]) + " differ off axis " + ax);
                    y[(int) ax] = Math.addExact(y[(int) ax], in[i][(int) ax]);
                }
                return y;
            }
            case ATTENTION: return attention(n, in, op);
            default: throw new ShapeException(op + ": unknown op");
        }
    }

    /**
     * [B, Lq, Ev] from one packed [B, L, 3E] input or q [B, Lq, E], k [B, Lk, E], v [B, Lk, Ev], either followed by
     * an optional key-padding mask [B, Lk].
     */
    private static long[] attention(Node n, long[][] in, String op) {
        if (in.length == 2 || in.length == 4) {
            long[] mask = in[in.length - 1], k = in[in.length == 2 ? 0 : 1];
            if (mask.length != 2 || k.length != 3 || mask[0] != k[0] || mask[1] != k[1])
                throw new ShapeException(op + ": key-padding mask " + Shapes.str(mask) + " must be [batch, keys] = "
                        + (k.length == 3 ? Shapes.str(new long[]{k[0], k[1]}) : "[B, Lk]"));
            in = Arrays.copyOf(in, in.length - 1);
        }
        long heads = n.intOr("heads", 0);
        if (heads < 1) throw new ShapeException(op + ": heads " + heads + " must be at least 1");
        for (long[] s : in) if (s.length != 3) throw new ShapeException(op + ": inputs must be [batch, seq, features], got " + Shapes.str(s));
        if (in.length == 1) {
            long[] x = in[0];
            if (x[2] % (3 * heads) != 0)
                throw new ShapeException(op + ": packed q|k|v " + Shapes.str(x) + " must have 3 x heads (" + heads + ") x head size features");
            return new long[]{x[0], x[1], x[2] / 3};
        }
        if (in.length != 3) throw new ShapeException(op + ": takes 1 (packed) or 3 (q, k, v) inputs, each optionally followed by a key-padding mask, got " + in.length);
        long[] q = in[0], k = in[1], v = in[2];
        if (k[0] != q[0] || v[0] != q[0] || k[2] != q[2] || v[1] != k[1] || q[2] % heads != 0 || v[2] % heads != 0)
            throw new ShapeException(op + ": q " + Shapes.str(q) + ", k " + Shapes.str(k) + ", v " + Shapes.str(v)
                    + " must be [B, Lq, E], [B, Lk, E], [B, Lk, Ev] with E and Ev divisible by " + heads + " heads");
        return new long[]{q[0], q[1], v[2]};
    }

    /** The conv geometry for an NCHW input. */
    public static Conv2dShape conv(Node n, long[] x, String op) {
        x = rank4(x, op);
        Const w = n.constOrNull("weightQ") != null ? n.constOrNull("weightQ") : constant(n, "weight", op);  // int8: KCRS too
        long[] ws = w.shape();
        if (ws.length != 4) throw new ShapeException(op + ": weight " + Shapes.str(ws) + " must be KCRS");
        long[] st = pair(n, "stride", 1), pd = pair(n, "padding", 0), dl = pair(n, "dilation", 1);
        int groups = (int) n.intOr("groups", 1);
        Conv2dShape g = new Conv2dShape(x[0], x[1], x[2], x[3], ws[0], ws[2], ws[3], (int) st[0], (int) st[1], (int) pd[0], (int) pd[1],
                (int) dl[0], (int) dl[1], groups);
        if (!Arrays.equals(g.weightShape(), ws))
            throw new ShapeException(op + ": weight " + Shapes.str(ws) + " does not fit input " + Shapes.str(x) + " (expected " + Shapes.str(g.weightShape()) + ")");
        Const b = n.constOrNull("bias");
        if (b != null && b.numel() != ws[0]) throw new ShapeException(op + ": bias has " + b.numel() + " values, expected " + ws[0]);
        if (n.constOrNull("weightQ") != null) {
            Const sc = n.constOrNull("weightScale");
            if (n.constOrNull("weight") != null || groups != 1 || sc == null || sc.numel() != ws[0])
                throw new ShapeException(op + ": an int8 convolution needs groups 1, no F32 weight and a weightScale of " + ws[0] + " values");
        }
        return g;
    }

    /**
     * A transposed convolution as the convolution whose input gradient it is: the returned geometry maps the
     * transposed convolution's output ({@code inputShape()}) to its input ({@code outputShape()}), with the
     * node's weight [C_in, C_out/groups, kh, kw] as that convolution's KCRS weight.
     */
    public static Conv2dShape convTranspose(Node n, long[] x, String op) {
        x = rank4(x, op);
        long[] ws = constant(n, "weight", op).shape();
        if (ws.length != 4) throw new ShapeException(op + ": weight " + Shapes.str(ws) + " must be [in, out/groups, kh, kw]");
        long[] st = pair(n, "stride", 1), pd = pair(n, "padding", 0), op2 = pair(n, "outputPadding", 0), dl = pair(n, "dilation", 1);
        int groups = (int) n.intOr("groups", 1);
        if (ws[0] != x[1]) throw new ShapeException(op + ": weight " + Shapes.str(ws) + " takes " + ws[0] + " input channels, input " + Shapes.str(x) + " has " + x[1]);
        if (groups < 1 || x[1] % groups != 0) throw new ShapeException(op + ": groups=" + groups + " must divide the " + x[1] + " input channels");
        for (int i = 0; i < 2; i++)
            if (st[i] < 1 || dl[i] < 1 || (op2[i] >= st[i] && op2[i] >= dl[i]))
                throw new ShapeException(op + ": stride " + Arrays.toString(st) + " and dilation " + Arrays.toString(dl)
                        + " must be >= 1 and the output padding " + Arrays.toString(op2) + " smaller than one of them");
        long oh = st[0] * (x[2] - 1) + op2[0] + dl[0] * (ws[2] - 1) + 1 - 2 * pd[0];
        long ow = st[1] * (x[3] - 1) + op2[1] + dl[1] * (ws[3] - 1) + 1 - 2 * pd[1];
        if (oh < 1 || ow < 1) throw new ShapeException(op + ": padding " + Arrays.toString(pd) + " leaves no output for input " + Shapes.str(x));
        Conv2dShape g = new Conv2dShape(x[0], ws[1] * groups, oh, ow, x[1], ws[2], ws[3], (int) st[0], (int) st[1], (int) pd[0], (int) pd[1],
                (int) dl[0], (int) dl[1], groups);
        if (g.outH() != x[2] || g.outW() != x[3]) throw new ShapeException(op + ": geometry does not invert for input " + Shapes.str(x));
        Const b = n.constOrNull("bias");
        if (b != null && b.numel() != g.c()) throw new ShapeException(op + ": bias has " + b.numel() + " values, expected " + g.c());
        return g;
    }

    /** The pool geometry for an NCHW input. */
    public static Pool2dShape pool(Node n, long[] x, String op) {
        x = rank4(x, op);
        long[] k = pair(n, "kernel", -1), s = pair(n, "stride", -1), p = pair(n, "padding", 0);
        if (k[0] > Integer.MAX_VALUE || k[1] > Integer.MAX_VALUE || s[0] > Integer.MAX_VALUE || s[1] > Integer.MAX_VALUE
                || p[0] > Integer.MAX_VALUE || p[1] > Integer.MAX_VALUE) throw new ShapeException(op + ": pooling sizes too large");
        return new Pool2dShape(x[0], x[1], x[2], x[3], (int) k[0], (int) k[1], (int) s[0], (int) s[1], (int) p[0], (int) p[1],
                n.intOr("countIncludePad", 1) != 0);
    }

    private static long[] pair(Node n, String key, long dflt) {
        long[] v = n.ints().get(key);
        if (v == null) {
            if (dflt < 0) throw new ShapeException(n.kind() + " '" + n.name() + "' lacks '" + key + "'");
            return new long[]{dflt, dflt};
        }
        if (v.length == 1) return new long[]{v[0], v[0]};
        if (v.length != 2 || v[0] > Integer.MAX_VALUE || v[1] > Integer.MAX_VALUE || v[0] < 0 || v[1] < 0)
            throw new ShapeException(n.kind() + " '" + n.name() + "': '" + key + "' must be 1 or 2 non-negative ints, got " + Arrays.toString(v));
        return v;
    }

    private static long[] rank4(long[] x, String op) {
        if (x.length != 4) throw new ShapeException(op + ": expects NCHW input, got " + Shapes.str(x));
        return x;
    }

    private static Const constant(Node n, String key, String op) {
        Const c = n.constOrNull(key);
        if (c == null) throw new ShapeException(op + ": missing constant '" + key + "'");
        return c;
    }
}
