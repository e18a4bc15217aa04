package dev.engine.nn.loss;

import dev.engine.autograd.Functional;
import dev.engine.autograd.Reduction;
import dev.engine.autograd.Tensor;

/**
 * Huber: {@code 0.5 d^2} for {@code |d| < delta}, else {@code delta (|d| - 0.5 delta)} (delta 1 by default), as {@code torch.nn.HuberLoss}.
 *
 * <pre>{@code
 * Tensor loss = new HuberLoss(Reduction.MEAN, 2.0).forward(pred, target);
 * }</pre>
 */
public class HuberLoss extends Loss {
    private final double delta;

    public HuberLoss(Reduction reduction, double delta) { super(reduction); this.delta = delta; }

    public HuberLoss() { this(Reduction.MEAN, 1.0); }

    @Override public Tensor forward(Tensor input, Tensor target) { return Functional.huberLoss(input, target, delta, reduction); }
}
