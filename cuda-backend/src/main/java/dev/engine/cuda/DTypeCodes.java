package dev.engine.cuda;

import dev.engine.api.DType;
import dev.engine.api.DTypeException;

/** dtype numbers shared with {@code native/cuda/common.cuh} (the same as the CPU backend's). */
final class DTypeCodes {
    private DTypeCodes() {}

    static int of(DType d) {
        return switch (d) {
            case F32 -> 0;
            case F64 -> 1;
            case I32 -> 2;
            case I64 -> 3;
            default -> throw new DTypeException("the CUDA backend does not support dtype " + d + " yet (F32, F64, I32, I64)");
        };
    }
}
