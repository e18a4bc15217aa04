package dev.engine.nativeabi;

import dev.engine.api.EngineException;
import java.util.function.Supplier;

/**
 * The status convention of {@code native/common/abi.h}: an entry point returns {@link #OK} or a failure
 * code, and the message of a thread's last failure is fetched from native code only when there was one
 * (so a successful call costs one int comparison). Entry points that return a position (first bad row or
 * index, else -1) report a failure as {@code -(2 + status)}.
 *
 * <pre>{@code
 * NativeStatus.check("softmax", CpuNative.engine_softmax(...), CpuNative::engine_last_error);
 * }</pre>
 */
public final class NativeStatus {
    private NativeStatus() {}

    public static final int OK = 0, OUT_OF_MEMORY = 1, INTERNAL = 2;

    /** Throws an {@link EngineException} naming {@code op} unless {@code status} is {@link #OK}. */
    public static void check(String op, int status, Supplier<String> lastError) {
        if (status != OK) throw error(op, status, lastError.get());
    }

    /** A position result: -1 or a position is returned; a failure ({@code <= -2}) throws. */
    public static long position(String op, long result, Supplier<String> lastError) {
        if (result <= -2) throw error(op, (int) (-result - 2), lastError.get());
        return result;
    }

    static EngineException error(String op, int status, String message) {
        String kind = switch (status) {
            case OUT_OF_MEMORY -> "out of native memory";
            case INTERNAL -> "internal error in a native kernel";
            default -> "native status " + status;
        };
        return new EngineException(op + ": " + kind + (message == null || message.isEmpty() ? "" : " (" + message + ")"));
    }
}
