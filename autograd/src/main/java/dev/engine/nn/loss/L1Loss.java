package dev.engine.nn.loss;

import dev.engine.autograd.Functional;
import dev.engine.autograd.Reduction;
import dev.engine.autograd.Tensor;

/**
 * Mean absolute error {@code |x - y|}, as {@code torch.nn.L1Loss}.
 *
 * <pre>{@code
 * Tensor loss = new L1Loss(Reduction.SUM).forward(pred, target);
 * }</pre>
 */
public class L1Loss extends Loss {
    public L1Loss(Reduction reduction) { super(reduction); }

    public L1Loss() { this(Reduction.MEAN); }

    @Override public Tensor forward(Tensor input, Tensor target) { return Functional.l1Loss(input, target, reduction); }
}
