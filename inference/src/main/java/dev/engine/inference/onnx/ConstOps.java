package dev.engine.inference.onnx;

import dev.engine.api.ModelFormatException;
import java.util.Arrays;
import java.util.function.DoubleBinaryOperator;

/**
 * Import-time evaluation of ops whose inputs are all known: the shape arithmetic exporters write
 * (Shape, Gather, Concat, Slice, Unsqueeze, Range, ConstantOfShape, Where, Cast, ...) and elementwise
 * math on constants. Batch marks ({@link ConstTensor#batch}) follow the elements that move unchanged;
 * arithmetic drops them. Every result is capped at {@link ConstTensor#MAX_FOLDED} elements.
 *
 * <pre>{@code
 * ConstTensor s = ConstOps.concat(List.of(a, b), 0, "Concat 'c'");
 * }</pre>
 */
final class ConstOps {
    private ConstOps() {}

    static long[] broadcast(long[] a, long[] b, String what) {
        int r = Math.max(a.length, b.length);
        long[] o = new long[r];
        for (int i = 0; i < r; i++) {
            long x = i - (r - a.length) >= 0 ? a[i - (r - a.length)] : 1, y = i - (r - b.length) >= 0 ? b[i - (r - b.length)] : 1;
            if (x != y && x != 1 && y != 1) throw new ModelFormatException(what + ": shapes " + Arrays.toString(a) + " and " + Arrays.toString(b) + " do not broadcast");
            o[i] = x == 1 ? y : x;
        }
        return o;
    }

    /** For each output element of {@code out}, the flat index into a tensor of {@code in} broadcast to it. */
    static int[] broadcastIndex(long[] in, long[] out) {
        int n = (int) ConstTensor.numel(out, "broadcast");
        long[] os = ConstTensor.strides(out), is = ConstTensor.strides(in);
        int[] idx = new int[n];
        int off = out.length - in.length;
        for (int e = 0; e < n; e++) {
            long rem = e, src = 0;
            for (int d = 0; d < out.length; d++) {
                long c = rem / os[d];
                rem %= os[d];
                int di = d - off;
                if (di >= 0 && in[di] != 1) src += c * is[di];
            }
            idx[e] = (int) src;
        }
        return idx;
    }

    static ConstTensor binary(ConstTensor a, ConstTensor b, DoubleBinaryOperator f, boolean intResult, String what) {
        long[] out = broadcast(a.shape(), b.shape(), what);
        cap(out, what);
        int[] ia = broadcastIndex(a.shape(), out), ib = broadcastIndex(b.shape(), out);
        if (intResult) {
            long[] r = new long[ia.length];
            for (int i = 0; i < r.length; i++) r[i] = (long) f.applyAsDouble(a.get(ia[i]), b.get(ib[i]));
            return ConstTensor.ints(out, r);
        }
        float[] r = new float[ia.length];
        for (int i = 0; i < r.length; i++) r[i] = (float) f.applyAsDouble(a.get(ia[i]), b.get(ib[i]));
        return ConstTensor.floats(out, r);
    }

