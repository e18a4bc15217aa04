package dev.engine.api;

import java.util.Arrays;

/**
 * How a tensor's elements sit in a buffer: shape, strides (in elements, may be 0 for broadcast) and the
 * offset of the first element. Views (transpose, slice, broadcast) are new layouts over the same buffer.
 * Immutable.
 *
 * <pre>{@code
 * Layout m = Layout.contiguous(2, 3);        // strides [3, 1]
 * Layout t = m.transpose(0, 1);              // shape [3, 2], strides [1, 3], no copy
 * Layout row = m.narrow(0, 1, 1);            // the second row, offset 3
 * }</pre>
 */
public final class Layout {
    private final long[] shape;
    private final long[] strides;
    private final long offset;

    public Layout(long[] shape, long[] strides, long offset) {
        if (shape.length != strides.length)
            throw new ShapeException("layout rank mismatch: shape " + Shapes.str(shape) + " strides " + Arrays.toString(strides));
        if (offset < 0) throw new ShapeException("negative layout offset " + offset);
        Shapes.numel(shape);
        this.shape = shape.clone();
        this.strides = strides.clone();
        this.offset = offset;
    }

    /** A row-major contiguous layout. */
    public static Layout contiguous(long... shape) {
        return new Layout(shape, contiguousStrides(shape), 0);
    }

