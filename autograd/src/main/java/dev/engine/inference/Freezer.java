package dev.engine.inference;

import dev.engine.api.Backend;
import dev.engine.api.Backends;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Freezes a model for inference: traces one eval-mode forward pass into a {@link Graph}, runs the passes
 * {@link FreezeOptions} enables (dead code, constant folding, BatchNorm folding, weight packing, epilogue
 * fusion, elementwise fusion) and returns a {@link FrozenModel} whose arena is planned per batch size.
 *
 * <pre>{@code
 * FrozenModel m = Freezer.freeze(model, new long[]{1, 784}, FreezeOptions.defaults());
 * System.out.println(m.describePlan(1));
 * }</pre>
 */
public final class Freezer {
    private Freezer() {}

    /** Traces {@code model} on an input of {@code inputShape} (first axis: batch) and freezes the graph. */
    public static FrozenModel freeze(Traceable model, long[] inputShape, FreezeOptions opts) {
        Tracer t = new Tracer();
        Value x = t.input(inputShape);
        Value y = model.trace(t, x);
        return freeze(t.build(y), opts);
    }

    /** Optimises {@code g} and wraps it in a {@link FrozenModel}. */
    public static FrozenModel freeze(Graph g, FreezeOptions opts) {
        List<String> log = new ArrayList<>();
        Graph opt = optimize(g, opts, log);
        Backend be = opts.backend() != null ? opts.backend() : Backends.preferred();
        return new FrozenModel(opt, be, log, opts.enabled(FreezeOptions.Pass.SHARE_MEMORY));
    }

    /** Runs the enabled passes in order, appending one line per pass to {@code log}. */
    public static Graph optimize(Graph g, FreezeOptions opts, List<String> log) {
        Graph cur = g;
        for (FreezeOptions.Pass p : FreezeOptions.Pass.values()) {
            if (!opts.enabled(p) || p == FreezeOptions.Pass.SHARE_MEMORY) continue;
            GraphPass pass = switch (p) {
                case DEAD_CODE -> new DeadCodeElimination();
                case CONSTANT_FOLDING -> new ConstantFolding(opts.backend());
                case FOLD_BATCHNORM -> new BatchNormFolding();
                case PACK_WEIGHTS -> new WeightPacking();
                case FUSE_EPILOGUE -> new EpilogueFusion();
                case FUSE_ELEMENTWISE -> new ElementwiseFusion();
                case SHARE_MEMORY -> throw new IllegalStateException();
            };
            Graph next = pass.apply(cur);
            log.add(summary(pass.name(), cur, next));
            cur = next;
        }
        if (opts.enabled(FreezeOptions.Pass.SHARE_MEMORY)) log.add("share-memory: arena planned by lifetimes (best fit)");
        return cur;
    }

    private static String summary(String pass, Graph before, Graph after) {
        Set<String> old = new LinkedHashSet<>(), now = new LinkedHashSet<>();
        for (Node n : before.nodes()) old.add(n.name());
        for (Node n : after.nodes()) now.add(n.name());
        Set<String> added = new LinkedHashSet<>(now);
        added.removeAll(old);
        Set<String> removed = new LinkedHashSet<>(old);
        removed.removeAll(now);
        StringBuilder sb = new StringBuilder(pass).append(": ").append(before.nodes().size()).append(" -> ").append(after.nodes().size()).append(" nodes");
        if (!removed.isEmpty()) sb.append("; removed ").append(removed);
        if (!added.isEmpty()) sb.append("; new ").append(added);
        return sb.toString();
    }
}
