package dev.engine.cpu;

import dev.engine.api.DType;
import dev.engine.api.DTypeException;

/** dtype numbers shared with {@code native/cpu/common.h}. */
final class DTypeCodes {
    private DTypeCodes() {}

    static int of(DType d) { return of("cpu backend", d); }

    /** The code of a dtype the CPU kernels support; otherwise a {@link DTypeException} naming {@code op}. */
    static int of(String op, DType d) {
        return switch (d) {
            case F32 -> 0;
            case F64 -> 1;
            case I32 -> 2;
            case I64 -> 3;
            default -> throw new DTypeException(op + ": the CPU backend does not support dtype " + d + " (F32, F64, I32, I64 only)");
        };
    }
}
