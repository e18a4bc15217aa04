package dev.engine.autograd;

/**
 * How a loss combines its per-element values, as PyTorch's {@code reduction} argument: {@code MEAN}
 * (divided by the element count, or by the sum of target weights for weighted classification losses),
 * {@code SUM}, or {@code NONE} (the per-element losses).
 *
 * <pre>{@code
 * Tensor perSample = Functional.mseLoss(pred, target, Reduction.NONE);
 * }</pre>
 */
public enum Reduction { MEAN, SUM, NONE }
