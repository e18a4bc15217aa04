package dev.engine.api;

/**
 * What a GEMM (or conv) does to its output tile before it is stored:
 * {@code C = act(alpha*op(A)op(B) + beta*C + bias + residual)}. The bias is a vector of length n added to
 * every row; the residual is a matrix shaped like C.
 *
 * <pre>{@code
 * Epilogue e = new Epilogue(bias, null, Activation.GELU, 0);
 * }</pre>
 */
public record Epilogue(Buffer bias, MatrixRef residual, Activation activation, double activationParam) {
    /** Plain GEMM, nothing applied. */
    public static final Epilogue NONE = new Epilogue(null, null, Activation.NONE, 0);

    public Epilogue {
        if (activation == null) activation = Activation.NONE;
    }

    public static Epilogue of(Buffer bias, Activation activation) { return new Epilogue(bias, null, activation, 0.01); }

    public boolean isNone() { return bias == null && residual == null && activation == Activation.NONE; }
}
