package dev.engine.nn;

import dev.engine.api.DType;
import dev.engine.api.EngineException;
import dev.engine.api.ShapeException;
import dev.engine.api.Shapes;
import dev.engine.autograd.Functional;
import dev.engine.autograd.Generator;
import dev.engine.autograd.Tensor;
import dev.engine.graph.Tracer;
import dev.engine.graph.Value;

/**
 * Multi-head attention over batch-first input [batch, seq, embed], with PyTorch's parameter names
 * ("in_proj_weight" [3E, E], "in_proj_bias" [3E], "out_proj.weight", "out_proj.bias") and init
 * (xavier-uniform input projection, zero biases). Masks: {@code causal} hides later keys; a key-padding
 * mask [batch, seqK] holds 1 (true) where a key is padding; an additive float mask broadcast to
 * [batch, heads, seqQ, seqK] may add more. A query that the masks leave no key gets a zero context (before
 * the output projection), as in a frozen model; PyTorch's slow path gives NaN there. Dropout on the
 * attention weights in training mode.
 *
 * <pre>{@code
 * var mha = new MultiHeadAttention(64, 8, 0.0, new Generator(0));
 * Tensor y = mha.forward(x);                                  // self-attention
 * Tensor z = mha.forward(q, kv, kv, padMask, null, true);     // cross-attention, causal, padded keys
 * }</pre>
 */
public class MultiHeadAttention extends Module {
    private final long embed, heads, headDim;
    private final Linear outProj;
    private final Dropout dropout;

    public MultiHeadAttention(long embedDim, long numHeads, double dropout, Generator g) {
        if (numHeads < 1 || embedDim % numHeads != 0)
            throw new EngineException("MultiHeadAttention: embed_dim " + embedDim + " must be divisible by num_heads " + numHeads);
        this.embed = embedDim; this.heads = numHeads; this.headDim = embedDim / numHeads;
        Tensor w = registerParameter("in_proj_weight", Tensor.empty(DType.F32, 3 * embedDim, embedDim));
        Init.xavierUniform(w, 1, g);
        registerParameter("in_proj_bias", Tensor.zeros(3 * embedDim));
        outProj = registerModule("out_proj", new Linear(embedDim, embedDim, true, g));
        Init.zeros(outProj.bias());
        this.dropout = dropout > 0 ? registerModule("attn_dropout", new Dropout(dropout, g.nextLong())) : null;
    }

    public MultiHeadAttention(long embedDim, long numHeads) { this(embedDim, numHeads, 0, Init.defaultGenerator()); }

    /** Self-attention without masks. */
    @Override public Tensor forward(Tensor x) { return forward(x, x, x, null, null, false); }

    /**
     * Attention of queries [B, Lq, E] over keys/values [B, Lk, E].
     *
     * @param keyPaddingMask [B, Lk], non-zero where the key is padding (ignored); may be null
     * @param attnMask additive mask broadcastable to [B, heads, Lq, Lk]; may be null
     * @param causal hide keys after each query position
     */
    public Tensor forward(Tensor query, Tensor key, Tensor value, Tensor keyPaddingMask, Tensor attnMask, boolean causal) {
        if (query.dim() != 3 || key.dim() != 3 || value.dim() != 3 || query.size(2) != embed || key.size(2) != embed || value.size(2) != embed
                || key.size(0) != query.size(0) || value.size(0) != query.size(0) || key.size(1) != value.size(1))
            throw new ShapeException("MultiHeadAttention: expected query [B, Lq, " + embed + "] and key/value [B, Lk, " + embed + "], got "
                    + Shapes.str(query.shape()) + ", " + Shapes.str(key.shape()) + ", " + Shapes.str(value.shape()));
        long b = query.size(0), lq = query.size(1), lk = key.size(1);
        Tensor w = parameter("in_proj_weight"), bias = parameter("in_proj_bias");
        Tensor q, k, v;
        if (query == key && key == value) {
            Tensor qkv = Functional.linear(query, w, bias);           // one GEMM for all three projections
            q = qkv.narrow(2, 0, embed);
            k = qkv.narrow(2, embed, embed);
            v = qkv.narrow(2, 2 * embed, embed);
        } else {
            q = Functional.linear(query, w.narrow(0, 0, embed), bias.narrow(0, 0, embed));
            k = Functional.linear(key, w.narrow(0, embed, embed), bias.narrow(0, embed, embed));
            v = Functional.linear(value, w.narrow(0, 2 * embed, embed), bias.narrow(0, 2 * embed, embed));
        }
        q = heads(q, b, lq);
        k = heads(k, b, lk);
        v = heads(v, b, lk);
        Tensor scores = q.matmul(k.transpose(-1, -2)).mul(1.0 / Math.sqrt(headDim));   // [B, H, Lq, Lk]
        if (causal) scores = scores.add(Functional.causalMask(lq, lk, scores));
        if (keyPaddingMask != null) {
            if (keyPaddingMask.dim() != 2 || keyPaddingMask.size(0) != b || keyPaddingMask.size(1) != lk)
                throw new ShapeException("MultiHeadAttention: key padding mask must be [" + b + ", " + lk + "], got " + Shapes.str(keyPaddingMask.shape()));
            Tensor m = keyPaddingMask.to(scores.dtype()).reshape(b, 1, 1, lk);
            Tensor neg = Tensor.full(scores.backend(), scores.dtype(), Double.NEGATIVE_INFINITY, 1);
            Tensor zero = Tensor.full(scores.backend(), scores.dtype(), 0, 1);
            scores = scores.add(Tensor.where(m, neg, zero));
        }
        if (attnMask != null) scores = scores.add(attnMask.to(scores.dtype()));
        Tensor attn = keyPaddingMask == null && attnMask == null ? scores.softmax(-1) : maskedSoftmax(scores);
        if (dropout != null) attn = dropout.forward(attn);
        Tensor ctx = attn.matmul(v).transpose(1, 2).reshape(b, lq, embed);           // [B, Lq, E]
        return outProj.forward(ctx);
    }

