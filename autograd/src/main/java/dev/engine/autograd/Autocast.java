package dev.engine.autograd;

import dev.engine.api.DType;
import dev.engine.api.DTypeException;
import dev.engine.api.ElementwiseOp;

/**
 * Mixed precision for the current thread while open (nestable), like PyTorch's {@code torch.autocast}: the
 * matrix products of F32 tensors ({@code linear}, {@code matmul}, {@code conv2d}) round their operands to
 * BF16 or F16 and sum the products in F32 ({@code Backend.gemmRounded}: tensor cores on CUDA, {@code vdpbf16ps}
 * on the CPU). Tensors stay F32, so parameters are F32 master weights and optimizer state stays F32; every
 * other op runs as without the scope. The backward of a product recorded under the scope uses the same
 * precision, wherever {@code backward()} is called. F64 tensors (gradient checks) are never rounded. F16's
 * narrow range needs a {@code dev.engine.optim.LossScaler}; BF16 has F32's range and needs none. Products of
 * BF16 / F16 tensors (a model after {@code Module.to(DType.BF16)}) run the same way on their F32 casts, with or
 * without a scope, and give a tensor of their dtype.
 *
 * <pre>{@code
 * try (MemoryScope s = MemoryScope.open()) {
 *     Tensor loss;
 *     try (Autocast a = Autocast.bf16()) {
 *         loss = lossFn.forward(model.forward(x), y);
 *     }
 *     opt.zeroGrad();
 *     loss.backward();
 *     opt.step();
 * }
 * }</pre>
 */
public final class Autocast implements AutoCloseable {
    private static final ThreadLocal<DType[]> CURRENT = ThreadLocal.withInitial(() -> new DType[1]);
    private final DType previous;
    private boolean closed;

    private Autocast(DType precision) {
        DType[] cur = CURRENT.get();
        previous = cur[0];
        cur[0] = precision;
    }

    /** Products of F32 tensors in bfloat16 (F32 sums) until closed. */
    public static Autocast bf16() { return new Autocast(DType.BF16); }

    /** Products of F32 tensors in IEEE half (F32 sums) until closed; pair it with a loss scaler. */
    public static Autocast f16() { return new Autocast(DType.F16); }

    /** Full-precision products until closed (inside an enclosing autocast scope). */
    public static Autocast disabled() { return new Autocast(null); }

    /**
     * A scope of {@code precision}: {@link DType#BF16}, {@link DType#F16}, or {@code null} or {@link DType#F32}
     * for full precision.
     */
    public static Autocast of(DType precision) {
        if (precision == null || precision == DType.F32) return disabled();
        if (precision != DType.BF16 && precision != DType.F16)
            throw new DTypeException("autocast: products run in BF16 or F16 (or F32 for none), not " + precision);
        return new Autocast(precision);
    }

    /** The precision products run in on this thread: BF16, F16, or null for full precision. */
    public static DType precision() { return CURRENT.get()[0]; }

    /** The precision a product whose result has dtype {@code dt} runs in: null unless autocast is on and dt is F32. */
    static DType precisionFor(DType dt) { return dt == DType.F32 ? precision() : null; }

    /** A detached copy of {@code t} with each value rounded to {@code precision} (which is BF16 or F16). */
    static Tensor rounded(Tensor t, DType precision) {
        ElementwiseOp op = precision == DType.BF16 ? ElementwiseOp.ROUND_BF16 : ElementwiseOp.ROUND_F16;
        try (GradMode g = GradMode.noGrad()) {
            return ElementwiseOps.unary(op, 0, t.detach());
        }
    }

    /**
     * A product of 16-bit tensors: {@code f32Product} runs on their F32 casts (exact) with products in
     * {@code half} (F32 sums), and its result is cast back to {@code half} (rounded once). Recorded ops
     * throughout, so gradients reach the 16-bit inputs.
     */
    static Tensor halfProduct(DType half, java.util.function.Supplier<Tensor> f32Product) {
        try (Autocast scope = new Autocast(half)) {
            return f32Product.get().to(half);
        }
    }

    /** {@code t} as F32 (null stays null). */
    static Tensor f32(Tensor t) { return t == null ? null : t.to(DType.F32); }

    @Override public void close() {
        if (!closed) {
            closed = true;
            CURRENT.get()[0] = previous;
        }
    }
}
