package dev.engine.nativeabi;

import dev.engine.api.DType;
import dev.engine.api.DTypeException;

/** dtype numbers of {@code native/common/abi.h} ({@code ENGINE_DTYPE_*}), the same for every native backend. */
public final class DTypeCodes {
    private DTypeCodes() {}

    public static final int F32 = 0, F64 = 1, I32 = 2, I64 = 3, BF16 = 4, F16 = 5;

    /**
     * The code of a dtype the native kernels support. The checked layer has already refused any other,
     * so the exception here only guards a backend bug.
     */
    public static int of(DType d) {
        return switch (d) {
            case F32 -> F32;
            case F64 -> F64;
            case I32 -> I32;
            case I64 -> I64;
            case BF16 -> BF16;
            case F16 -> F16;
            default -> throw new DTypeException("native kernels have no code for dtype " + d + " (F32, F64, I32, I64, BF16, F16 only)");
        };
    }
}
