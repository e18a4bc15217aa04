package dev.engine.nn;

import dev.engine.graph.Value;
import dev.engine.graph.Tracer;
import dev.engine.autograd.Tensor;

/**
 * Logistic sigmoid {@code 1 / (1 + e^-x)} as a module (no parameters).
 *
 * <pre>{@code
 * Module net = new Sequential(new Linear(4, 8), new Sigmoid(), new Linear(8, 1));
 * }</pre>
 */
public class Sigmoid extends Module {
    @Override public Tensor forward(Tensor x) { return x.sigmoid(); }

    @Override public String describe() { return "Sigmoid()"; }

    @Override public Value trace(Tracer t, Value x) {
        return t.sigmoid(x);
    }
}
