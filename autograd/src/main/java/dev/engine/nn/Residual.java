package dev.engine.nn;

import dev.engine.graph.Value;
import dev.engine.graph.Tracer;
import dev.engine.autograd.Tensor;

/**
 * Residual connection {@code x + f(x)}; {@code f} must keep the shape. The wrapped module is the child "fn".
 *
 * <pre>{@code
 * Module block = new Residual(new Sequential(new Linear(32, 32), new ReLU(), new Linear(32, 32)));
 * }</pre>
 */
public class Residual extends Module {
    private final Module fn;

    public Residual(Module fn) { this.fn = registerModule("fn", fn); }

    @Override public Tensor forward(Tensor x) { return x.add(fn.forward(x)); }

    @Override public String describe() { return "Residual"; }

    @Override public Value trace(Tracer t, Value x) {
        return t.add(x, fn.trace(t.named("fn"), x));
    }
}
