package dev.engine.nn;

import dev.engine.graph.Value;
import dev.engine.graph.Tracer;
import dev.engine.autograd.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Modules applied in order; children are named "0", "1", ... like PyTorch, so state-dict keys read
 * "0.weight", "2.bias".
 *
 * <pre>{@code
 * var mlp = new Sequential(new Linear(2, 16), new ReLU(), new Linear(16, 1));
 * Tensor y = mlp.forward(x);
 * mlp.stateDict().keySet();   // [0.weight, 0.bias, 2.weight, 2.bias]
 * }</pre>
 */
public class Sequential extends Module {
    private final List<Module> layers = new ArrayList<>();

    public Sequential(Module... modules) { for (Module m : modules) add(m); }

    /** Appends a module under the next index; returns this. */
    public Sequential add(Module m) {
        registerModule(Integer.toString(layers.size()), m);
        layers.add(m);
        return this;
    }

    public Module get(int i) { return layers.get(i); }

    public int size() { return layers.size(); }

    @Override public Tensor forward(Tensor x) {
        Tensor y = x;
        for (Module m : layers) y = m.forward(y);
        return y;
    }

    @Override public String describe() { return "Sequential"; }

    @Override public Value trace(Tracer t, Value x) {
        for (int i = 0; i < layers.size(); i++) {
            Module m = layers.get(i);
            x = m.trace(t.named(m.getClass().getSimpleName().toLowerCase(java.util.Locale.ROOT) + i), x);
        }
        return x;
    }
}
