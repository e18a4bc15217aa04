package dev.engine.inference.onnx;

import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.graph.Tracer;
import dev.engine.graph.Value;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Layout ops: Gather, Squeeze/Unsqueeze, Reshape, Flatten, Split, Transpose, Expand, Concat, Slice, Pad. On
 * constants they fold ({@link ConstOps}); on graph values they become RESHAPE/FLATTEN views or
 * PERMUTE/SLICE/CONCAT copies, always keeping the batch axis first (anything that would move it is refused).
 *
 * <pre>{@code
 * layout.bind(node);
 * layout.reshape(inputs);
 * }</pre>
 */
final class LayoutOps extends OnnxNodeContext {
    LayoutOps(OnnxImporter im) { super(im); }


    void gather(List<Object> ins) {
        Object data = arg(ins, 0), idx = arg(ins, 1);
        long axis = attrInt("axis", 0);
        if (data instanceof BatchMoved b && idx instanceof ConstTensor i && i.rank() == 0 && i.size() == 1) { // h_n[0] or h_n[-1]
            int ax = ConstOps.axis(axis, b.axes().length, what);
            long j = i.asLongs()[0];
            Object y = b.pick(ax, j, im.tracer);
            if (y == null) throw unsupported("gathering index " + j + " on axis " + ax + " of " + b + " is not supported");
            out(y);
            return;
        }
        if (data instanceof ConstTensor d && idx instanceof ConstTensor i) { out(ConstOps.gather(d, i, axis, what)); return; }
        if (data instanceof ConstTensor d && idx instanceof Value i && d.rank() == 2 && (axis == 0 || axis == -2) && !d.isInt()) {
            out(im.named(n).embedding(i, d.f(), d.shape()[0], d.shape()[1]));
            return;
        }
        if (data instanceof Value v && idx instanceof ConstTensor i && i.size() == 1 && i.rank() <= 1) { // x[:, ..., k, ...]
            int ax = ConstOps.axis(axis, v.rank(), what);
            if (ax == 0) throw unsupported("gathering along the batch axis is not supported");
            long j = i.asLongs()[0] < 0 ? i.asLongs()[0] + v.dim(ax) : i.asLongs()[0];
            if (j < 0 || j >= v.dim(ax)) throw unsupported("index " + i.asLongs()[0] + " is out of range for axis size " + v.dim(ax));
            Tracer t = im.named(n);
            Value s = t.slice(v, ax, j, j + 1, 1);
            if (i.rank() == 0) {
                long[] sh = s.shape();
                long[] rest = new long[sh.length - 2];
                for (int d = 1, k = 0; d < sh.length; d++) if (d != ax) rest[k++] = sh[d];
                s = t.reshape(s, rest);
            }
            out(s);
            return;
        }
        throw unsupported("gathering from graph values is supported for embedding lookups in a constant table and one constant index");
    }

    void squeeze(boolean unsqueeze, List<Object> ins) {
        Object x = arg(ins, 0);
        if (x instanceof BatchMoved b) { squeezeMoved(unsqueeze, b, ins); return; }
        long[] s = x instanceof Value v ? v.shape() : ((ConstTensor) x).shape();
        long[] axes = ins.size() > 1 && ins.get(1) != null ? k(ins, 1).asLongs() : null;
        long[] ns;
        if (unsqueeze) {
            if (axes == null) throw unsupported("axes input is required");
            int r = s.length + axes.length;
            boolean[] ins1 = new boolean[r];
            for (long a : axes) {
                int ax = ConstOps.axis(a, r, what);
                if (ins1[ax]) throw unsupported("axis " + a + " repeats");
                ins1[ax] = true;
            }
            ns = new long[r];
            for (int i = 0, j = 0; i < r; i++) ns[i] = ins1[i] ? 1 : s[j++];
            if (x instanceof Value && ins1[0]) throw unsupported("inserting an axis before the batch axis is not supported");
        } else {
            boolean[] drop = new boolean[s.length];
            if (axes == null) for (int i = x instanceof Value ? 1 : 0; i < s.length; i++) drop[i] = s[i] == 1;
            else for (long a : axes) {
                int ax = ConstOps.axis(a, s.length, what);
                if (s[ax] != 1) throw unsupported("axis " + a + " has size " + s[ax] + ", not 1");
                drop[ax] = true;
            }
            if (x instanceof Value && drop[0]) throw unsupported("squeezing the batch axis is not supported");
            List<Long> keep = new ArrayList<>();
            for (int i = 0; i < s.length; i++) if (!drop[i]) keep.add(s[i]);
            ns = keep.stream().mapToLong(Long::longValue).toArray();
        }
        if (x instanceof ConstTensor c) out(ConstOps.reshape(c, ns));
        else out(im.named(n).reshape((Value) x, Arrays.copyOfRange(ns, 1, ns.length)));
    }

