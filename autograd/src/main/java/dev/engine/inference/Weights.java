package dev.engine.inference;

import dev.engine.api.Backend;
import dev.engine.api.Buffer;
import dev.engine.api.DType;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * A graph's constants uploaded once to a backend and shared, read-only, by every execution context.
 *
 * <pre>{@code
 * Weights w = Weights.upload(graph, backend);
 * Buffer bias = w.get(node, "bias");
 * }</pre>
 */
public final class Weights implements AutoCloseable {
    private final Backend backend;
    private final Map<Node, Map<String, Buffer>> byNode = new IdentityHashMap<>();
    private final Map<Integer, Buffer> constantValues = new HashMap<>();
    private final List<Buffer> all = new ArrayList<>();

    private Weights(Backend backend) { this.backend = backend; }

    /** Copies every constant of {@code g} to {@code backend}. */
    public static Weights upload(Graph g, Backend backend) {
        Weights w = new Weights(backend);
        try {
            for (Node n : g.nodes()) {
                Map<String, Buffer> m = new HashMap<>();
                for (Map.Entry<String, Const> e : n.consts().entrySet()) {
                    Const c = e.getValue();
                    Buffer b = backend.allocate(DType.F32, Math.max(1, c.numel()));
                    w.all.add(b);
                    backend.copyIn(c.data(), 0, b, 0, c.numel());
                    m.put(e.getKey(), b);
                }
                w.byNode.put(n, m);
                if (n.kind() == OpKind.CONSTANT) w.constantValues.put(n.output().id(), m.get("value"));
            }
        } catch (RuntimeException e) {
            w.close();
            throw e;
        }
        return w;
    }

    public Backend backend() { return backend; }

    /** The buffer of constant {@code key} of node {@code n}, or null when it has none. */
    public Buffer get(Node n, String key) {
        Map<String, Buffer> m = byNode.get(n);
        return m == null ? null : m.get(key);
    }

    /** The buffer of a CONSTANT node's value. */
    public Buffer value(int valueId) { return constantValues.get(valueId); }

    @Override public void close() { for (Buffer b : all) b.close(); }
}
