package dev.engine.nn;

import dev.engine.graph.Value;
import dev.engine.graph.Tracer;
import dev.engine.autograd.Tensor;

/**
 * Rectified linear unit {@code max(x, 0)} as a module (no parameters).
 *
 * <pre>{@code
 * Module net = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 1));
 * }</pre>
 */
public class ReLU extends Module {
    @Override public Tensor forward(Tensor x) { return x.relu(); }

    @Override public String describe() { return "ReLU()"; }

    @Override public Value trace(Tracer t, Value x) {
        return t.relu(x);
    }
}
