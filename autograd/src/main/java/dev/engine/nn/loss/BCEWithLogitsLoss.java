package dev.engine.nn.loss;

import dev.engine.autograd.Functional;
import dev.engine.autograd.Reduction;
import dev.engine.autograd.Tensor;

/**
 * Sigmoid and binary cross-entropy in one numerically stable op ({@code softplus(-x) + (1 - y) x}), with optional per-element weight and per-class {@code posWeight}, as {@code torch.nn.BCEWithLogitsLoss}.
 *
 * <pre>{@code
 * Tensor loss = new BCEWithLogitsLoss().forward(logits, labels);   // labels 0/1 as floats
 * }</pre>
 */
public class BCEWithLogitsLoss extends Loss {
    private final Tensor weight, posWeight;

    public BCEWithLogitsLoss(Reduction reduction, Tensor weight, Tensor posWeight) { super(reduction); this.weight = weight; this.posWeight = posWeight; }

    public BCEWithLogitsLoss() { this(Reduction.MEAN, null, null); }

    @Override public Tensor forward(Tensor input, Tensor target) {
        return Functional.binaryCrossEntropyWithLogits(input, target, weight, posWeight, reduction);
    }
}
