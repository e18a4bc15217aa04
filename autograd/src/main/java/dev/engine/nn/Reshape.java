package dev.engine.nn;

import dev.engine.autograd.Tensor;
import dev.engine.graph.Tracer;
import dev.engine.graph.Value;

/**
 * Reshapes each sample (the batch axis is kept), e.g. flat 64-pixel rows into [1, 8, 8] images for a CNN.
 *
 * <pre>{@code
 * var cnn = new Sequential(new Reshape(1, 8, 8), new Conv2d(1, 16, 3), ...);
 * }</pre>
 */
public class Reshape extends Module {
    private final long[] sampleShape;

    public Reshape(long... sampleShape) { this.sampleShape = sampleShape.clone(); }

    @Override public Tensor forward(Tensor x) {
        long[] s = new long[sampleShape.length + 1];
        s[0] = x.size(0);
        System.arraycopy(sampleShape, 0, s, 1, sampleShape.length);
        return x.reshape(s);
    }

    @Override public Value trace(Tracer t, Value x) { return t.reshape(x, sampleShape); }

    @Override public String describe() { return "Reshape(" + java.util.Arrays.toString(sampleShape) + ")"; }
}
