package dev.engine.cpu;

import static dev.engine.nativeabi.ArgBlocks.addr;

import dev.engine.api.Activation;
import dev.engine.api.Buffer;
import dev.engine.api.Conv2dShape;
import dev.engine.api.EngineException;
import dev.engine.api.Pool2dShape;
import dev.engine.nativeabi.ArgBlocks;
import dev.engine.nativeabi.NativeStatus;

/** Marshalling of the CPU backend's convolution and pooling kernels (arguments already checked). */
final class CpuConvPool {
    // im2col scratch is the only allocation of the conv kernels: name the geometry that needed it
    private static void status(String op, Conv2dShape g, int status) {
        if (status == NativeStatus.OUT_OF_MEMORY) throw new EngineException(op + ": out of native memory for the im2col scratch of " + g);
        CpuBackend.ok(op, status);
    }

    void conv2dForward(Conv2dShape g, Buffer x, Buffer w, Buffer bias, Activation act, Buffer y) {
        status("conv2d", g, CpuNative.engine_conv2d_forward(ArgBlocks.conv(x.dtype(), g).put(x.address()).put(w.address()).put(addr(bias))
                .put((long) act.op().code()).put(y.address()).address()));
    }

    /** A frozen model's convolution; {@code vectors}: the address of the weight as [K/16][C/groups*R*S][16], or 0. */
    void conv2dForwardPacked(Conv2dShape g, Buffer x, Buffer w, long vectors, Buffer bias, Activation act, Buffer y) {
        status("conv2dForwardPacked", g, CpuNative.engine_conv2d_forward_packed(ArgBlocks.conv(x.dtype(), g).put(x.address())
                .put(w.address()).put(addr(bias)).put((long) act.op().code()).put(y.address()).put(vectors).address()));
    }

    /**
     * conv (stride 1) + bias + ReLU + 2x2 stride-2 max pool; y holds the pooled output. {@code vectors}: the
     * address of the weight as [K/16][C*R*S][16], or 0.
     */
    void conv2dReluMaxPool(Conv2dShape g, Buffer x, Buffer w, long vectors, Buffer bias, Buffer y) {
        status("conv2dMaxPoolForwardPacked", g, CpuNative.engine_conv2d_relu_maxpool(ArgBlocks.conv(x.dtype(), g).put(x.address())
                .put(w.address()).put(addr(bias)).put((long) Activation.RELU.op().code()).put(y.address()).put(vectors).address()));
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