    private void squeezeMoved(boolean unsqueeze, BatchMoved b, List<Object> ins) {
        long[] axes = ins.size() > 1 && ins.get(1) != null ? k(ins, 1).asLongs() : attrInts("axes");
        if (axes == null) throw unsupported("axes are required for " + b);
        int r = b.axes().length + (unsqueeze ? axes.length : 0);
        boolean[] mark = new boolean[r];
        for (long a : axes) mark[ConstOps.axis(a, r, what)] = true;
        Object y = unsqueeze ? b.unsqueeze(mark, im.tracer) : b.squeeze(mark, im.tracer);
        if (y == null) throw unsupported("axes " + Arrays.toString(axes) + " of " + b + " are not inserted size-1 axes");
        out(y);
    }

    void reshape(List<Object> ins) {
        Object x = arg(ins, 0);
        ConstTensor target = k(ins, 1);
        long[] s = x instanceof Value v ? v.shape() : x instanceof BatchMoved b ? b.shape() : ((ConstTensor) x).shape();
        long[] want = target.asLongs().clone();
        boolean allowZero = attrInt("allowzero", 0) != 0;
        int infer = -1;
        long known = 1;
        for (int i = 0; i < want.length; i++) {
            if (want[i] == 0 && !allowZero) {
                if (i >= s.length) throw unsupported("shape copies dim " + i + " of a rank-" + s.length + " input");
                want[i] = s[i];
            }
            if (want[i] == -1) {
                if (infer >= 0) throw unsupported("shape " + Arrays.toString(target.asLongs()) + " has two -1 entries");
                infer = i;
            } else if (want[i] < 0) throw unsupported("shape " + Arrays.toString(target.asLongs()) + " has a negative entry");
            else known = Math.multiplyExact(known, want[i]);
        }
        long total = ConstTensor.numel(s, what);
        if (infer >= 0) {
            if (known == 0 || total % known != 0) throw unsupported("cannot reshape " + Arrays.toString(s) + " to " + Arrays.toString(target.asLongs()));
            want[infer] = total / known;
        }
        if (ConstTensor.numel(want, what) != total) throw unsupported("cannot reshape " + Arrays.toString(s) + " to " + Arrays.toString(target.asLongs()));
        if (x instanceof ConstTensor c) { out(ConstOps.reshape(c, want)); return; }
        if (x instanceof BatchMoved b) { out(reshapeMoved(b, want)); return; }
        long t0 = target.asLongs().length > 0 ? target.asLongs()[0] : 1;
        boolean keepsBatch = want.length > 0 && want[0] == s[0] && (target.batchAt(0) || (t0 == 0 && !allowZero) || t0 == -1 || t0 == im.batch);
        if (!keepsBatch) throw unsupported("reshape " + Arrays.toString(s) + " -> " + Arrays.toString(want) + " does not keep the batch axis");
        long[] rest = Arrays.copyOfRange(want, 1, want.length);
        out(im.named(n).reshape((Value) x, rest));
    }