    /** Row-major strides for a shape. */
    public static long[] contiguousStrides(long[] shape) {
        long[] st = new long[shape.length];
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            st[i] = s;
            s *= Math.max(shape[i], 1);
        }
        return st;
    }

    public long[] shape() { return shape.clone(); }
    public long[] strides() { return strides.clone(); }
    public long shape(int axis) { return shape[axis]; }
    public long stride(int axis) { return strides[axis]; }
    public long offset() { return offset; }
    public int rank() { return shape.length; }
    public long numel() { return Shapes.numel(shape); }

    /** True when elements are row-major and dense starting at {@link #offset()}. */
    public boolean isContiguous() {
        long s = 1;
        for (int i = shape.length - 1; i >= 0; i--) {
            if (shape[i] != 1 && strides[i] != s) return false;
            s *= shape[i];
        }
        return true;
    }

    /**
     * Smallest and largest element index this layout touches; {@code {offset, offset-1}} when empty.
     * Throws a {@link ShapeException} when an index does not fit in 64 bits.
     */
    public long[] span() {
        for (long d : shape) if (d == 0) return new long[]{offset, offset - 1};
        long lo = offset, hi = offset;
        try {
            for (int i = 0; i < shape.length; i++) {
                long ext = Math.multiplyExact(shape[i] - 1, strides[i]);
                if (ext < 0) lo = Math.addExact(lo, ext); else hi = Math.addExact(hi, ext);
            }
        } catch (ArithmeticException e) {
            throw new ShapeException("layout " + this + " reaches element indices that overflow 64 bits");
        }
        return new long[]{lo, hi};
    }

    public Layout withOffset(long newOffset) { return new Layout(shape, strides, newOffset); }

    /** Reorders axes. */
    public Layout permute(int... axes) {
        if (axes.length != shape.length) throw new ShapeException("permute: " + axes.length + " axes for rank " + shape.length);
        long[] s = new long[axes.length], st = new long[axes.length];
        boolean[] seen = new boolean[axes.length];
        for (int i = 0; i < axes.length; i++) {
            int a = Shapes.axis("permute", axes[i], shape.length);
            if (seen[a]) throw new ShapeException("permute: axis " + a + " repeated in " + Arrays.toString(axes));
            seen[a] = true;
            s[i] = shape[a];
            st[i] = strides[a];
        }
        return new Layout(s, st, offset);
    }

    /** Swaps two axes. */
    public Layout transpose(int a, int b) {
        int[] p = new int[shape.length];
        for (int i = 0; i < p.length; i++) p[i] = i;
        a = Shapes.axis("transpose", a, shape.length);
        b = Shapes.axis("transpose", b, shape.length);
        p[a] = b;
        p[b] = a;
        return permute(p);
    }

    /** Elements {@code start .. start+length-1} along an axis. */
    public Layout narrow(int axis, long start, long length) {
        int a = Shapes.axis("narrow", axis, shape.length);
        if (start < 0 || length < 0 || start > shape[a] || length > shape[a] - start)
            throw new ShapeException("narrow: range [" + start + ", " + (start + length) + ") outside dim " + a
                    + " of size " + shape[a] + " in shape " + Shapes.str(shape));
        long[] s = shape.clone();
        s[a] = length;
        return new Layout(s, strides, offset + (length == 0 ? 0 : start * strides[a]));
    }

    /** Every {@code step}-th element of {@code [start, end)} along an axis. */
    public Layout slice(int axis, long start, long end, long step) {
        int a = Shapes.axis("slice", axis, shape.length);
        if (step <= 0) throw new ShapeException("slice: step " + step + " must be positive");
        if (start < 0 || end > shape[a] || start > end)
            throw new ShapeException("slice: [" + start + ", " + end + ") outside dim " + a + " of size " + shape[a]);
        long len = end == start ? 0 : (end - start - 1) / step + 1;
        long[] s = shape.clone(), st = strides.clone();
        s[a] = len;
        try {
            st[a] = len > 1 ? Math.multiplyExact(strides[a], step) : strides[a];
        } catch (ArithmeticException e) {
            throw new ShapeException("slice: stride " + strides[a] + " times step " + step + " overflows 64 bits");
        }
        return new Layout(s, st, offset + (len == 0 ? 0 : start * strides[a]));
    }

    /** Picks one index along an axis and drops that axis. */
    public Layout select(int axis, long index) {
        int a = Shapes.axis("select", axis, shape.length);
        if (index < 0 || index >= shape[a])
            throw new IndexOutOfRangeException("select: index " + index + " outside dim " + a + " of size " + shape[a]);
        return new Layout(remove(shape, a), remove(strides, a), offset + index * strides[a]);
    }

    /** Inserts a size-1 axis. */
    public Layout unsqueeze(int axis) {
        int a = axis < 0 ? axis + shape.length + 1 : axis;
        if (a < 0 || a > shape.length) throw new ShapeException("unsqueeze: axis " + axis + " out of range for rank " + shape.length);
        return new Layout(insert(shape, a, 1), insert(strides, a, 0), offset);
    }

    /** Removes a size-1 axis. */
    public Layout squeeze(int axis) {
        int a = Shapes.axis("squeeze", axis, shape.length);
        if (shape[a] != 1) throw new ShapeException("squeeze: dim " + a + " has size " + shape[a] + ", not 1, in " + Shapes.str(shape));
        return new Layout(remove(shape, a), remove(strides, a), offset);
    }

    /** NumPy broadcast to a larger shape: new leading axes and size-1 axes get stride 0. */
    public Layout broadcastTo(long[] target) {
        if (target.length < shape.length)
            throw new ShapeException("broadcast: cannot broadcast " + Shapes.str(shape) + " to smaller rank " + Shapes.str(target));
        long[] st = new long[target.length];
        int lead = target.length - shape.length;
        for (int i = 0; i < target.length; i++) {
            if (i < lead) { st[i] = 0; continue; }
            long d = shape[i - lead];
            if (d == target[i]) st[i] = strides[i - lead];
            else if (d == 1) st[i] = 0;
            else throw new ShapeException("broadcast: cannot broadcast " + Shapes.str(shape) + " to " + Shapes.str(target));
        }
        return new Layout(target, st, offset);
    }

    /**
     * A view with a new shape over the same elements when the strides allow it (always for contiguous
     * layouts); {@code null} when a copy is needed. One dim may be -1 (inferred).
     */
    public Layout reshapeOrNull(long[] newShape) {
        long[] ns = inferShape(newShape, numel());
        if (isContiguous() || numel() == 0) return new Layout(ns, contiguousStrides(ns), offset);
        long[] st = viewStrides(ns);
        return st == null ? null : new Layout(ns, st, offset);
    }

    /**
     * Strides that view this layout's elements (in row-major order) with shape {@code ns}, or null. Each
     * run of old dims that is contiguous with respect to each other is split or merged on its own
     * (PyTorch's computeStride); size-1 dims take any stride.
     */
    private long[] viewStrides(long[] ns) {
        long[] st = new long[ns.length];
        int vd = ns.length - 1;
        long base = strides[strides.length - 1], tensorNumel = 1, viewNumel = 1;
        for (int td = shape.length - 1; td >= 0; td--) {
            tensorNumel *= shape[td];
            if (td == 0 || (shape[td - 1] != 1 && strides[td - 1] != tensorNumel * base)) {
                while (vd >= 0 && (viewNumel < tensorNumel || ns[vd] == 1)) {
                    st[vd] = viewNumel * base;
                    viewNumel *= ns[vd];
                    vd--;
                }
                if (viewNumel != tensorNumel) return null;
                if (td > 0) {
                    base = strides[td - 1];
                    tensorNumel = 1;
                    viewNumel = 1;
                }
            }
        }
        return vd == -1 ? st : null;
    }

    /** Resolves one -1 dimension and checks the element count. */
    public static long[] inferShape(long[] newShape, long numel) {
        long[] ns = newShape.clone();
        int infer = -1;
        long known = 1;
        for (int i = 0; i < ns.length; i++) {
            if (ns[i] == -1) {
                if (infer >= 0) throw new ShapeException("reshape: more than one -1 in " + Shapes.str(newShape));
                infer = i;
            } else if (ns[i] < 0) {
                throw new ShapeException("reshape: negative dim in " + Shapes.str(newShape));
            } else known *= ns[i];
        }
        if (infer >= 0) {
            if (known == 0 || numel % known != 0)
                throw new ShapeException("reshape: cannot infer -1 in " + Shapes.str(newShape) + " for " + numel + " elements");
            ns[infer] = numel / known;
        }
        if (Shapes.numel(ns) != numel)
            throw new ShapeException("reshape: shape " + Shapes.str(newShape) + " does not hold " + numel + " elements");
        return ns;
    }

    private static long[] remove(long[] a, int i) {
        long[] r = new long[a.length - 1];
        System.arraycopy(a, 0, r, 0, i);
        System.arraycopy(a, i + 1, r, i, a.length - i - 1);
        return r;
    }

    private static long[] insert(long[] a, int i, long v) {
        long[] r = new long[a.length + 1];
        System.arraycopy(a, 0, r, 0, i);
        r[i] = v;
        System.arraycopy(a, i, r, i + 1, a.length - i);
        return r;
    }

    @Override public boolean equals(Object o) {
        return o instanceof Layout l && l.offset == offset && Arrays.equals(l.shape, shape) && Arrays.equals(l.strides, strides);
    }

    @Override public int hashCode() { return Arrays.hashCode(shape) * 31 + Arrays.hashCode(strides) + Long.hashCode(offset); }

    @Override public String toString() {
        return "Layout(shape=" + Shapes.str(shape) + ", strides=" + Arrays.toString(strides) + ", offset=" + offset + ")";
    }
}
