package dev.engine.nativeabi;

import dev.engine.api.EngineException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import org.bytedeco.javacpp.Pointer;

/**
 * A per-thread block of native memory into which a kernel call writes its int64 arguments (shapes,
 * strides, addresses, doubles as raw bits) before passing one address to native code. Reused for every
 * call on its thread, so marshalling allocates nothing. The layouts are the structs of
 * {@code native/common/abi.h}; {@link ArgBlocks} writes them.
 *
 * <pre>{@code
 * NativeArgs q = NativeArgs.begin().put(rows).put(cols).put(x.address());
 * CpuNative.engine_something(q.address());
 * }</pre>
 */
public final class NativeArgs {
    private static final int CAPACITY_LONGS = 1 << 14;
    private static final ThreadLocal<NativeArgs> LOCAL = ThreadLocal.withInitial(NativeArgs::new);

    private final LongBuffer longs;
    private final long address;

    private NativeArgs() {
        ByteBuffer bytes = ByteBuffer.allocateDirect(CAPACITY_LONGS * 8).order(ByteOrder.nativeOrder());
        longs = bytes.asLongBuffer();
        address = new Pointer(bytes).address();
    }

    /** This thread's block, emptied. */
    public static NativeArgs begin() {
        NativeArgs a = LOCAL.get();
        a.longs.clear();
        return a;
    }

    public NativeArgs put(long v) {
        if (!longs.hasRemaining()) throw new EngineException("kernel arguments exceed " + CAPACITY_LONGS + " values");
        longs.put(v);
        return this;
    }

    public NativeArgs put(double v) { return put(Double.doubleToRawLongBits(v)); }

    public NativeArgs put(boolean v) { return put(v ? 1L : 0L); }

    public NativeArgs put(long[] vs) {
        for (long v : vs) put(v);
        return this;
    }

    /** Writes {@code n} zeros (room native code fills in). */
    public NativeArgs zeros(int n) {
        for (int i = 0; i < n; i++) put(0L);
        return this;
    }

    /** The native address of the block. */
    public long address() { return address; }

    /** How many int64s were written since {@link #begin()}. */
    public int size() { return longs.position(); }

    /** The first {@code n} values, as native code left them. */
    public long[] read(int n) {
        long[] r = new long[n];
        longs.get(0, r);
        return r;
    }
}
