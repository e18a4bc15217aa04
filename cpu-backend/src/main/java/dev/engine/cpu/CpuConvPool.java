package dev.engine.cpu;

import static dev.engine.nativeabi.ArgBlocks.addr;

import dev.engine.api.Activation;
import dev.engine.api.Buffer;
import dev.engine.api.Conv2dShape;
import dev.engine.api.DType;
import dev.engine.api.EngineException;
import dev.engine.api.PackedMatrix;
import dev.engine.api.Pool2dShape;
import dev.engine.nativeabi.ArgBlocks;
import dev.engine.nativeabi.NativeStatus;

/** Marshalling of the CPU backend's convolution and pooling kernels (arguments already checked). */
final class CpuConvPool {
    /** Groups of this many filters (a multiple) are packed in the lanes layout the direct kernel reads. */
    static final int LANES = 16;

    /** Whether k filters in groups are stored in the lanes layout: each group a multiple of 16 filters. */
    static boolean lanes(long k, int groups) { return (k / groups) % LANES == 0; }

    /** The packed format of a conv weight: the lanes layout ([group][C/groups*R*S][K/groups]) naming its groups, or row-major. */
    static String format(long k, int groups) { return lanes(k, groups) ? "cpu-conv-lanes16-g" + groups : PackedMatrix.ROW_MAJOR; }

    /** A KCRS F32 weight of k filters of cols values, transposed tap by tap into the lanes layout. */
    PackedMatrix packLanes(CpuBackend be, Buffer w, long k, long cols, int groups) {
        Buffer packed = be.allocate(DType.F32, k * cols);
        CpuBackend.ok("packConvWeight", CpuNative.engine_conv_pack_lanes(w.address(), k, cols, groups, packed.address()));
        return new PackedMatrix(packed, k, cols, format(k, groups));
    }

    // im2col scratch is the only allocation of the conv kernels: name the geometry that needed it
    private static void status(String op, Conv2dShape g, int status) {
        if (status == NativeStatus.OUT_OF_MEMORY) throw new EngineException(op + ": out of native memory for the im2col scratch of " + g);
        CpuBackend.ok(op, status);
    }

    void conv2dForward(Conv2dShape g, Buffer x, Buffer w, Buffer bias, Activation act, Buffer y, boolean lanesWeight) {
        status("conv2d", g, CpuNative.engine_conv2d_forward(ArgBlocks.conv(x.dtype(), g).put(x.address()).put(w.address()).put(addr(bias))
                .put((long) act.op().code()).put(y.address()).put(lanesWeight ? 1L : 0L).address()));
    }

    void conv2dBackwardInput(Conv2dShape g, Buffer gy, Buffer w, Buffer gx) {
        status("conv2dBackwardInput", g, CpuNative.engine_conv2d_backward_input(
                ArgBlocks.conv(gy.dtype(), g).put(gy.address()).put(w.address()).put(gx.address()).address()));
    }

    void conv2dBackwardWeight(Conv2dShape g, Buffer x, Buffer gy, Buffer gw, Buffer gb) {
        status("conv2dBackwardWeight", g, CpuNative.engine_conv2d_backward_weight(
                ArgBlocks.conv(x.dtype(), g).put(x.address()).put(gy.address()).put(gw.address()).put(addr(gb)).address()));
    }

    /** One pool kernel ({@code ArgBlocks.POOL_*}) over three buffers (the third may be null). */
    static void pool(int kind, Pool2dShape g, Buffer a, Buffer b, Buffer c) {
        CpuBackend.ok("pool2d", CpuNative.engine_pool2d(ArgBlocks.pool(a.dtype(), kind, g).put(a.address()).put(b.address()).put(addr(c)).address()));
    }
}
