package dev.engine.nn;

import dev.engine.graph.Value;
import dev.engine.graph.Tracer;
import dev.engine.api.DType;
import dev.engine.autograd.Functional;
import dev.engine.autograd.Generator;
import dev.engine.autograd.GradMode;
import dev.engine.autograd.Tensor;

/**
 * Lookup table of {@code num} vectors of size {@code dim} ("weight", initialised N(0, 1) as PyTorch); the
 * input is an I64 index tensor of any shape, the output appends a {@code dim} axis. The optional
 * {@code paddingIdx} row starts at zero and receives no gradient.
 *
 * <pre>{@code
 * Embedding emb = new Embedding(1000, 64, new Generator(0));
 * Tensor vecs = emb.forward(Tensor.ofLongs(new long[]{5, 17, 3}, 1, 3));   // [1, 3, 64]
 * }</pre>
 */
public class Embedding extends Module {
    private final long num, dim, paddingIdx;

    public Embedding(long num, long dim, long paddingIdx, Generator g) {
        this.num = num; this.dim = dim; this.paddingIdx = paddingIdx;
        Tensor w = registerParameter("weight", Tensor.empty(DType.F32, num, dim));
        Init.normal(w, 0, 1, g);
        if (paddingIdx >= 0) {
            try (GradMode ng = GradMode.noGrad(); Tensor row = w.narrow(0, paddingIdx, 1)) { row.fill(0); }
        }
    }

    public Embedding(long num, long dim, Generator g) { this(num, dim, -1, g); }

    public Embedding(long num, long dim) { this(num, dim, -1, Init.defaultGenerator()); }

    public Tensor weight() { return parameter("weight"); }

    @Override public Tensor forward(Tensor indices) { return Functional.embedding(indices, weight(), paddingIdx); }

    @Override public String describe() { return "Embedding(" + num + ", " + dim + (paddingIdx >= 0 ? ", paddingIdx=" + paddingIdx : "") + ")"; }

    @Override public Value trace(Tracer t, Value x) {
        return t.embedding(x, weight().toFloatArray(), num, dim);
    }
}
