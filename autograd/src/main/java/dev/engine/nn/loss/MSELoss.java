package dev.engine.nn.loss;

import dev.engine.autograd.Functional;
import dev.engine.autograd.Reduction;
import dev.engine.autograd.Tensor;

/**
 * Mean squared error {@code (x - y)^2}, as {@code torch.nn.MSELoss}.
 *
 * <pre>{@code
 * Tensor loss = new MSELoss().forward(pred, target);
 * }</pre>
 */
public class MSELoss extends Loss {
    public MSELoss(Reduction reduction) { super(reduction); }

    public MSELoss() { this(Reduction.MEAN); }

    @Override public Tensor forward(Tensor input, Tensor target) { return Functional.mseLoss(input, target, reduction); }
}