    /**
     * A reshape of a batch-moved value that keeps every axis up to the batch and regroups only those after it,
     * which must be the last axes of v in order (a bidirectional layer's [L, N, 2, H] -> [L, N, 2H]).
     */
    private Object reshapeMoved(BatchMoved b, long[] want) {
        int ba = b.batchAxis();
        long[] s = b.shape();
        int[] a = b.axes();
        boolean ok = want.length > ba;
        for (int i = 0; ok && i <= ba; i++) ok = want[i] == s[i];
        int first = -1;
        for (int i = ba + 1; ok && i < a.length; i++) {
            if (a[i] < 0) continue;
            if (first < 0) first = a[i];
            ok = a[i] == first + countReal(a, ba + 1, i);
        }
        int tail = first < 0 ? b.v().rank() : first;
        ok &= first < 0 || first + countReal(a, ba + 1, a.length) == b.v().rank();
        for (int i = 0; ok && i <= ba; i++) ok = a[i] < tail;
        if (!ok) throw unsupported("reshape " + Arrays.toString(s) + " -> " + Arrays.toString(want) + " of " + b + " is not supported");
        long[] vs = new long[tail - 1 + want.length - ba - 1];
        for (int i = 1; i < tail; i++) vs[i - 1] = b.v().dim(i);
        for (int i = ba + 1; i < want.length; i++) vs[tail - 1 + i - ba - 1] = want[i];
        int[] na = new int[want.length];
        for (int i = 0; i <= ba; i++) na[i] = a[i];
        for (int i = ba + 1; i < want.length; i++) na[i] = tail + i - ba - 1;
        return BatchMoved.settle(na, im.tracer.reshape(b.v(), vs), im.tracer);
    }

    private static int countReal(int[] a, int from, int to) {
        int k = 0;
        for (int i = from; i < to; i++) if (a[i] >= 0) k++;
        return k;
    }

    void flatten(Object x) {
        long axis = attrInt("axis", 1);
        if (x instanceof ConstTensor c) {
            int ax = axis < 0 ? (int) axis + c.rank() : (int) axis;
            long a = 1;
            for (int i = 0; i < ax; i++) a *= c.shape()[i];
            out(ConstOps.reshape(c, new long[]{a, c.size() / Math.max(1, a)}));
            return;
        }
        Value v = (Value) x;
        int ax = axis < 0 ? (int) axis + v.rank() : (int) axis;
        if (ax != 1) throw unsupported("flatten at axis " + axis + " of a rank-" + v.rank() + " value would merge the batch axis");
        out(im.named(n).flatten(v, 1, -1));
    }

    void split(List<Object> ins) {
        Object x = arg(ins, 0);
        long[] shape = x instanceof Value v ? v.shape() : ((ConstTensor) x).shape();
        int ax = ConstOps.axis(attrInt("axis", 0), shape.length, what);
        int parts = n.outputs().size();
        long[] sizes = ins.size() > 1 && ins.get(1) != null ? k(ins, 1).asLongs() : attrInts("split");
        if (sizes == null) {
            sizes = new long[parts];
            long each = (shape[ax] + parts - 1) / parts;
            for (int i = 0; i < parts; i++) sizes[i] = Math.max(0, Math.min(each, shape[ax] - i * each));
        }
        if (sizes.length != parts) throw unsupported(sizes.length + " split sizes for " + parts + " outputs");
        long start = 0, total = 0;
        for (long z : sizes) {
            if (z < 0) throw unsupported("negative split size " + z);
            total += z;
        }
        if (total != shape[ax]) throw unsupported("split sizes " + Arrays.toString(sizes) + " do not add up to " + shape[ax]);
        if (x instanceof Value && ax == 0) throw unsupported("splitting along the batch axis is not supported");
        for (int i = 0; i < parts; i++) {
            long[] a = {start}, b = {start + sizes[i]}, axes = {ax};
            im.define(n, i, x instanceof ConstTensor d ? ConstOps.slice(d, a, b, axes, null, what) : slice((Value) x, a, b, axes, null));
            start += sizes[i];
        }
    }

