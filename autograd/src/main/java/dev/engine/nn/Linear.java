package dev.engine.nn;

import dev.engine.graph.Value;
import dev.engine.graph.Tracer;
import dev.engine.api.DType;
import dev.engine.autograd.Functional;
import dev.engine.autograd.Generator;
import dev.engine.autograd.Tensor;

/**
 * Fully connected layer {@code y = x W^T + b} with weight [out, in] (PyTorch layout and names "weight",
 * "bias") and PyTorch's default init: kaiming-uniform(a = sqrt 5) weight, U(-1/sqrt(in), 1/sqrt(in)) bias.
 *
 * <pre>{@code
 * Linear fc = new Linear(64, 10, new Generator(0));
 * Tensor logits = fc.forward(x);   // x [batch, 64] -> [batch, 10]
 * }</pre>
 */
public class Linear extends Module {
    private final long in, out;
    private final boolean hasBias;

    public Linear(long in, long out, boolean bias, Generator g) {
        this.in = in;
        this.out = out;
        this.hasBias = bias;
        Tensor w = registerParameter("weight", Tensor.empty(DType.F32, out, in));
        Init.kaimingUniform(w, Math.sqrt(5), g);
        if (bias) Init.fanInUniform(registerParameter("bias", Tensor.empty(DType.F32, out)), in, g);
    }

    public Linear(long in, long out, Generator g) { this(in, out, true, g); }

    /** Initialised from {@link Init#defaultGenerator()}. */
    public Linear(long in, long out) { this(in, out, true, Init.defaultGenerator()); }

    public Linear(long in, long out, boolean bias) { this(in, out, bias, Init.defaultGenerator()); }

    public Tensor weight() { return parameter("weight"); }

    /** The bias, or null when built without one. */
    public Tensor bias() { return hasBias ? parameter("bias") : null; }

    @Override public Tensor forward(Tensor x) { return Functional.linear(x, weight(), bias()); }

    @Override public String describe() { return "Linear(in=" + in + ", out=" + out + ", bias=" + hasBias + ")"; }

    @Override public Value trace(Tracer t, Value x) {
        return t.linear(x, weight(), bias());
    }
}
