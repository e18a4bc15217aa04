package dev.engine.nn;

import dev.engine.graph.Value;
import dev.engine.graph.Tracer;
import dev.engine.autograd.Tensor;

/**
 * Flattens dims {@code startDim..endDim} into one (defaults 1..-1, keeping the batch dim), a view when possible.
 *
 * <pre>{@code
 * Tensor flat = new Flatten().forward(x);   // [N, 16, 4, 4] -> [N, 256]
 * }</pre>
 */
public class Flatten extends Module {
    private final int startDim, endDim;

    public Flatten(int startDim, int endDim) { this.startDim = startDim; this.endDim = endDim; }

    public Flatten() { this(1, -1); }

    @Override public Tensor forward(Tensor x) { return x.flatten(startDim, endDim); }

    @Override public String describe() { return "Flatten(" + startDim + ", " + endDim + ")"; }

    @Override public Value trace(Tracer t, Value x) {
        return t.flatten(x, startDim, endDim);
    }
}
