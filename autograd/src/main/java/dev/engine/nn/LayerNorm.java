package dev.engine.nn;

import dev.engine.api.EngineException;
import dev.engine.graph.Value;
import dev.engine.graph.Tracer;
import dev.engine.autograd.Functional;
import dev.engine.autograd.Tensor;
import java.util.Arrays;

/**
 * Layer normalisation over the trailing {@code normalizedShape} dims, with "weight" (ones) and "bias"
 * (zeros) of that shape when elementwise-affine (PyTorch's defaults, eps 1e-5).
 *
 * <pre>{@code
 * LayerNorm ln = new LayerNorm(64);
 * Tensor y = ln.forward(x);   // x [batch, seq, 64], each row normalised
 * }</pre>
 */
public class LayerNorm extends Module {
    private final long[] shape;
    private final double eps;
    private final boolean affine;

    public LayerNorm(long[] normalizedShape, double eps, boolean elementwiseAffine) {
        this.shape = normalizedShape.clone(); this.eps = eps; this.affine = elementwiseAffine;
        if (affine) {
            registerParameter("weight", Tensor.ones(shape));
            registerParameter("bias", Tensor.zeros(shape));
        }
    }

    public LayerNorm(long features) { this(new long[]{features}, 1e-5, true); }

    public Tensor weight() { return affine ? parameter("weight") : null; }

    public Tensor bias() { return affine ? parameter("bias") : null; }

    @Override public Tensor forward(Tensor x) { return Functional.layerNorm(x, shape, weight(), bias(), eps); }

    @Override public String describe() { return "LayerNorm(" + Arrays.toString(shape) + ", eps=" + eps + ", affine=" + affine + ")"; }

    @Override public Value trace(Tracer t, Value x) {
        if (shape.length != 1) throw new EngineException("LayerNorm: freezing supports normalising over the last axis only, got " + java.util.Arrays.toString(shape));
        return t.layerNorm(x, affine ? weight().toFloatArray() : null, affine ? bias().toFloatArray() : null, eps);
    }
}
