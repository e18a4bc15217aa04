package dev.engine.nn.loss;

import dev.engine.autograd.Functional;
import dev.engine.autograd.Reduction;
import dev.engine.autograd.Tensor;

/**
 * Negative log-likelihood from log-probabilities [N, C] (e.g. {@code logSoftmax(1)}) and I64 targets [N], with optional class weights and an ignore index (-100); MEAN divides by the summed target weights, as {@code torch.nn.NLLLoss}.
 *
 * <pre>{@code
 * Tensor loss = new NLLLoss().forward(logits.logSoftmax(1), labels);
 * }</pre>
 */
public class NLLLoss extends Loss {
    private final Tensor weight;
    private final long ignoreIndex;

    public NLLLoss(Reduction reduction, Tensor weight, long ignoreIndex) { super(reduction); this.weight = weight; this.ignoreIndex = ignoreIndex; }

    public NLLLoss() { this(Reduction.MEAN, null, -100); }

    @Override public Tensor forward(Tensor input, Tensor target) { return Functional.nllLoss(input, target, weight, ignoreIndex, reduction); }
}
