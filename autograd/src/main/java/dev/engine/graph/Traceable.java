package dev.engine.graph;

/**
 * A model or layer that can record its eval-mode forward pass into a {@link Tracer}. Layers implement it
 * by emitting the node(s) they compute, passing their weights as constants; containers call their
 * children in order. {@code dev.engine.inference.Freezer.freeze} traces a Traceable and optimises the graph.
 *
 * <pre>{@code
 * // in Linear:
 * public Value trace(Tracer t, Value x) { return t.named(name).linear(x, weight, bias); }
 * // in Sequential:
 * public Value trace(Tracer t, Value x) { for (Traceable m : layers) x = m.trace(t, x); return x; }
 * }</pre>
 */
@FunctionalInterface
public interface Traceable {
    /** Records this model's forward pass on {@code x} and returns the output value. */
    Value trace(Tracer t, Value x);
}
