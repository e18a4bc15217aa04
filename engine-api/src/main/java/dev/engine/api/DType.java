package dev.engine.api;

/**
 * Element types. F32 is supported everywhere; F64 on the CPU (gradient checks); I32/I64 hold indices
 * and labels; BF16/F16 are 16-bit storage (allocation, casting copies, elementwise programs and reductions,
 * which compute in F32; mixed-precision products take F32 operands, see {@code Backend.gemmRounded});
 * I8 is quantised inference's.
 *
 * <pre>{@code
 * long bytes = DType.F32.bytes(1024);   // 4096
 * }</pre>
 */
public enum DType {
    F32(4, true), F64(8, true), I32(4, false), I64(8, false), F16(2, true), BF16(2, true), I8(1, false);

    private final int byteSize;
    private final boolean floating;

    DType(int byteSize, boolean floating) { this.byteSize = byteSize; this.floating = floating; }

    /** Size of one element in bytes. */
    public int byteSize() { return byteSize; }

    /** Whether this is a floating-point type (can carry gradients). */
    public boolean isFloating() { return floating; }

    /** BF16 or F16: 16-bit floating storage, computed on in F32. */
    public boolean isHalf() { return this == BF16 || this == F16; }

    /** Bytes needed for {@code count} elements; throws on overflow or a negative count. */
    public long bytes(long count) {
        if (count < 0) throw new ShapeException("negative element count " + count + " for " + this);
        try {
            return Math.multiplyExact(count, (long) byteSize);
        } catch (ArithmeticException e) {
            throw new ShapeException(count + " elements of " + this + " overflow a 64-bit byte size");
        }
    }

    /** Throws a {@link DTypeException} unless {@code actual} is one of {@code allowed}. */
    public static void require(String op, String what, DType actual, DType... allowed) {
        for (DType d : allowed) if (d == actual) return;
        throw new DTypeException(op + ": " + what + " has dtype " + actual + ", expected one of "
                + java.util.Arrays.toString(allowed));
    }
}
