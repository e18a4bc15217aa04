package dev.engine.nn.loss;

import dev.engine.autograd.Functional;
import dev.engine.autograd.Reduction;
import dev.engine.autograd.Tensor;

/**
 * Binary cross-entropy from probabilities in [0, 1] with optional per-element weight (broadcast), logs clamped at -100 as {@code torch.nn.BCELoss}. Prefer {@link BCEWithLogitsLoss}.
 *
 * <pre>{@code
 * Tensor loss = new BCELoss().forward(model.forward(x).sigmoid(), labels);
 * }</pre>
 */
public class BCELoss extends Loss {
    private final Tensor weight;

    public BCELoss(Reduction reduction, Tensor weight) { super(reduction); this.weight = weight; }

    public BCELoss() { this(Reduction.MEAN, null); }

    @Override public Tensor forward(Tensor input, Tensor target) { return Functional.binaryCrossEntropy(input, target, weight, reduction); }
}
