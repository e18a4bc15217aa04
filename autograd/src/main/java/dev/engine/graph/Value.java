package dev.engine.graph;

import dev.engine.api.DType;
import dev.engine.api.Shapes;

/**
 * A value of the graph IR: what one node produces, with the shape it had when traced (its first axis is
 * the batch) and its dtype. Values are compared by identity of their {@link #id()} within one graph.
 *
 * <pre>{@code
 * Value x = tracer.input(1, 784);
 * x.shape();   // [1, 784]
 * }</pre>
 */
public record Value(int id, long[] shape, DType dtype) {
    public Value {
        shape = shape.clone();
        Shapes.numel(shape);
        if (dtype == null) dtype = DType.F32;
    }

    @Override public long[] shape() { return shape.clone(); }
    public int rank() { return shape.length; }
    public long dim(int axis) { return shape[axis < 0 ? axis + shape.length : axis]; }

    @Override public boolean equals(Object o) { return o instanceof Value v && v.id == id; }
    @Override public int hashCode() { return id; }
    @Override public String toString() { return "%" + id + Shapes.str(shape); }
}
