package dev.engine.nn.loss;

import dev.engine.autograd.Reduction;
import dev.engine.autograd.Tensor;

/**
 * A loss function of a prediction and a target, reduced as configured ({@link Reduction#MEAN} by
 * default, matching PyTorch). Losses have no parameters, so they are not modules.
 *
 * <pre>{@code
 * Loss lossFn = new CrossEntropyLoss();
 * Tensor loss = lossFn.forward(model.forward(x), labels);
 * loss.backward();
 * }</pre>
 */
public abstract class Loss {
    protected final Reduction reduction;

    protected Loss(Reduction reduction) { this.reduction = reduction == null ? Reduction.MEAN : reduction; }

    public Reduction reduction() { return reduction; }

    /** The loss of {@code input} against {@code target}. */
    public abstract Tensor forward(Tensor input, Tensor target);
}
