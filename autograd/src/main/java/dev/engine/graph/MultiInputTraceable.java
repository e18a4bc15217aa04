package dev.engine.graph;

import java.util.List;

/**
 * A model whose forward pass takes several inputs (e.g. a sequence and its key-padding mask), recorded
 * into a {@link Tracer} like a {@link Traceable}. {@code dev.engine.inference.Freezer.freeze(MultiInputTraceable,
 * List, FreezeOptions)} declares one traced input per {@link InputSpec} and hands them over in that order.
 *
 * <pre>{@code
 * MultiInputTraceable m = (t, in) -> layer.trace(t, in.get(0), in.get(1), false);   // x, key_padding_mask
 * }</pre>
 */
@FunctionalInterface
public interface MultiInputTraceable {
    /** Records the forward pass on {@code inputs} (in declaration order) and returns the output value. */
    Value trace(Tracer t, List<Value> inputs);
}
