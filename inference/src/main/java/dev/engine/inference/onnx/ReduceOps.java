package dev.engine.inference.onnx;

import dev.engine.api.ElementwiseOp;
import dev.engine.api.ElementwiseProgram;
import dev.engine.graph.Tracer;
import dev.engine.graph.Value;
import java.util.Arrays;
import java.util.List;

/**
 * ReduceMean, ReduceSum, ReduceMax, ReduceMin, ReduceL1, ReduceL2 and ReduceSumSquare over any set of non-batch
 * axes, keepdims or not, and GlobalAveragePool / GlobalMaxPool over NCL or NCHW. The reduced axes go last
 * (a permute when they are not already), then one reduction over their product R: a sum or mean is a product
 * with a constant column, a max a [1, R] max pool (a min the max of the negation); mean over H and W of NCHW stays
 * the adaptive average pool.
 *
 * <pre>{@code
 * reduce.bind(node);
 * reduce.reduce(inputs);     // x.amax(dim=2) -> ReduceMax(axes=[2], keepdims=0)
 * }</pre>
 */
final class ReduceOps extends OnnxNodeContext {

    ReduceOps(OnnxImporter im) { super(im); }

    void reduce(List<Object> ins) {
        Object x = arg(ins, 0);
        if (!(x instanceof Value v)) throw unsupported("reducing constants is not folded");
        long[] axes = attrInts("axes");
        if (axes == null && ins.size() > 1 && ins.get(1) != null) axes = k(ins, 1).asLongs();
        if (axes == null || axes.length == 0) {
            if (attrInt("noop_with_empty_axes", 0) != 0) { out(v); return; }
            throw unsupported("reducing every axis (including the batch) is not supported");
        }
        int r = v.rank();
        boolean[] reduced = new boolean[r];
        for (long a : axes) reduced[ConstOps.axis(a, r, what)] = true;
        if (reduced[0]) throw unsupported("reducing the batch axis is not supported");
        out(reduce(v, reduced, attrInt("keepdims", 1) != 0, n.opType()));
    }

    void globalPool(boolean max, Value x) {
        if (x.rank() != 3 && x.rank() != 4) throw unsupported("input " + Arrays.toString(x.shape()) + " is not NCL or NCHW");
        boolean[] reduced = new boolean[x.rank()];
        for (int a = 2; a < x.rank(); a++) reduced[a] = true;
        out(reduce(x, reduced, true, max ? "ReduceMax" : "ReduceMean"));
    }

    private Value reduce(Value v, boolean[] reduced, boolean keep, String op) {
        int r = v.rank();
        long[] keptShape = new long[r], droppedShape;
        int nk = 0;
        long rest = 1, size = 1;
        long[] perm = new long[r];
        int p = 0;
        for (int a = 0; a < r; a++) if (!reduced[a]) { perm[p++] = a; if (a > 0) rest *= v.dim(a); }
        for (int a = 0; a < r; a++) if (reduced[a]) { perm[p++] = a; size *= v.dim(a); }
        for (int a = 0; a < r; a++) {
            keptShape[a] = reduced[a] ? 1 : v.dim(a);
            if (!reduced[a]) nk++;
        }
        droppedShape = new long[nk - 1];
        for (int a = 1, i = 0; a < r; a++) if (!reduced[a]) droppedShape[i++] = v.dim(a);
        long[] target = keep ? Arrays.copyOfRange(keptShape, 1, r) : droppedShape;
        Tracer t = im.named(n), aux = im.tracer;
        if (op.equals("ReduceMean") && r == 4 && !reduced[1] && reduced[2] && reduced[3]) {
            Value y = t.adaptiveAvgPool2d(v, 1, 1);
            return keep ? y : aux.reshape(y, v.dim(1));
        }
        boolean inOrder = true;
        for (int a = 0; a < r; a++) inOrder &= perm[a] == a;
        Value last = inOrder ? v : aux.permute(v, perm);
        Value flat = aux.reshape(last, rest, size);  // [N, rest, R]
        Value y = switch (op) {
            case "ReduceMean", "ReduceSum" -> column(t, flat, size, op.equals("ReduceMean") ? 1.0 / size : 1);
            case "ReduceSumSquare" -> column(t, unary(aux, flat, ElementwiseOp.SQUARE), size, 1);
            case "ReduceL1" -> column(t, unary(aux, flat, ElementwiseOp.ABS), size, 1);
            case "ReduceL2" -> unary(aux, column(t, unary(aux, flat, ElementwiseOp.SQUARE), size, 1), ElementwiseOp.SQRT);
            case "ReduceMax" -> max(t, flat, rest, size);
            case "ReduceMin" -> unary(aux, max(t, unary(aux, flat, ElementwiseOp.NEG), rest, size), ElementwiseOp.NEG);
            default -> throw new IllegalStateException(op);
        };
        return aux.reshape(y, target);
    }

    /** [N, rest, R] -> [N, rest, 1]: a product with a column of {@code weight}s. */
    private static Value column(Tracer t, Value flat, long size, double weight) {
        float[] w = new float[(int) size];
        Arrays.fill(w, (float) weight);
        return t.linear(flat, w, 1, size, null);
    }

    /** [N, rest, R] -> [N, rest, 1, 1]: a max pool with a [1, R] window. */
    private static Value max(Tracer t, Value flat, long rest, long size) {
        if (size > Integer.MAX_VALUE) throw new dev.engine.api.ModelFormatException("onnx: a max over " + size + " values is too large");
        Value planes = t.reshape(flat, rest, 1, size);
        return t.maxPool2d(planes, new int[]{1, (int) size}, new int[]{1, (int) size}, new int[]{0, 0});
    }

    private static Value unary(Tracer t, Value x, ElementwiseOp op) { return t.unary(x, op, 0, op.name().toLowerCase()); }

    /** CumSum along a non-batch axis (exclusive and reverse as ONNX defines them): a product with a triangular constant. */
    void cumSum(Value x, ConstTensor axisT) {
        if (axisT.size() != 1) throw unsupported("axis must be one value");
        int a = ConstOps.axis(axisT.asLongs()[0], x.rank(), what);
        if (a == 0) throw unsupported("a running sum over the batch axis is not supported");
        boolean exclusive = attrInt("exclusive", 0) != 0, reverse = attrInt("reverse", 0) != 0;
        long d = x.dim(a);
        if (d * d > 1 << 24) throw unsupported("a running sum over " + d + " values is too long for its " + d + "x" + d + " matrix");
        float[] w = new float[(int) (d * d)];  // w[j][i]: input i counts towards output j
        for (int j = 0; j < d; j++)
            for (int i = 0; i < d; i++) {
                boolean in = reverse ? (exclusive ? i > j : i >= j) : (exclusive ? i < j : i <= j);
                if (in) w[(int) (j * d + i)] = 1;
            }
        Tracer t = im.named(n), aux = im.tracer;
        int last = x.rank() - 1;
        if (a == last) { out(t.linear(x, w, d, d, null)); return; }
        long[] perm = LayoutOps.swap(x.rank(), a, last);
        out(aux.permute(t.linear(aux.permute(x, perm), w, d, d, null), perm));
    }
}