    void transpose(Object x) {
        long[] perm = attrInts("perm");
        if (x instanceof ConstTensor c) { out(ConstOps.transpose(c, perm, what)); return; }
        if (x instanceof BatchMoved b) {
            Object y = perm == null ? null : b.transpose(perm, im.tracer);
            if (y == null) throw unsupported("perm " + Arrays.toString(perm) + " does not fit " + b);
            out(y);
            return;
        }
        Value v = (Value) x;
        if (perm == null) throw unsupported("a transpose of a graph value without perm reverses the batch axis");
        if (perm.length != v.rank()) throw unsupported("perm " + Arrays.toString(perm) + " does not fit " + Arrays.toString(v.shape()));
        if (perm[0] != 0) { // the batch leaves axis 0: only a recurrent layer or a transpose back may read this (see BatchMoved)
            int[] a = new int[perm.length];
            boolean[] seen = new boolean[perm.length];
            for (int i = 0; i < a.length; i++) {
                if (perm[i] < 0 || perm[i] >= a.length || seen[(int) perm[i]]) throw unsupported("perm " + Arrays.toString(perm) + " is not a permutation");
                seen[(int) perm[i]] = true;
                a[i] = (int) perm[i];
            }
            out(new BatchMoved(v, a));
            return;
        }
        boolean identity = true;
        for (int i = 0; i < perm.length; i++) identity &= perm[i] == i;
        out(identity ? v : im.named(n).permute(v, perm));
    }

    void expand(Object x, ConstTensor shape) {
        if (x instanceof ConstTensor c) {
            long[] to = shape.asLongs();
            if (to.length >= 1 && shape.batchAt(0) && (c.rank() < to.length || c.shape()[0] == 1)) { // e.g. a class token expanded to the batch
                to = to.clone();
                to[0] = 1;
                out(overBatch(ConstOps.expand(c, to, what)));
                return;
            }
            out(ConstOps.expand(c, to, what));
            return;
        }
        Value v = (Value) x;
        long[] s = ConstOps.broadcast(v.shape(), shape.asLongs(), what);
        if (s.length != v.rank() || s[0] != v.dim(0))
            throw unsupported("expanding a graph value " + Arrays.toString(v.shape()) + " to " + Arrays.toString(s) + " would move or grow the batch axis");
        for (int a = 1; a < s.length; a++) if (s[a] != v.dim(a)) v = copies(v, a, s[a]);
        out(v);
    }

    /** v, whose axis a has size 1, repeated n times along it: a product with a row of ones (exact: each output is x * 1). */
    private Value copies(Value v, int a, long n) {
        Tracer t = im.tracer;
        float[] ones = new float[(int) n];
        Arrays.fill(ones, 1f);
        int last = v.rank() - 1;
        if (a == last) return t.linear(v, ones, n, 1, null);
        long[] perm = swap(v.rank(), a, last);
        return t.permute(t.linear(t.permute(v, perm), ones, n, 1, null), perm);
    }

    static long[] swap(int rank, int a, int b) {
        long[] perm = new long[rank];
        for (int i = 0; i < rank; i++) perm[i] = i;
        perm[a] = b;
        perm[b] = a;
        return perm;
    }

    /** Tile: each non-batch axis repeated as a whole (concatenated copies). */
    void tile(Value v, ConstTensor repeats) {
        long[] r = repeats.asLongs();
        if (r.length != v.rank()) throw unsupported("repeats " + Arrays.toString(r) + " must have " + v.rank() + " entries");
        if (r[0] != 1) throw unsupported("repeating the batch axis is not supported");
        for (int a = 1; a < r.length; a++) {
            if (r[a] < 1 || r[a] > 1 << 16) throw unsupported("repeats " + Arrays.toString(r) + " must be between 1 and 65536");
            if (r[a] == 1) continue;
            v = Padding.widen(im.tracer, v, a, v.dim(a) * r[a]);
        }
        out(v);
    }

