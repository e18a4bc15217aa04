package dev.engine.cuda;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.LongBuffer;
import org.bytedeco.javacpp.Pointer;

/**
 * A per-thread block of native memory into which a kernel call writes its int64 arguments (shapes,
 * strides, addresses, doubles as raw bits) before passing one address to native code. Reused for every
 * call on its thread, so marshalling allocates nothing.
 */
final class NativeArgs {
    private static final int CAPACITY_LONGS = 1 << 14;
    private static final ThreadLocal<NativeArgs> LOCAL = ThreadLocal.withInitial(NativeArgs::new);

    private final ByteBuffer bytes;
    private final LongBuffer longs;
    private final long address;

    private NativeArgs() {
        bytes = ByteBuffer.allocateDirect(CAPACITY_LONGS * 8).order(ByteOrder.nativeOrder());
        longs = bytes.asLongBuffer();
        address = new Pointer(bytes).address();
    }

    /** This thread's block, emptied. */
    static NativeArgs begin() {
        NativeArgs a = LOCAL.get();
        a.longs.clear();
        return a;
    }

    NativeArgs put(long v) {
        if (!longs.hasRemaining()) throw new dev.engine.api.EngineException("kernel arguments exceed " + CAPACITY_LONGS + " values");
        longs.put(v);
        return this;
    }

    NativeArgs put(double v) { return put(Double.doubleToRawLongBits(v)); }

    NativeArgs put(boolean v) { return put(v ? 1L : 0L); }

    NativeArgs put(long[] vs) {
        for (long v : vs) put(v);
        return this;
    }

    long address() { return address; }

    /** The first {@code n} values, as native code left them. */
    long[] read(int n) {
        long[] r = new long[n];
        longs.get(0, r);
        return r;
    }
}
