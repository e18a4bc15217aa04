package dev.engine.nn.loss;

import dev.engine.autograd.Functional;
import dev.engine.autograd.Reduction;
import dev.engine.autograd.Tensor;

/**
 * Cross-entropy from logits [N, C] (or [N, C, d...]) and I64 class targets [N] (or [N, d...]), as
 * {@code torch.nn.CrossEntropyLoss}: optional class weights [C], label smoothing, an ignore index (-100
 * by default). The forward and the gradient come from one fused backend kernel call; MEAN divides by the
 * summed weights of the non-ignored targets.
 *
 * <pre>{@code
 * var lossFn = new CrossEntropyLoss();
 * var smoothed = CrossEntropyLoss.builder().labelSmoothing(0.1).ignoreIndex(0).weight(classWeights).build();
 * Tensor loss = lossFn.forward(logits, Tensor.ofLongs(new long[]{3, 1}, 2));
 * }</pre>
 */
public class CrossEntropyLoss extends Loss {
    private final Tensor weight;
    private final long ignoreIndex;
    private final double labelSmoothing;

    public CrossEntropyLoss(Reduction reduction, Tensor weight, long ignoreIndex, double labelSmoothing) {
        super(reduction);
        this.weight = weight; this.ignoreIndex = ignoreIndex; this.labelSmoothing = labelSmoothing;
    }

    public CrossEntropyLoss() { this(Reduction.MEAN, null, -100, 0); }

    public static Builder builder() { return new Builder(); }

    @Override public Tensor forward(Tensor logits, Tensor target) {
        return Functional.crossEntropy(logits, target, weight, ignoreIndex, labelSmoothing, reduction);
    }

    /** Optional settings by name. */
    public static final class Builder {
        private Reduction reduction = Reduction.MEAN;
        private Tensor weight;
        private long ignoreIndex = -100;
        private double labelSmoothing;

        public Builder reduction(Reduction r) { reduction = r; return this; }
        public Builder weight(Tensor w) { weight = w; return this; }
        public Builder ignoreIndex(long i) { ignoreIndex = i; return this; }
        public Builder labelSmoothing(double s) { labelSmoothing = s; return this; }
        public CrossEntropyLoss build() { return new CrossEntropyLoss(reduction, weight, ignoreIndex, labelSmoothing); }
    }
}
