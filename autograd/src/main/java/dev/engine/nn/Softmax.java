package dev.engine.nn;

import dev.engine.autograd.Tensor;

/**
 * Softmax along an axis (no parameters). For classification train on logits with
 * {@code CrossEntropyLoss} instead, which fuses the log-softmax.
 *
 * <pre>{@code
 * Tensor probs = new Softmax(-1).forward(logits);
 * }</pre>
 */
public class Softmax extends Module {
    private final int axis;

    public Softmax(int axis) { this.axis = axis; }

    @Override public Tensor forward(Tensor x) { return x.softmax(axis); }

    @Override public String describe() { return "Softmax(axis=" + axis + ")"; }
}
