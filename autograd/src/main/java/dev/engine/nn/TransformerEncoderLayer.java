package dev.engine.nn;

import dev.engine.autograd.Generator;
import dev.engine.autograd.Tensor;
import dev.engine.graph.Tracer;
import dev.engine.graph.Value;

/**
 * One Transformer encoder block, batch-first, post-norm like PyTorch's default:
 * {@code x = norm1(x + dropout1(self_attn(x)))}, {@code x = norm2(x + dropout2(linear2(dropout(act(linear1(x))))))};
 * with {@code normFirst} the pre-norm variant. Children carry PyTorch's names (self_attn, linear1,
 * dropout, linear2, norm1, norm2, dropout1, dropout2) so state dicts line up.
 *
 * <pre>{@code
 * var block = new TransformerEncoderLayer(32, 4, 64, 0.1, false, false, new Generator(0));
 * Tensor y = block.forward(x);                    // x [batch, seq, 32]
 * Tensor z = block.forward(x, padMask, true);     // with key padding and a causal mask
 * }</pre>
 */
public class TransformerEncoderLayer extends Module {
    private final MultiHeadAttention selfAttn;
    private final Linear linear1, linear2;
    private final Dropout dropout, dropout1, dropout2;
    private final LayerNorm norm1, norm2;
    private final boolean gelu, normFirst;

    public TransformerEncoderLayer(long dModel, long nHead, long dimFeedforward, double dropoutP, boolean gelu, boolean normFirst, Generator g) {
        this.gelu = gelu;
        this.normFirst = normFirst;
        selfAttn = registerModule("self_attn", new MultiHeadAttention(dModel, nHead, dropoutP, g));
        linear1 = registerModule("linear1", new Linear(dModel, dimFeedforward, true, g));
        dropout = registerModule("dropout", new Dropout(dropoutP, g.nextLong()));
        linear2 = registerModule("linear2", new Linear(dimFeedforward, dModel, true, g));
        norm1 = registerModule("norm1", new LayerNorm(dModel));
        norm2 = registerModule("norm2", new LayerNorm(dModel));
        dropout1 = registerModule("dropout1", new Dropout(dropoutP, g.nextLong()));
        dropout2 = registerModule("dropout2", new Dropout(dropoutP, g.nextLong()));
    }

    /** ReLU, post-norm, PyTorch's defaults (dim_feedforward 2048 is usually set smaller here). */
    public TransformerEncoderLayer(long dModel, long nHead, long dimFeedforward, double dropoutP) {
        this(dModel, nHead, dimFeedforward, dropoutP, false, false, Init.defaultGenerator());
    }

    @Override public Tensor forward(Tensor x) { return forward(x, null, false); }

    /** With an optional key-padding mask [batch, seq] (non-zero = padding) and causal masking. */
    public Tensor forward(Tensor x, Tensor keyPaddingMask, boolean causal) {
        if (normFirst) {
            x = x.add(attention(norm1.forward(x), keyPaddingMask, causal));
            return x.add(feedForward(norm2.forward(x)));
        }
        x = norm1.forward(x.add(attention(x, keyPaddingMask, causal)));
        return norm2.forward(x.add(feedForward(x)));
    }

    private Tensor attention(Tensor x, Tensor pad, boolean causal) {
        return dropout1.forward(selfAttn.forward(x, x, x, pad, null, causal));
    }

    private Tensor feedForward(Tensor x) {
        Tensor h = linear1.forward(x);
        h = gelu ? h.gelu() : h.relu();
        return dropout2.forward(linear2.forward(dropout.forward(h)));
    }

    /** The eval-mode block without masks (dropout is a no-op), as {@link #forward(Tensor)} computes it. */
    @Override public Value trace(Tracer t, Value x) { return trace(t, x, false); }

    /** The eval-mode block, causal or not, as {@code forward(x, null, causal)} computes it. */
    public Value trace(Tracer t, Value x, boolean causal) { return trace(t, x, null, causal); }

    /**
     * The eval-mode block as {@code forward(x, keyPaddingMask, causal)} computes it; the mask [batch, seq] is
     * usually a second model input (null: none).
     *
     * <pre>{@code
     * FrozenModel m = Freezer.freeze((t, in) -> block.trace(t, in.get(0), in.get(1), false),
     *         List.of(InputSpec.of("x", 2, 10, 32), InputSpec.of("key_padding_mask", 2, 10)), FreezeOptions.defaults());
     * float[] y = m.run(new float[][]{x, mask}, 2);
     * }</pre>
     */
    public Value trace(Tracer t, Value x, Value keyPaddingMask, boolean causal) {
        if (normFirst) {
            x = t.add(x, selfAttn.trace(t, norm1.trace(t, x), keyPaddingMask, causal));
            return t.add(x, feedForward(t, norm2.trace(t, x)));
        }
        x = norm1.trace(t, t.add(x, selfAttn.trace(t, x, keyPaddingMask, causal)));
        return norm2.trace(t, t.add(x, feedForward(t, x)));
    }

    private Value feedForward(Tracer t, Value x) {
        Value h = linear1.trace(t, x);
        return linear2.trace(t, gelu ? t.gelu(h) : t.relu(h));
    }

    @Override public String describe() { return "TransformerEncoderLayer(activation=" + (gelu ? "gelu" : "relu") + ", normFirst=" + normFirst + ")"; }
}