    /** DepthToSpace (DCR or CRD) and SpaceToDepth of NCHW: a 6-D reshape, a permute and a reshape back. */
    void depthSpace(boolean toSpace, Value x) {
        if (x.rank() != 4) throw unsupported("input " + Arrays.toString(x.shape()) + " is not NCHW");
        long b = attrInt("blocksize", Long.MIN_VALUE), c = x.dim(1), h = x.dim(2), w = x.dim(3);
        if (b < 1 || b > 1 << 10) throw unsupported("blocksize " + b);
        Tracer t = im.tracer;
        if (toSpace) {
            if (c % (b * b) != 0) throw unsupported(c + " channels do not split into blocks of " + b + "x" + b);
            boolean crd = attrString("mode", "DCR").equals("CRD");
            if (!crd && !attrString("mode", "DCR").equals("DCR")) throw unsupported("mode '" + attrString("mode", "") + "'");
            long co = c / (b * b);
            Value six = crd ? t.reshape(x, co, b, b, h, w) : t.reshape(x, b, b, co, h, w);
            Value p = crd ? t.permute(six, 0, 1, 4, 2, 5, 3) : t.permute(six, 0, 3, 4, 1, 5, 2);
            out(im.named(n).reshape(p, co, h * b, w * b));
        } else {
            if (h % b != 0 || w % b != 0) throw unsupported(h + "x" + w + " does not split into blocks of " + b + "x" + b);
            Value p = t.permute(t.reshape(x, c, h / b, b, w / b, b), 0, 3, 5, 1, 2, 4);
            out(im.named(n).reshape(p, c * b * b, h / b, w / b));
        }
    }

    /** A slice with a negative step (e.g. PyTorch's flip): the picked positions, one slice each, concatenated in order. */
    private Value backwards(Tracer t, Value v, int ax, long start, long end, long step) {
        if (ax == 0) throw unsupported("slicing the batch axis is not supported");
        long d = v.dim(ax);
        long s = start < 0 ? start + d : Math.min(start, d - 1), e = end < -d ? -1 : end < 0 ? end + d : Math.min(end, d - 1);
        List<Value> parts = new ArrayList<>();
        for (long i = s; i > e && i >= 0; i += step) {
            if (parts.size() >= 1024) throw unsupported("a backwards slice of more than 1024 positions is not supported");
            parts.add(t.slice(v, ax, i, i + 1, 1));
        }
        if (parts.isEmpty()) throw unsupported("the slice selects nothing on axis " + ax);
        return parts.size() == 1 ? parts.get(0) : t.concat(ax, parts.toArray(new Value[0]));
    }

    /** The constant c [1, ...] repeated over the batch: a graph value [N, ...] that follows the batch of the model's input. */
    private Value overBatch(ConstTensor c) {
        Tracer t = im.tracer;
        Value in = im.inputValue;
        long rest = 1;
        for (int i = 1; i < in.rank(); i++) rest *= in.dim(i);
        long[] ones = new long[c.rank() - 1];
        Arrays.fill(ones, 1);
        Value anchor = t.reshape(t.slice(t.reshape(in, rest), 1, 0, 1, 1), ones);  // [N, 1, ..., 1], its values unused
        ElementwiseProgram.Builder p = ElementwiseProgram.builder(2);
        return im.named(n).elementwise(p.build(p.op(ElementwiseOp.IDENTITY, 1)), anchor, im.constantValue(c));
    }

    void concat(List<Object> ins, boolean allConst) {
        long axis = attrInt("axis", Long.MIN_VALUE);
        if (ins.stream().anyMatch(o -> o instanceof BatchMoved)) { // e.g. the last hidden states of stacked LSTM layers
            List<BatchMoved> parts = new ArrayList<>();
            for (Object o : ins) if (o instanceof BatchMoved b) parts.add(b); else throw unsupported("joins " + ins.get(0) + " with a batch-first value");
            BatchMoved y = BatchMoved.concat(parts, ConstOps.axis(axis, parts.get(0).axes().length, what), im.tracer);
            if (y == null) throw unsupported("cannot join " + parts.get(0) + " and the others along axis " + axis);
            out(y);
            return;
        }
        if (allConst) {
            List<ConstTensor> cs = new ArrayList<>();
            for (int i = 0; i < ins.size(); i++) cs.add(k(ins, i));
            out(ConstOps.concat(cs, axis, what));
            return;
        }
        int rank = -1;
        for (Object o : ins) if (o instanceof Value v) rank = v.rank();
        int ax = ConstOps.axis(axis, rank, what);
        if (ax == 0) throw unsupported("concatenating along the batch axis is not supported");
        List<Value> vs = new ArrayList<>();
        for (Object o : ins) {
            if (o == null) throw unsupported("an input is missing");
            if (o instanceof ConstTensor c && (c.rank() != rank || c.shape()[0] != im.batch)) throw unsupported("constant input " + Arrays.toString(c.shape()) + " does not line up with the batch axis");
            if (o instanceof ConstTensor c && c.size() == 0) continue;
            vs.add(asValue(o));
        }
        out(vs.size() == 1 ? vs.get(0) : im.named(n).concat(ax, vs.toArray(new Value[0])));
    }

