package dev.engine.nn.loss;

import dev.engine.autograd.Functional;
import dev.engine.autograd.Reduction;
import dev.engine.autograd.Tensor;

/**
 * Smooth L1: {@code 0.5 d^2 / beta} for {@code |d| < beta}, else {@code |d| - 0.5 beta} (beta 1 by default), as {@code torch.nn.SmoothL1Loss}.
 *
 * <pre>{@code
 * Tensor loss = new SmoothL1Loss(Reduction.MEAN, 0.5).forward(boxes, targets);
 * }</pre>
 */
public class SmoothL1Loss extends Loss {
    private final double beta;

    public SmoothL1Loss(Reduction reduction, double beta) { super(reduction); this.beta = beta; }

    public SmoothL1Loss() { this(Reduction.MEAN, 1.0); }

    @Override public Tensor forward(Tensor input, Tensor target) { return Functional.smoothL1Loss(input, target, beta, reduction); }
}
