package dev.engine.autograd;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * Deterministic release of native memory: every tensor created on this thread while a scope is open
 * belongs to it, and closing the scope closes them all, except tensors that were {@link #keep kept}
 * (moved to the enclosing scope, or to no scope at all). Scopes nest and are per thread. A training step
 * runs in one scope; parameters, gradients and optimizer state are created outside any scope.
 *
 * <pre>{@code
 * try (MemoryScope step = MemoryScope.open()) {
 *     Tensor loss = lossFn.forward(model.forward(x), y);
 *     loss.backward();
 *     opt.step();
 *     lossValue = loss.item();
 * }   // every intermediate of the step is released here
 * }</pre>
 */
public final class MemoryScope implements AutoCloseable {
    private static final ThreadLocal<Deque<MemoryScope>> STACK = ThreadLocal.withInitial(ArrayDeque::new);

    private final List<Tensor> owned = new ArrayList<>();
    private final Thread thread = Thread.currentThread();
    private boolean closed;

    private MemoryScope() {}

    /** Opens a scope nested in the current one. */
    public static MemoryScope open() {
        MemoryScope s = new MemoryScope();
        STACK.get().push(s);
        return s;
    }

    /** The innermost open scope on this thread, or null. */
    static MemoryScope current() {
        Deque<MemoryScope> d = STACK.get();
        return d.isEmpty() ? null : d.peek();
    }

    static void register(Tensor t) {
        MemoryScope s = current();
        if (s != null) {
            s.owned.add(t);
            t.scope = s;
        }
    }

    /**
     * Moves a tensor out of this scope into the enclosing one (or to no scope, so only an explicit
     * {@code close()} or the GC frees it), and returns it.
     */
    public static Tensor keep(Tensor t) {
        MemoryScope s = t.scope;
        if (s != null) {
            s.owned.remove(t);
            t.scope = null;
            Deque<MemoryScope> d = STACK.get();
            boolean seen = false;
            for (MemoryScope outer : d) {
                if (seen) {
                    outer.owned.add(t);
                    t.scope = outer;
                    break;
                }
                if (outer == s) seen = true;
            }
        }
        return t;
    }

    /** Detaches a tensor from every scope: it lives until closed explicitly. */
    public static Tensor detach(Tensor t) {
        MemoryScope s = t.scope;
        if (s != null) {
            s.owned.remove(t);
            t.scope = null;
        }
        return t;
    }

    /** Number of tensors this scope will close. */
    public int size() { return owned.size(); }

    @Override public void close() {
        if (closed) return;
        if (Thread.currentThread() != thread) throw new dev.engine.api.EngineException("memory scope closed on another thread than it was opened on");
        Deque<MemoryScope> d = STACK.get();
        if (d.peek() != this) throw new dev.engine.api.EngineException("memory scopes must close innermost first");
        d.pop();
        closed = true;
        for (Tensor t : owned) {
            t.scope = null;
            t.close();
        }
        owned.clear();
    }
}
