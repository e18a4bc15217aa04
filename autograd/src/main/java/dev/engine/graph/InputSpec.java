package dev.engine.graph;

import dev.engine.api.ShapeException;
import dev.engine.api.Shapes;

/**
 * One named model input to trace: its name (how a frozen model's errors and ONNX export call it) and its
 * example shape, whose first axis is the batch. Every input of a model shares the first input's batch.
 *
 * <pre>{@code
 * List<InputSpec> in = List.of(InputSpec.of("x", 2, 10, 32), InputSpec.of("key_padding_mask", 2, 10));
 * }</pre>
 */
public record InputSpec(String name, long[] shape) {
    public InputSpec {
        if (name == null || name.isEmpty()) throw new ShapeException("input spec: a name is needed");
        if (shape == null || shape.length == 0) throw new ShapeException("input spec '" + name + "': needs at least a batch axis");
        shape = shape.clone();
        Shapes.numel(shape);
    }

    public static InputSpec of(String name, long... shape) { return new InputSpec(name, shape); }

    @Override public long[] shape() { return shape.clone(); }

    @Override public String toString() { return name + Shapes.str(shape); }
}