    /** ONNX Slice of a graph value: one SLICE node per sliced non-batch axis (the batch axis only in full). */
    Value slice(Value x, long[] starts, long[] ends, long[] axes, long[] steps) {
        if (starts.length != ends.length || (axes != null && axes.length != starts.length) || (steps != null && steps.length != starts.length))
            throw unsupported("starts, ends, axes and steps differ in length");
        Value v = x;
        Tracer t = im.named(n);
        for (int i = 0; i < starts.length; i++) {
            int ax = ConstOps.axis(axes == null ? i : axes[i], x.rank(), what);
            long step = steps == null ? 1 : steps[i];
            if (step == 0) throw unsupported("step 0");
            if (step < 0) { v = backwards(t, v, ax, starts[i], ends[i], step); continue; }
            long[] se = ConstOps.sliceBounds(starts[i], ends[i], step, v.dim(ax));
            long end = Math.max(se[0], se[1]);
            if (se[0] == 0 && end == v.dim(ax) && step == 1) continue;
            if (ax == 0) throw unsupported("slicing the batch axis is not supported");
            v = t.slice(v, ax, se[0], end, step);
        }
        return v;
    }

    /**
     * Pad (constant, reflect, edge, wrap; negative pads crop) of a graph value's non-batch axes. Zero padding of
     * the spatial axes that only a Conv reads (or a pool without pads of its own) is left to that consumer, whose
     * own padding absorbs it.
     */
    void pad(List<Object> ins) {
        Value x = dyn(ins, 0);
        String mode = attrString("mode", "constant");
        if (!List.of("constant", "reflect", "edge", "wrap").contains(mode)) throw unsupported("mode '" + mode + "'");
        long[] pads = k(ins, 1).asLongs();
        float value = ins.size() > 2 && ins.get(2) != null ? (float) k(ins, 2).get(0) : 0f;
        int r = x.rank();
        long[] axes = optLongs(ins, 3);
        if (axes == null) { axes = new long[r]; for (int a = 0; a < r; a++) axes[a] = a; }
        if (pads.length != 2 * axes.length) throw unsupported("pads " + Arrays.toString(pads) + " must hold 2 x " + axes.length + " entries");
        long[] begin = new long[r], end = new long[r];
        for (int i = 0; i < axes.length; i++) {
            int a = ConstOps.axis(axes[i], r, what);
            if (Math.abs(pads[i]) > 1 << 20 || Math.abs(pads[i + axes.length]) > 1 << 20) throw unsupported("pads " + Arrays.toString(pads) + " out of range");
            begin[a] = pads[i];
            end[a] = pads[i + axes.length];
        }
        if (mode.equals("constant") && value == 0 && deferToConsumer(x, begin, end)) { out(x); return; }
        out(Padding.pad(im.tracer, x, begin, end, mode, value, what));
    }

    private boolean deferToConsumer(Value x, long[] begin, long[] end) {
        if (x.rank() != 4 || begin[1] != 0 || end[1] != 0) return false;
        for (int a = 2; a < 4; a++) if (begin[a] < 0 || end[a] < 0) return false;
        String y = n.outputs().get(0);
        List<OnnxProto.Node> cs = im.consumers.get(y);
        if (im.usesOf(y) != 1 || cs == null || cs.size() != 1) return false;
        OnnxProto.Node c = cs.get(0);
        if (!c.domain().isEmpty() || c.inputs().isEmpty() || !c.inputs().get(0).equals(y)) return false;
        boolean ownPads = c.attributes().containsKey("pads") || c.attributes().containsKey("auto_pad");
        boolean ok = c.opType().equals("Conv") || (c.opType().equals("AveragePool") && !ownPads);
        if (ok) im.deferredPads.put(c, new long[][]{{begin[2], begin[3]}, {end[2], end[3]}});
        return ok;
    }

}