    /** Self-attention without masks for a frozen graph: see {@link #trace(Tracer, Value, boolean)}. */
    @Override public Value trace(Tracer t, Value x) { return trace(t, x, false); }

    /**
     * Self-attention for a frozen graph: one GEMM for the three projections, the fused attention kernel reading
     * the heads in place from its output (scale, optional causal mask, softmax and ·V in one pass per head,
     * heads joined as it writes), then the output projection.
     *
     * <pre>{@code
     * FrozenModel m = Freezer.freeze((t, x) -> mha.trace(t, x, true), new long[]{1, 64, 128}, FreezeOptions.defaults());   // causal
     * }</pre>
     */
    public Value trace(Tracer t, Value x, boolean causal) { return trace(t, x, null, causal); }

    /**
     * As {@link #trace(Tracer, Value, boolean)} with a key-padding mask [B, L] (non-zero: padding), usually a
     * second model input, as {@code forward(x, x, x, keyPaddingMask, null, causal)} computes it; null for none.
     *
     * <pre>{@code
     * FrozenModel m = Freezer.freeze((t, in) -> mha.trace(t, in.get(0), in.get(1), false),
     *         List.of(InputSpec.of("x", 2, 10, 64), InputSpec.of("key_padding_mask", 2, 10)), FreezeOptions.defaults());
     * }</pre>
     */
    public Value trace(Tracer t, Value x, Value keyPaddingMask, boolean causal) {
        if (x.rank() != 3 || x.dim(2) != embed)
            throw new ShapeException("MultiHeadAttention: expected [B, L, " + embed + "] to trace, got " + Shapes.str(x.shape()));
        Value qkv = t.linear(x, parameter("in_proj_weight"), parameter("in_proj_bias"));
        Value ctx = t.attention(qkv, keyPaddingMask, heads, 1.0 / Math.sqrt(headDim), causal);   // [B, L, E]
        return outProj.trace(t, ctx);
    }

    /**
     * Softmax over keys where a query may see none (every key padded, or padded up to it under the causal
     * mask): such a query gets zero weights, hence a zero context, as the fused kernel of a frozen model
     * gives it. A plain softmax over a row of -inf would give NaN, and NaN gradients in training; the row
     * is set to 0 before the softmax for the same reason (the weights then still become zeros).
     */
    private static Tensor maskedSoftmax(Tensor scores) {
        Tensor neg = Tensor.full(scores.backend(), scores.dtype(), Double.NEGATIVE_INFINITY, 1);
        Tensor zero = Tensor.full(scores.backend(), scores.dtype(), 0, 1);
        Tensor blind = scores.detach().max(-1, true).eq(neg);                          // [B, H, Lq, 1]: 1 where no key is visible
        return Tensor.where(blind, zero, Tensor.where(blind, zero, scores).softmax(-1));
    }

    /** [B, L, E] -> [B, H, L, D]. */
    private Tensor heads(Tensor t, long b, long l) { return t.reshape(b, l, heads, headDim).transpose(1, 2); }

    @Override public String describe() { return "MultiHeadAttention(embed=" + embed + ", heads=" + heads + ")"; }
}
