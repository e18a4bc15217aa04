package dev.engine.nn;

import dev.engine.autograd.Generator;
import dev.engine.autograd.Tensor;
import dev.engine.graph.Tracer;
import dev.engine.graph.Value;
import java.util.function.Supplier;

/**
 * A stack of {@link TransformerEncoderLayer}s with an optional final {@link LayerNorm}, named as PyTorch's
 * {@code nn.TransformerEncoder} ("layers.0.self_attn.in_proj_weight", ..., "norm.weight").
 *
 * <pre>{@code
 * Generator g = new Generator(0);
 * var enc = new TransformerEncoder(() -> new TransformerEncoderLayer(32, 4, 64, 0.1, false, false, g), 2, null);
 * Tensor y = enc.forward(x, padMask, false);   // x [batch, seq, 32]
 * }</pre>
 */
public class TransformerEncoder extends Module {
    private final ModuleList layers;
    private final LayerNorm norm;

    /** {@code numLayers} layers from {@code layer} (each call must build a new one); {@code norm} may be null. */
    public TransformerEncoder(Supplier<TransformerEncoderLayer> layer, int numLayers, LayerNorm norm) {
        layers = registerModule("layers", new ModuleList());
        for (int i = 0; i < numLayers; i++) layers.add(layer.get());
        this.norm = norm == null ? null : registerModule("norm", norm);
    }

    /** Post-norm ReLU layers seeded from {@code g}, no final norm. */
    public TransformerEncoder(long dModel, long nHead, long dimFeedforward, double dropout, int numLayers, Generator g) {
        this(() -> new TransformerEncoderLayer(dModel, nHead, dimFeedforward, dropout, false, false, g), numLayers, null);
    }

    public int numLayers() { return layers.size(); }

    @Override public Tensor forward(Tensor x) { return forward(x, null, false); }

    /** With an optional key-padding mask [batch, seq] (non-zero = padding) and causal masking in every layer. */
    public Tensor forward(Tensor x, Tensor keyPaddingMask, boolean causal) {
        for (Module m : layers) x = ((TransformerEncoderLayer) m).forward(x, keyPaddingMask, causal);
        return norm == null ? x : norm.forward(x);
    }

    /** Every layer's eval-mode block without masks, then the final norm. */
    @Override public Value trace(Tracer t, Value x) { return trace(t, x, false); }

    /** Every layer's eval-mode block, causal or not, then the final norm. */
    public Value trace(Tracer t, Value x, boolean causal) { return trace(t, x, null, causal); }

    /**
     * As {@code forward(x, keyPaddingMask, causal)}: every layer reads the same mask [batch, seq] (usually a
     * second model input; null: none).
     *
     * <pre>{@code
     * FrozenModel m = Freezer.freeze((t, in) -> enc.trace(t, in.get(0), in.get(1), false),
     *         List.of(InputSpec.of("x", 2, 10, 32), InputSpec.of("key_padding_mask", 2, 10)), FreezeOptions.defaults());
     * }</pre>
     */
    public Value trace(Tracer t, Value x, Value keyPaddingMask, boolean causal) {
        for (Module m : layers) x = ((TransformerEncoderLayer) m).trace(t, x, keyPaddingMask, causal);
        return norm == null ? x : norm.trace(t, x);
    }

    @Override public String describe() { return "TransformerEncoder(layers=" + layers.size() + ", norm=" + (norm != null) + ")"; }
}
