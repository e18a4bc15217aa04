package dev.engine.api;

/**
 * What a GEMM (or conv) does to its output tile before it is stored:
 * {@code C = act(alpha*op(A)op(B) + beta*C + bias + residual)}. The bias is a vector of length n added to
 * every row; the residual is a matrix shaped like C.
 *
 * <p>For the backward pass of a linear layer a GEMM can instead also write a bias gradient: with
 * {@link #biasGradient(Buffer)}, {@code gemm} overwrites {@code biasGradient[i] = sum over j of op(A)[i][j]}
 * (the row sums of op(A), length m, alpha not applied) beside C. cuBLASLt fuses that sum into the product;
 * other backends run it after. It is for {@code gemm} and {@code gemmRounded} (summing the unrounded A) with
 * batch 1, and combines with nothing else.
 *
 * <pre>{@code
 * Epilogue e = new Epilogue(bias, null, Activation.GELU, 0);
 * // dW = dY^T X and db = column sums of dY, for dY [rows, out] and X [rows, in]:
 * be.gemm(true, false, out, in, rows, 1, MatrixRef.of(dy, out), MatrixRef.of(x, in), 0, MatrixRef.of(dw, in), 1,
 *         Epilogue.biasGradient(db));
 * }</pre>
 */
public record Epilogue(Buffer bias, MatrixRef residual, Activation activation, double activationParam, Buffer biasGradient) {
    /** Plain GEMM, nothing applied. */
    public static final Epilogue NONE = new Epilogue(null, null, Activation.NONE, 0);

    public Epilogue {
        if (activation == null) activation = Activation.NONE;
    }

    /** An epilogue that applies bias, residual and activation (no bias gradient). */
    public Epilogue(Buffer bias, MatrixRef residual, Activation activation, double activationParam) {
        this(bias, residual, activation, activationParam, null);
    }

    public static Epilogue of(Buffer bias, Activation activation) { return new Epilogue(bias, null, activation, 0.01); }

    /** The plain product, plus the row sums of op(A) into {@code out} (length m): a linear layer's bias gradient. */
    public static Epilogue biasGradient(Buffer out) { return new Epilogue(null, null, Activation.NONE, 0, out); }

    public boolean isNone() { return bias == null && residual == null && activation == Activation.NONE && biasGradient == null; }
}
