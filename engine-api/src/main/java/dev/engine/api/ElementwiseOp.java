package dev.engine.api;

/**
 * The elementwise instruction set shared by every backend and by the fused elementwise program. The
 * {@link #code()} numbers are the wire format native kernels switch on; never renumber them.
 * {@code imm} is the instruction's immediate (slope, exponent, scalar, constant).
 *
 * <pre>{@code
 * ElementwiseOp.RELU.arity();      // 1
 * ElementwiseOp.ADD.arity();       // 2
 * }</pre>
 */
public enum ElementwiseOp {
    // arity 0
    CONST(0, 0),
    // arity 1
    IDENTITY(1, 1), NEG(2, 1), EXP(3, 1), LOG(4, 1), SQRT(5, 1), RSQRT(6, 1), ABS(7, 1), SIGN(8, 1),
    SQUARE(9, 1), RECIPROCAL(10, 1), RELU(11, 1), LEAKY_RELU(12, 1), GELU(13, 1), SIGMOID(14, 1), TANH(15, 1),
    SOFTPLUS(16, 1), ADD_SCALAR(17, 1), MUL_SCALAR(18, 1), POW_SCALAR(19, 1), CLAMP_MIN(20, 1), CLAMP_MAX(21, 1),
    RSUB_SCALAR(22, 1), SIN(23, 1), COS(24, 1), GELU_TANH(25, 1),
    /** x rounded to the nearest bfloat16 value (nearest even; NaN stays NaN), as F32: a reduced-precision product's operand */
    ROUND_BF16(26, 1),
    /** x rounded to the nearest IEEE half value (nearest even, half's subnormals; beyond 65504 infinity), as F32 */
    ROUND_F16(27, 1),
    /** min(max(x, 0), 6), as CLAMP_MIN 0 then CLAMP_MAX 6 (NaN stays NaN): MobileNet's ReLU6, ONNX's Clip(0, 6) */
    RELU6(28, 1),
    /** x * min(max(x / 6 + 1/2, 0), 1): ONNX's HardSwish, PyTorch's nn.Hardswish */
    HARDSWISH(29, 1),
    /** x * sigmoid(x): SiLU (swish), EfficientNet's activation */
    SILU(30, 1),
    // arity 2
    ADD(40, 2), SUB(41, 2), MUL(42, 2), DIV(43, 2), POW(44, 2), MAXIMUM(45, 2), MINIMUM(46, 2),
    EQ(47, 2), NE(48, 2), LT(49, 2), LE(50, 2), GT(51, 2), GE(52, 2),
    /** (x, g) -> g * relu'(x) */
    RELU_BACKWARD(60, 2),
    /** (x, g) -> g * leaky_relu'(x; imm) */
    LEAKY_RELU_BACKWARD(61, 2),
    /** (x, g) -> g * gelu'(x) (erf form) */
    GELU_BACKWARD(62, 2),
    /** (y, g) -> g * y * (1 - y), y = sigmoid(x) */
    SIGMOID_BACKWARD(63, 2),
    /** (y, g) -> g * (1 - y^2), y = tanh(x) */
    TANH_BACKWARD(64, 2),
    /** (x, g) -> g * sigmoid(x) */
    SOFTPLUS_BACKWARD(65, 2),
    /** (x, g) -> g * gelu_tanh'(x) */
    GELU_TANH_BACKWARD(66, 2),
    // arity 3
    /** (cond, a, b) -> cond != 0 ? a : b */
    WHERE(80, 3);

    private final int code;
    private final int arity;

    ElementwiseOp(int code, int arity) { this.code = code; this.arity = arity; }

    /** Stable number used by native kernels. */
    public int code() { return code; }

    /** Number of register operands. */
    public int arity() { return arity; }
}
