package dev.engine.autograd;

import dev.engine.api.Backend;
import dev.engine.api.DType;
import dev.engine.api.Layout;
import dev.engine.api.ShapeException;
import dev.engine.api.Shapes;
import java.util.Arrays;

/** Views (no copy), copies, casts and transfers, with their gradient rules. */
final class ViewOps {
    private ViewOps() {}

    static Tensor reshape(Tensor x, long[] newShape) {
        x.checkOpen();
        long[] target = Layout.inferShape(newShape, x.numel());
        Layout l = x.layout().reshapeOrNull(target);
        if (l == null) return reshapeView(copy(x), target);
        return x.viewAs(l).recordedBy(new Reshape(x));
    }

    /** Reshape of a tensor whose layout allows a view (squeeze/unsqueeze always do). */
    static Tensor reshapeView(Tensor x, long[] target) {
        Layout l = x.layout().reshapeOrNull(target);
        if (l == null) {
            // squeeze/unsqueeze of a strided tensor: build the layout by hand
            l = stridedReshape(x.layout(), target);
            if (l == null) return reshapeView(copy(x), target);
        }
        return x.viewAs(l).recordedBy(new Reshape(x));
    }

    /** Layout for a shape that only adds or drops size-1 dims. */
    private static Layout stridedReshape(Layout src, long[] target) {
        long[] s = src.shape(), st = src.strides();
        long[] nst = new long[target.length];
        int i = 0;
        for (int j = 0; j < target.length; j++) {
            while (i < s.length && s[i] == 1 && target[j] != 1) i++;
            if (i < s.length && s[i] == target[j]) { nst[j] = st[i]; i++; }
            else if (target[j] == 1) nst[j] = 0;
            else return null;
        }
        while (i < s.length && s[i] == 1) i++;
        if (i != s.length) return null;
        return new Layout(target, nst, src.offset());
    }

    private static final class Reshape extends Node {
        final long[] inShape;

        Reshape(Tensor x) { super(x); inShape = x.shape(); }

        @Override public String name() { return "reshape"; }

        @Override protected Tensor[] backward(Tensor g) { return new Tensor[]{g.reshape(inShape)}; }
    }

    static Tensor permute(Tensor x, int[] axes) {
        Layout l = x.layout().permute(axes);
        return x.viewAs(l).recordedBy(new Permute(x, axes));
    }

    private static final class Permute extends Node {
        final int[] inverse;

        Permute(Tensor x, int[] axes) {
            super(x);
            inverse = new int[axes.length];
            for (int i = 0; i < axes.length; i++) inverse[Shapes.axis("permute", axes[i], axes.length)] = i;
        }

        @Override public String name() { return "permute"; }

        @Override protected Tensor[] backward(Tensor g) { return new Tensor[]{g.permute(inverse)}; }
    }

    static Tensor narrow(Tensor x, int axis, long start, long end, long step) {
        int a = Shapes.axis("slice", axis, x.dim());
        Layout l = x.layout().slice(a, start, end, step);
        return x.viewAs(l).recordedBy(new Narrow(x, a, start, end, step));
    }

    private static final class Narrow extends Node {
        final long[] inShape;
        final int axis;
        final long start, end, step;

        Narrow(Tensor x, int axis, long start, long end, long step) {
            super(x);
            inShape = x.shape(); this.axis = axis; this.start = start; this.end = end; this.step = step;
        }

        @Override public String name() { return "slice"; }

        @Override protected Tensor[] backward(Tensor g) {
            Tensor gx = Tensor.full(g.backend(), g.dtype(), 0, inShape);
            Tensor region = gx.viewAs(gx.layout().slice(axis, start, end, step));
            g.backend().copy(g.view(), region.view());
            return new Tensor[]{gx};
        }
    }

    static Tensor expand(Tensor x, long[] target) {
        Layout l = x.layout().broadcastTo(target);
        if (Arrays.equals(target, x.shape())) return x;
        return x.viewAs(l).recordedBy(new Expand(x));
    }

    private static final class Expand extends Node {
        final long[] inShape;

        Expand(Tensor x) { super(x); inShape = x.shape(); }

        @Override public String name() { return "expand"; }

        @Override protected Tensor[] backward(Tensor g) { return new Tensor[]{ReductionOps.sumToShape(g, inShape)}; }
    }

    static Tensor copy(Tensor x) {
        x.checkOpen();
        Tensor y = Tensor.empty(x.backend(), x.dtype(), x.shape());
        x.backend().copy(x.view(), y.view());
        return y.recordedBy(new Identity("copy", x));
    }

    private static final class Identity extends Node {
        final String name;

        Identity(String name, Tensor x) { super(x); this.name = name; }

        @Override public String name() { return name; }

        @Override protected Tensor[] backward(Tensor g) { return new Tensor[]{g}; }
    }

    static Tensor cast(Tensor x, DType target) {
        x.checkOpen();
        Tensor y = Tensor.empty(x.backend(), target, x.shape());
        x.backend().copy(x.view(), y.view());
        if (!target.isFloating() || !x.dtype().isFloating()) return y;
        return y.recordedBy(new Cast(x));
    }

    private static final class Cast extends Node {
        final DType from;

        Cast(Tensor x) { super(x); from = x.dtype(); }

        @Override public String name() { return "to(" + from + ")"; }

        @Override protected Tensor[] backward(Tensor g) { return new Tensor[]{g.to(from)}; }
    }

    /** Copies through the host; fine for moving models and data, not for hot loops. */
    static Tensor transfer(Tensor x, Backend target) {
        x.checkOpen();
        Tensor c = x.dense();
        int n = Shapes.numelInt(x.shape());
        Tensor y = Tensor.empty(target, x.dtype(), x.shape());
        switch (x.dtype()) {
            case F32 -> { float[] v = new float[n]; x.backend().copyOut(c.buffer(), 0, v, 0, n); target.copyIn(v, 0, y.buffer(), 0, n); }
            case F64 -> { double[] v = new double[n]; x.backend().copyOut(c.buffer(), 0, v, 0, n); target.copyIn(v, 0, y.buffer(), 0, n); }
            case I32 -> { int[] v = new int[n]; x.backend().copyOut(c.buffer(), 0, v, 0, n); target.copyIn(v, 0, y.buffer(), 0, n); }
            case I64 -> { long[] v = new long[n]; x.backend().copyOut(c.buffer(), 0, v, 0, n); target.copyIn(v, 0, y.buffer(), 0, n); }
            default -> throw new ShapeException("to(backend): dtype " + x.dtype() + " cannot be transferred");
        }
        return y.recordedBy(new Transfer(x));
    }

    private static final class Transfer extends Node {
        final Backend from;

        Transfer(Tensor x) { super(x); from = x.backend(); }

        @Override public String name() { return "to(" + from.name() + ")"; }

        @Override protected Tensor[] backward(Tensor g) { return new Tensor[]{g.to(from)}; }
    }
}
