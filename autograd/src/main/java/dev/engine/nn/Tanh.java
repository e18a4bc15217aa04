package dev.engine.nn;

import dev.engine.graph.Value;
import dev.engine.graph.Tracer;
import dev.engine.autograd.Tensor;

/**
 * Hyperbolic tangent as a module (no parameters).
 *
 * <pre>{@code
 * Module net = new Sequential(new Linear(4, 8), new Tanh(), new Linear(8, 1));
 * }</pre>
 */
public class Tanh extends Module {
    @Override public Tensor forward(Tensor x) { return x.tanh(); }

    @Override public String describe() { return "Tanh()"; }

    @Override public Value trace(Tracer t, Value x) {
        return t.tanh(x);
    }
}
