package dev.engine.nn;

import dev.engine.graph.Value;
import dev.engine.graph.Tracer;
import dev.engine.autograd.Tensor;

/**
 * Gaussian error linear unit: exact (erf) form by default, or the tanh approximation
 * ({@code approximate = "tanh"} in PyTorch).
 *
 * <pre>{@code
 * Tensor y = new GELU().forward(x);
 * Tensor z = new GELU(true).forward(x);   // tanh approximation
 * }</pre>
 */
public class GELU extends Module {
    private final boolean tanh;

    public GELU(boolean tanhApproximation) { this.tanh = tanhApproximation; }

    public GELU() { this(false); }

    @Override public Tensor forward(Tensor x) { return tanh ? x.geluTanh() : x.gelu(); }

    @Override public String describe() { return "GELU(approximate=" + (tanh ? "tanh" : "none") + ")"; }

    @Override public Value trace(Tracer t, Value x) {
        return tanh ? t.unary(x, dev.engine.api.ElementwiseOp.GELU_TANH, 0, "gelu") : t.gelu(x);
    }
}
