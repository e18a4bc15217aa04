package dev.engine.nn;

import dev.engine.api.EngineException;
import dev.engine.graph.Value;
import dev.engine.graph.Tracer;
import dev.engine.autograd.Tensor;

/**
 * Softmax along an axis (no parameters). For classification train on logits with
 * {@code CrossEntropyLoss} instead, which fuses the log-softmax.
 *
 * <pre>{@code
 * Tensor probs = new Softmax(-1).forward(logits);
 * }</pre>
 */
public class Softmax extends Module {
    private final int axis;

    public Softmax(int axis) { this.axis = axis; }

    @Override public Tensor forward(Tensor x) { return x.softmax(axis); }

    @Override public String describe() { return "Softmax(axis=" + axis + ")"; }

    @Override public Value trace(Tracer t, Value x) {
        if (axis != -1 && axis != x.rank() - 1) throw new EngineException("Softmax: freezing supports the last axis only, got axis " + axis);
        return t.softmax(x);
    }
}
