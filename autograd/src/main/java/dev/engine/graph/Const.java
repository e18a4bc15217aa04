package dev.engine.graph;

import dev.engine.api.ShapeException;
import dev.engine.api.Shapes;
import java.util.Arrays;

/**
 * A constant tensor of the graph (a weight, a bias, a folded scale) held on the Java heap as F32, so it
 * belongs to no {@link dev.engine.autograd.MemoryScope} and outlives every tensor it came from.
 *
 * <pre>{@code
 * Const bias = new Const(new float[]{0.1f, 0.2f}, 2);
 * }</pre>
 */
public record Const(float[] data, long[] shape) {
    public Const {
        if (data == null || shape == null) throw new ShapeException("constant without data or shape");
        shape = shape.clone();
        if (Shapes.numel(shape) != data.length)
            throw new ShapeException("constant of shape " + Shapes.str(shape) + " needs " + Shapes.numel(shape) + " values, got " + data.length);
    }

    public Const(float[] data, long first, long... rest) { this(data, prepend(first, rest)); }

    private static long[] prepend(long first, long[] rest) {
        long[] s = new long[rest.length + 1];
        s[0] = first;
        System.arraycopy(rest, 0, s, 1, rest.length);
        return s;
    }

    @Override public long[] shape() { return shape.clone(); }
    public int numel() { return data.length; }

    @Override public boolean equals(Object o) {
        return o instanceof Const c && Arrays.equals(c.shape, shape) && Arrays.equals(c.data, data);
    }

    @Override public int hashCode() { return Arrays.hashCode(shape) * 31 + Arrays.hashCode(data); }

    @Override public String toString() { return "Const" + Shapes.str(shape); }
}
