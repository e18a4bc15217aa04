package dev.engine.inference;

import dev.engine.api.EngineException;
import dev.engine.graph.InputSpec;
import dev.engine.graph.MultiInputTraceable;
import dev.engine.graph.Tracer;
import dev.engine.graph.Traceable;
import dev.engine.graph.Value;
import dev.engine.graph.Graph;
import dev.engine.graph.Node;
import dev.engine.api.Backend;
import dev.engine.autograd.Tensor;
import dev.engine.nn.Module;
import dev.engine.api.Backends;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * Freezes a model for inference: traces one eval-mode forward pass into a {@link Graph}, runs the passes
 * {@link FreezeOptions} enables (dead code, constant folding, BatchNorm folding, weight packing, epilogue
 * fusion, elementwise fusion), quantises the Linear layers (int8 or bf16) when {@link FreezeOptions#quantize} asks for it, and
 * returns a {@link FrozenModel} whose arena is planned per batch size.
 *
 * <pre>{@code
 * try (FrozenModel m = Freezer.freeze(model, Tensor.zeros(1, 784))) {
 *     System.out.println(m.describePlan(1));
 *     Tensor logits = m.run(input);
 * }
 * }</pre>
 */
public final class Freezer {
    private Freezer() {}

    /**
     * Freezes {@code model} for inference: traces one eval-mode forward pass on {@code example}'s shape
     * (first axis: batch) into a graph, optimises it and returns a thread-safe {@link FrozenModel} on
     * {@code example}'s backend. The model must implement {@link Module#trace}; its training mode is restored
     * afterwards.
     */
    public static FrozenModel freeze(Module model, Tensor example) {
        return freeze(model, example, FreezeOptions.defaults());
    }

    /** As {@link #freeze(Module, Tensor)} with chosen passes (and backend, if {@code options} names one). */
    public static FrozenModel freeze(Module model, Tensor example, FreezeOptions options) {
        boolean was = model.isTraining();
        model.setTraining(false);
        try {
            var opts = options.backend() != null ? options : options.backend(example.backend());
            return freeze(model, example.shape(), opts);
        } finally {
            model.setTraining(was);
        }
    }

    /** Traces {@code model} on an input of {@code inputShape} (first axis: batch) and freezes the graph. */
    public static FrozenModel freeze(Traceable model, long[] inputShape, FreezeOptions opts) {
        Tracer t = new Tracer();
        Value x = t.input(inputShape);
        Value y = model.trace(t, x);
        return freeze(t.build(y), opts);
    }

    /**
     * Traces a model with several inputs and freezes it: one traced input per {@link InputSpec} (name and
     * example shape, first axis the batch; every input shares the first one's batch), handed to {@code model}
     * in that order. The first input is the model's main input; the others, such as a key-padding mask, are
     * fed on every call with {@link FrozenModel#run(float[][], int)} or {@link FrozenModel#run(Tensor...)}.
     * Trace methods record eval mode, so the model's training flag plays no part.
     *
     * <pre>{@code
     * var block = new TransformerEncoderLayer(32, 4, 64, 0.0);
     * try (FrozenModel m = Freezer.freeze((t, in) -> block.trace(t, in.get(0), in.get(1), false),
     *         List.of(InputSpec.of("x", 2, 10, 32), InputSpec.of("key_padding_mask", 2, 10)), FreezeOptions.defaults())) {
     *     float[] y = m.run(new float[][]{x, mask}, 2);   // mask [2, 10]: 1 where a key is padding, else 0
     * }
     * }</pre>
     */
    public static FrozenModel freeze(MultiInputTraceable model, List<InputSpec> inputs, FreezeOptions opts) {
        if (inputs == null || inputs.isEmpty()) throw new EngineException("freeze: at least one input spec is needed");
        Tracer t = new Tracer();
        List<Value> values = new ArrayList<>();
        for (InputSpec in : inputs) values.add(t.input(in.name(), in.shape()));
        Value y = model.trace(t, List.copyOf(values));
        return freeze(t.build(y), opts);
    }

    /** Optimises {@code g} and wraps it in a {@link FrozenModel}. */
    public static FrozenModel freeze(Graph g, FreezeOptions opts) {
        List<String> log = new ArrayList<>();
        Graph opt = optimize(g, opts, log);
        Backend be = opts.backend() != null ? opts.backend() : Backends.preferred();
        Quantization q = opts.quantization();
        if (q != null) {
            Graph quantized = q.isBf16() ? Bf16Conversion.apply(opt) : Int8Quantizer.apply(opt, q, be);
            log.add(summary("quantize " + q, opt, quantized));
            opt = quantized;
        }
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
