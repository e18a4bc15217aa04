package dev.engine.autograd;

/**
 * Functional forms of the fused ops that layers build on (the PyTorch {@code torch.nn.functional}
 * counterpart).
 *
 * <pre>{@code
 * Tensor y = Functional.linear(x, weight, bias);   // x W^T + b, bias fused into the GEMM
 * }</pre>
 */
public final class Functional {
    private Functional() {}

    /** {@code x W^T + bias}: x [..., in], W [out, in], bias [out] or null. */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) { return MatMulOp.linear(x, weight, bias); }
}
