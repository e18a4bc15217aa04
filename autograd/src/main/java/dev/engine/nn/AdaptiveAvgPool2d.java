package dev.engine.nn;

import dev.engine.graph.Value;
import dev.engine.graph.Tracer;
import dev.engine.autograd.Functional;
import dev.engine.autograd.Tensor;

/**
 * Average pooling to a fixed output grid whatever the input size (PyTorch's window rule).
 *
 * <pre>{@code
 * Tensor pooled = new AdaptiveAvgPool2d(1, 1).forward(features);   // global average pool: [N, C, 1, 1]
 * }</pre>
 */
public class AdaptiveAvgPool2d extends Module {
    private final long outH, outW;

    public AdaptiveAvgPool2d(long outH, long outW) { this.outH = outH; this.outW = outW; }

    public AdaptiveAvgPool2d(long out) { this(out, out); }

    @Override public Tensor forward(Tensor x) { return Functional.adaptiveAvgPool2d(x, outH, outW); }

    @Override public String describe() { return "AdaptiveAvgPool2d(" + outH + ", " + outW + ")"; }

    @Override public Value trace(Tracer t, Value x) {
        return t.adaptiveAvgPool2d(x, outH, outW);
    }
}
