package dev.engine.nn;

import dev.engine.graph.Value;
import dev.engine.graph.Tracer;
import dev.engine.api.EngineException;
import dev.engine.autograd.Functional;
import dev.engine.autograd.Tensor;

/**
 * Inverted dropout, active only in training mode (identity in eval). Masks come from the backend's
 * counter-based Philox generator keyed by a seed and an offset that advances by the number of elements
 * after each call, so a run is reproducible from the seed, and CPU and GPU draw the same masks.
 *
 * <pre>{@code
 * Dropout drop = new Dropout(0.5, 1234);
 * Tensor y = drop.forward(x);   // about half the elements zeroed, the rest doubled
 * drop.eval();
 * drop.forward(x);              // returns x unchanged
 * }</pre>
 */
public class Dropout extends Module {
    private final double p;
    private final long seed;
    private long offset;

    public Dropout(double p, long seed) {
        if (!(p >= 0 && p <= 1)) throw new EngineException("Dropout: probability " + p + " outside [0, 1]");
        this.p = p;
        this.seed = seed;
    }

    /** Seeded from {@link Init#defaultGenerator()}. */
    public Dropout(double p) { this(p, Init.defaultGenerator().nextLong()); }

    /** The Philox offset the next call starts at. */
    public long offset() { return offset; }

    /** Moves the Philox offset (e.g. to replay a step). */
    public void setOffset(long offset) { this.offset = offset; }

    @Override public Tensor forward(Tensor x) {
        if (!isTraining() || p == 0) return x;
        Tensor y = Functional.dropout(x, p, seed, offset);
        offset += x.numel();
        return y;
    }

    @Override public String describe() { return "Dropout(p=" + p + ")"; }

    @Override public Value trace(Tracer t, Value x) {
        return t.dropout(x, p);
    }
}
