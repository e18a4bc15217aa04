package dev.engine.nn;

import dev.engine.graph.Value;
import dev.engine.graph.Tracer;
import dev.engine.autograd.Tensor;

/**
 * Leaky ReLU {@code x > 0 ? x : slope * x} (PyTorch's default slope 0.01).
 *
 * <pre>{@code
 * Tensor y = new LeakyReLU(0.2).forward(x);
 * }</pre>
 */
public class LeakyReLU extends Module {
    private final double slope;

    public LeakyReLU(double negativeSlope) { this.slope = negativeSlope; }

    public LeakyReLU() { this(0.01); }

    @Override public Tensor forward(Tensor x) { return x.leakyRelu(slope); }

    @Override public String describe() { return "LeakyReLU(" + slope + ")"; }

    @Override public Value trace(Tracer t, Value x) {
        return t.leakyRelu(x, slope);
    }
}
