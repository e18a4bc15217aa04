package dev.engine.api;

/**
 * Activations a GEMM or conv epilogue can apply in the same pass over its output.
 *
 * <pre>{@code
 * Epilogue e = Epilogue.of(bias, Activation.RELU);
 * }</pre>
 */
public enum Activation {
    NONE(ElementwiseOp.IDENTITY), RELU(ElementwiseOp.RELU), LEAKY_RELU(ElementwiseOp.LEAKY_RELU),
    GELU(ElementwiseOp.GELU), GELU_TANH(ElementwiseOp.GELU_TANH), SIGMOID(ElementwiseOp.SIGMOID), TANH(ElementwiseOp.TANH),
    RELU6(ElementwiseOp.RELU6), HARD_SWISH(ElementwiseOp.HARDSWISH), SILU(ElementwiseOp.SILU);

    private final ElementwiseOp op;

    Activation(ElementwiseOp op) { this.op = op; }

    /** The elementwise instruction that computes it. */
    public ElementwiseOp op() { return op; }
}
