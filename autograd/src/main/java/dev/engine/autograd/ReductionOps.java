package dev.engine.autograd;

import dev.engine.api.DType;
import dev.engine.api.ReduceOp;
import dev.engine.api.ShapeException;
import dev.engine.api.Shapes;
import java.util.Arrays;

/** Reductions along axes, with gradients that broadcast back to the input shape. */
final class ReductionOps {
    private ReductionOps() {}

    /** Normalised, sorted, distinct axes. */
    static int[] axes(String op, int[] axes, int rank) {
        int[] a = new int[axes.length];
        for (int i = 0; i < axes.length; i++) a[i] = Shapes.axis(op, axes[i], Math.max(rank, 1));
        Arrays.sort(a);
        for (int i = 1; i < a.length; i++)
            if (a[i] == a[i - 1]) throw new ShapeException(op + ": axis " + a[i] + " given twice");
        return a;
    }

    static long[] keptShape(long[] shape, int[] axes, boolean keepDim) {
        boolean[] red = new boolean[shape.length];
        for (int a : axes) red[a] = true;
        int n = 0;
        for (int i = 0; i < shape.length; i++) if (keepDim || !red[i]) n++;
        long[] out = new long[n];
        int k = 0;
        for (int i = 0; i < shape.length; i++) {
            if (!red[i]) out[k++] = shape[i];
            else if (keepDim) out[k++] = 1;
        }
        return out;
    }

    private static Tensor reduceRaw(ReduceOp op, Tensor x, int[] axes, boolean keepDim) {
        x.checkOpen();
        ElementwiseOps.checkFloating(op.name().toLowerCase(), x);
        if (x.dim() == 0) {
            if (op.producesIndices()) return Tensor.zeros(DType.I64);
            return op == ReduceOp.SUM_SQUARES ? x.detach().square() : x.detach().copy();
        }
        long[] outShape = keptShape(x.shape(), axes, keepDim);
        Tensor out = Tensor.empty(x.backend(), op.producesIndices() ? DType.I64 : x.dtype(), outShape);
        x.backend().reduce(op, x.view(), axes, out.buffer());
        return out;
    }

    static Tensor sum(Tensor x, int[] axes, boolean keepDim) {
        int[] a = axes("sum", axes, x.dim());
        Tensor y = reduceRaw(ReduceOp.SUM, x, a, keepDim);
        return y.recordedBy(new Expanding("sum", x, a, keepDim, 1.0));
    }

    static Tensor mean(Tensor x, int[] axes, boolean keepDim) {
        int[] a = axes("mean", axes, x.dim());
        long count = 1;
        for (int ax : a) count *= x.dim() == 0 ? 1 : x.shape()[ax];
        Tensor y = reduceRaw(ReduceOp.MEAN, x, a, keepDim);
        return y.recordedBy(new Expanding("mean", x, a, keepDim, count == 0 ? Double.NaN : 1.0 / count));
    }

    /** sum/mean backward: the gradient broadcast back over the reduced axes, times a scale. */
    private static final class Expanding extends Node {
        final String name;
        final int[] axes;
        final boolean keepDim;
        final double scale;
        final long[] inShape;

        Expanding(String name, Tensor x, int[] axes, boolean keepDim, double scale) {
            super(x);
            this.name = name; this.axes = axes; this.keepDim = keepDim; this.scale = scale; this.inShape = x.shape();
        }

        @Override public String name() { return name; }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor e = expandBack(g, inShape, axes, keepDim);
            return new Tensor[]{scale == 1.0 ? e : e.mul(scale)};
        }
    }

    /** Re-inserts reduced axes (size 1) and broadcasts to the input shape, as a view. */
    static Tensor expandBack(Tensor g, long[] inShape, int[] axes, boolean keepDim) {
        if (inShape.length == 0) return g.reshape();
        return g.reshape(keptShape(inShape, axes, true)).expand(inShape);
    }

    static Tensor extreme(Tensor x, int axis, boolean keepDim, boolean max) {
        String name = max ? "max" : "min";
        int a = Shapes.axis(name, axis, x.dim());
        if (x.shape()[a] == 0) throw new ShapeException(name + ": cannot reduce empty axis " + a + " of shape " + Shapes.str(x.shape()));
        Tensor y = reduceRaw(max ? ReduceOp.MAX : ReduceOp.MIN, x, new int[]{a}, keepDim);
        if (!GradMode.isEnabled() || !x.requiresGrad()) return y;
        Tensor idx = reduceRaw(max ? ReduceOp.ARGMAX : ReduceOp.ARGMIN, x, new int[]{a}, true);
        return y.recordedBy(new Extreme(name, x, idx, a, keepDim));
    }

    /** max/min backward: the gradient goes to the position the index kernel chose. */
    private static final class Extreme extends Node {
        final String name;
        final int axis;
        final boolean keepDim;
        final long[] inShape;

        Extreme(String name, Tensor x, Tensor idx, int axis, boolean keepDim) {
            super(x);
            this.name = name; this.axis = axis; this.keepDim = keepDim; this.inShape = x.shape();
            save(idx);
        }

        @Override public String name() { return name; }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor idx = saved(0).to(g.dtype());
            long[] pos = new long[inShape.length];
            Arrays.fill(pos, 1);
            pos[axis] = inShape[axis];
            Tensor iota = Tensor.arange(inShape[axis]).to(g.dtype()).reshape(pos);
            Tensor mask = iota.eq(idx);
            return new Tensor[]{mask.mul(expandBack(g, inShape, new int[]{axis}, keepDim))};
        }
    }

    static Tensor argExtreme(Tensor x, int axis, boolean keepDim, boolean max) {
        int a = Shapes.axis(max ? "argmax" : "argmin", axis, x.dim());
        if (x.shape()[a] == 0) throw new ShapeException((max ? "argmax" : "argmin") + ": empty axis " + a);
        return reduceRaw(max ? ReduceOp.ARGMAX : ReduceOp.ARGMIN, x, new int[]{a}, keepDim);
    }

    static Tensor var(Tensor x, int[] axes, boolean keepDim, boolean unbiased) {
        int[] a = axes("var", axes, x.dim());
        long count = 1;
        for (int ax : a) count *= x.shape()[ax];
        Tensor centered = x.sub(mean(x, a, true));
        Tensor ss = sum(centered.square(), a, keepDim);
        long denom = unbiased ? count - 1 : count;
        return ss.mul(denom <= 0 ? Double.NaN : 1.0 / denom);
    }

    /** Sums a broadcast gradient back down to {@code shape}. */
    static Tensor sumToShape(Tensor g, long[] shape) {
        long[] gs = g.shape();
        if (Arrays.equals(gs, shape)) return g;
        int lead = gs.length - shape.length;
        if (lead < 0) throw new ShapeException("sumToShape: gradient " + Shapes.str(gs) + " has lower rank than " + Shapes.str(shape));
        int[] red = new int[gs.length];
        int n = 0;
        for (int i = 0; i < gs.length; i++) {
            if (i < lead || (shape[i - lead] == 1 && gs[i] != 1)) red[n++] = i;
        }
        Tensor s = n == 0 ? g : reduceRaw(ReduceOp.SUM, g, Arrays.copyOf(red, n), true);
        return s.reshape(shape);
    }
}