    /** Integer arithmetic stays integer (Div truncates, as ONNX integer Div does). */
    static ConstTensor arithmetic(String op, ConstTensor a, ConstTensor b, String what) {
        boolean ints = a.isInt() && b.isInt();
        DoubleBinaryOperator f = switch (op) {
            case "Add" -> Double::sum;
            case "Sub" -> (x, y) -> x - y;
            case "Mul" -> (x, y) -> x * y;
            case "Div" -> ints ? (x, y) -> { if (y == 0) throw new ModelFormatException(what + ": integer division by zero"); return (long) x / (long) y; }
                    : (x, y) -> (float) x / (float) y;
            case "Pow" -> Math::pow;
            case "Max" -> Math::max;
            case "Min" -> Math::min;
            case "Mod" -> (x, y) -> { if (y == 0) throw new ModelFormatException(what + ": modulo by zero"); return x - Math.floor(x / y) * y; };
            case "Equal" -> (x, y) -> x == y ? 1 : 0;
            case "Less" -> (x, y) -> x < y ? 1 : 0;
            case "LessOrEqual" -> (x, y) -> x <= y ? 1 : 0;
            case "Greater" -> (x, y) -> x > y ? 1 : 0;
            case "GreaterOrEqual" -> (x, y) -> x >= y ? 1 : 0;
            case "And" -> (x, y) -> x != 0 && y != 0 ? 1 : 0;
            case "Or" -> (x, y) -> x != 0 || y != 0 ? 1 : 0;
            default -> throw new ModelFormatException(what + ": no constant evaluation for " + op);
        };
        boolean cmp = switch (op) { case "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "And", "Or" -> true; default -> false; };
        return binary(a, b, f, ints || cmp, what);
    }

    static ConstTensor where(ConstTensor c, ConstTensor x, ConstTensor y, String what) {
        long[] out = broadcast(broadcast(c.shape(), x.shape(), what), y.shape(), what);
        cap(out, what);
        int[] ic = broadcastIndex(c.shape(), out), ix = broadcastIndex(x.shape(), out), iy = broadcastIndex(y.shape(), out);
        if (x.isInt() && y.isInt()) {
            long[] r = new long[ic.length];
            boolean[] m = new boolean[ic.length];  // a picked batch size stays marked (PyTorch's expand(n, -1, -1) shape)
            for (int i = 0; i < r.length; i++) {
                boolean pickX = c.get(ic[i]) != 0;
                r[i] = pickX ? x.l()[ix[i]] : y.l()[iy[i]];
                m[i] = pickX ? x.batchAt(ix[i]) : y.batchAt(iy[i]);
            }
            return ConstTensor.ints(out, r, m);
        }
        float[] r = new float[ic.length];
        for (int i = 0; i < r.length; i++) r[i] = (float) (c.get(ic[i]) != 0 ? x.get(ix[i]) : y.get(iy[i]));
        return ConstTensor.floats(out, r);
    }

    /** Elements picked by flat source indices, keeping marks. */
    static ConstTensor pick(ConstTensor a, long[] shape, int[] src) {
        boolean[] m = null;
        if (a.batch() != null) {
            m = new boolean[src.length];
            for (int i = 0; i < src.length; i++) m[i] = a.batch()[src[i]];
        }
        if (a.isInt()) {
            long[] r = new long[src.length];
            for (int i = 0; i < r.length; i++) r[i] = a.l()[src[i]];
            return ConstTensor.ints(shape, r, m);
        }
        float[] r = new float[src.length];
        for (int i = 0; i < r.length; i++) r[i] = a.f()[src[i]];
        return ConstTensor.floats(shape, r);
    }

    static ConstTensor reshape(ConstTensor a, long[] shape) {
        int[] src = new int[a.size()];
        for (int i = 0; i < src.length; i++) src[i] = i;
        return pick(a, shape, src);
    }

    static int axis(long axis, int rank, String what) {
        long a = axis < 0 ? axis + rank : axis;
        if (a < 0 || a >= Math.max(rank, 1)) throw new ModelFormatException(what + ": axis " + axis + " is out of range for rank " + rank);
        return (int) a;
    }

    static ConstTensor gather(ConstTensor data, ConstTensor indices, long axisAttr, String what) {
        int ax = axis(axisAttr, data.rank(), what);
        long[] ds = data.shape(), is = indices.shape();
        long[] out = new long[ds.length - 1 + is.length];
        System.arraycopy(ds, 0, out, 0, ax);
        System.arraycopy(is, 0, out, ax, is.length);
        System.arraycopy(ds, ax + 1, out, ax + is.length, ds.length - ax - 1);
        cap(out, what);
        long outer = 1, inner = 1;
        for (int i = 0; i < ax; i++) outer *= ds[i];
        for (int i = ax + 1; i < ds.length; i++) inner *= ds[i];
        long[] idx = indices.asLongs();
        int[] src = new int[(int) (outer * idx.length * inner)];
        int k = 0;
        for (long o = 0; o < outer; o++)
            for (long j : idx) {
                long jj = j < 0 ? j + ds[ax] : j;
                if (jj < 0 || jj >= ds[ax]) throw new ModelFormatException(what + ": index " + j + " is out of range for axis size " + ds[ax]);
                for (long i = 0; i < inner; i++) src[k++] = (int) ((o * ds[ax] + jj) * inner + i);
            }
        return pick(data, out, src);
    }

    static ConstTensor concat(java.util.List<ConstTensor> parts, long axisAttr, String what) {
        if (parts.isEmpty()) throw new ModelFormatException(what + ": no inputs");
        int rank = parts.get(0).rank();
        int ax = axis(axisAttr, rank, what);
        long[] out = parts.get(0).shape();
        out[ax] = 0;
        boolean anyInt = false, anyFloat = false;
        for (ConstTensor p : parts) {
            long[] s = p.shape();
            if (s.length != rank) throw new ModelFormatException(what + ": inputs of ranks " + rank + " and " + s.length);
            for (int d = 0; d < rank; d++)
                if (d != ax && s[d] != out[d]) throw new ModelFormatException(what + ": input shapes " + Arrays.toString(s) + " differ off axis " + ax);
            out[ax] += s[ax];
            anyInt |= p.isInt();
            anyFloat |= !p.isInt();
        }
        if (anyInt && anyFloat) throw new ModelFormatException(what + ": mixes integer and float inputs");
        cap(out, what);
        long outer = 1;
        for (int d = 0; d < ax; d++) outer *= out[d];
        int n = (int) ConstTensor.numel(out, what);
        long[] l = anyInt ? new long[n] : null;
        float[] f = anyInt ? null : new float[n];
        boolean[] m = new boolean[n];
        int k = 0;
        for (long o = 0; o < outer; o++)
            for (ConstTensor p : parts) {
                int chunk = (int) (p.size() / Math.max(1, outer));
                for (int i = 0; i < chunk; i++, k++) {
                    int s = (int) (o * chunk + i);
                    if (l != null) l[k] = p.l()[s]; else f[k] = p.f()[s];
                    m[k] = p.batchAt(s);
                }
            }
        return l != null ? ConstTensor.ints(out, l, m) : ConstTensor.floats(out, f);
    }

    /** ONNX Slice over constant data: starts/ends/axes/steps as given (axes null means 0..n-1). */
    static ConstTensor slice(ConstTensor data, long[] starts, long[] ends, long[] axes, long[] steps, String what) {
        long[] ds = data.shape();
        int r = ds.length;
        long[] st = new long[r], en = ds.clone(), sp = new long[r];
        Arrays.fill(sp, 1);
        if (ends.length != starts.length) throw new ModelFormatException(what + ": starts and ends differ in length");
        for (int i = 0; i < starts.length; i++) {
            int ax = axis(axes == null ? i : axes[i], r, what);
            long step = steps == null ? 1 : steps[i];
            if (step == 0) throw new ModelFormatException(what + ": step 0");
            long[] se = sliceBounds(starts[i], ends[i], step, ds[ax]);
            st[ax] = se[0]; en[ax] = se[1]; sp[ax] = step;
        }
        long[] out = new long[r];
        for (int d = 0; d < r; d++) out[d] = Math.max(0, sp[d] > 0 ? (en[d] - st[d] + sp[d] - 1) / sp[d] : (st[d] - en[d] - sp[d] - 1) / -sp[d]);
        int n = (int) ConstTensor.numel(out, what);
        long[] os = ConstTensor.strides(out), is = ConstTensor.strides(ds);
        int[] src = new int[n];
        for (int e = 0; e < n; e++) {
            long rem = e, s = 0;
            for (int d = 0; d < r; d++) { long c = rem / os[d]; rem %= os[d]; s += (st[d] + c * sp[d]) * is[d]; }
            src[e] = (int) s;
        }
        return pick(data, out, src);
    }

    /** Clamped [start, end) for one axis, as the ONNX Slice spec defines it. */
    static long[] sliceBounds(long start, long end, long step, long dim) {
        long s = start < 0 ? start + dim : start, e = end < 0 ? end + dim : end;
        if (step > 0) { s = clamp(s, 0, dim); e = clamp(e, 0, dim); }
        else { s = clamp(s, 0, dim - 1); e = clamp(e, -1, dim - 1); }
        return new long[]{s, e};
    }

    private static long clamp(long v, long lo, long hi) { return Math.max(lo, Math.min(hi, v)); }

    static ConstTensor transpose(ConstTensor a, long[] perm, String what) {
        long[] s = a.shape();
        int r = s.length;
        long[] p = perm;
        if (p == null) { p = new long[r]; for (int i = 0; i < r; i++) p[i] = r - 1 - i; }
        if (p.length != r) throw new ModelFormatException(what + ": perm " + Arrays.toString(p) + " for rank " + r);
        long[] out = new long[r];
        boolean[] seen = new boolean[r];
        for (int i = 0; i < r; i++) {
            if (p[i] < 0 || p[i] >= r || seen[(int) p[i]]) throw new ModelFormatException(what + ": perm " + Arrays.toString(p) + " is not a permutation");
            seen[(int) p[i]] = true;
            out[i] = s[(int) p[i]];
        }
        long[] is = ConstTensor.strides(s), os = ConstTensor.strides(out);
        int[] src = new int[a.size()];
        for (int e = 0; e < src.length; e++) {
            long rem = e, off = 0;
            for (int d = 0; d < r; d++) { long c = rem / os[d]; rem %= os[d]; off += c * is[(int) p[d]]; }
            src[e] = (int) off;
        }
        return pick(a, out, src);
    }

    static ConstTensor expand(ConstTensor a, long[] shape, String what) {
        long[] out = broadcast(a.shape(), shape, what);
        cap(out, what);
        return pick(a, out, broadcastIndex(a.shape(), out));
    }

    static ConstTensor range(ConstTensor start, ConstTensor limit, ConstTensor delta, String what) {
        double s = start.get(0), l = limit.get(0), d = delta.get(0);
        if (d == 0) throw new ModelFormatException(what + ": delta 0");
        double count = Math.max(0, Math.ceil((l - s) / d));
        if (count > ConstTensor.MAX_FOLDED) throw new ModelFormatException(what + ": range of " + (long) count + " elements is too large");
        int n = (int) count;
        if (start.isInt() && limit.isInt() && delta.isInt()) {
            long[] r = new long[n];
            for (int i = 0; i < n; i++) r[i] = (long) s + i * (long) d;
            return ConstTensor.ints(new long[]{n}, r);
        }
        float[] r = new float[n];
        for (int i = 0; i < n; i++) r[i] = (float) (s + i * d);
        return ConstTensor.floats(new long[]{n}, r);
    }

    static void cap(long[] shape, String what) {
        if (ConstTensor.numel(shape, what) > ConstTensor.MAX_FOLDED)
            throw new ModelFormatException(what + ": folded constant of shape " + Arrays.toString(shape) + " is too large");
    }
}
