package dev.engine.cpu;

import static dev.engine.api.KernelChecks.buffer;
import static dev.engine.api.KernelChecks.floating;
import static dev.engine.api.KernelChecks.product;

import dev.engine.api.Activation;
import dev.engine.api.Buffer;
import dev.engine.api.Conv2dShape;
import dev.engine.api.DType;
import dev.engine.api.DTypeException;
import dev.engine.api.EngineException;
import dev.engine.api.IndexOutOfRangeException;
import dev.engine.api.KernelChecks;
import dev.engine.api.PackedMatrix;
import dev.engine.api.Pool2dShape;
import dev.engine.api.ShapeException;

/** Java-side checks and marshalling of the CPU backend's convolution and pooling kernels. */
final class CpuConvPool {
    private final CpuBackend be;

    CpuConvPool(CpuBackend be) { this.be = be; }

    private static NativeArgs convArgs(DType dt, Conv2dShape g) {
        return NativeArgs.begin().put((long) DTypeCodes.of(dt)).put(g.n()).put(g.c()).put(g.h()).put(g.w()).put(g.k()).put(g.r()).put(g.s())
                .put((long) g.strideH()).put((long) g.strideW()).put((long) g.padH()).put((long) g.padW())
                .put((long) g.dilationH()).put((long) g.dilationW()).put((long) g.groups());
    }

    private static long weightNumel(Conv2dShape g) { return product("conv2d", g.weightShape()); }

    /** The GEMM sizes of im2col (filter volume, output plane, filters per group) must fit BLAS's 32-bit ints. */
    private static void blasSizes(String op, Conv2dShape g) {
        long crs = product(op, g.c() / g.groups(), g.r(), g.s()), ohw = product(op, g.outH(), g.outW());
        if (crs > Integer.MAX_VALUE || ohw > Integer.MAX_VALUE || g.k() > Integer.MAX_VALUE)
            throw new ShapeException(op + ": filter volume " + crs + " or output plane " + ohw + " exceeds BLAS's 32-bit sizes for " + g);
    }

    private static void status(String op, Conv2dShape g, long status) {
        if (status != 0) throw new EngineException(op + ": out of native memory for the im2col scratch of " + g);
    }

    /** Groups of this many filters (a multiple) are packed in the lanes layout the direct kernel reads. */
    static final int LANES = 16;

    /** The packed format of a weight in the lanes layout ([group][C/groups*R*S][K/groups]); names the groups. */
    static String lanesFormat(int groups) { return "cpu-conv-lanes16-g" + groups; }

    /**
     * KCRS weights of k filters of cols values in groups: the lanes layout when each group has a multiple
     * of 16 filters, else a contiguous copy ({@link PackedMatrix#ROW_MAJOR}, as the SPI default).
     */
    PackedMatrix packConvWeight(Buffer w, long k, long cols, int groups) {
        String op = "packConvWeight";
        be.ready();
        if (groups < 1 || k < 1 || cols < 1 || k % groups != 0)
            throw new ShapeException(op + ": " + k + " filters of " + cols + " values do not split into " + groups + " groups");
        long n = product(op, k, cols);
        buffer(op, "weight", be, w, n, DType.F32);
        boolean lanes = (k / groups) % LANES == 0;
        Buffer packed = be.allocate(DType.F32, n);
        if (lanes) CpuNative.engine_conv_pack_lanes(w.address(), k, cols, groups, packed.address());
        else CpuNative.engine_memcpy(packed.address(), w.address(), n * Float.BYTES);
        return new PackedMatrix(packed, k, cols, lanes ? lanesFormat(groups) : PackedMatrix.ROW_MAJOR);
    }

    /** conv2dForward with a weight made by {@link #packConvWeight} (either layout) for g's geometry. */
    void conv2dForwardPacked(Conv2dShape g, Buffer x, PackedMatrix w, Buffer bias, Activation act, Buffer y) {
        String op = "conv2dForwardPacked";
        if (w == null) throw new EngineException(op + ": packed weight is null");
        boolean lanes = !w.format().equals(PackedMatrix.ROW_MAJOR);
        w.check(op, be, lanes ? lanesFormat(g.groups()) : PackedMatrix.ROW_MAJOR);
        KernelChecks.packedConvWeight(op, g, w);
        if (CpuBackend.dtypeOf(op, "x", x) != DType.F32) throw new DTypeException(op + ": a packed weight is F32; x is " + x.dtype());
        conv2dForward(g, x, w.buffer(), bias, act, y, lanes);
    }

    void conv2dForward(Conv2dShape g, Buffer x, Buffer w, Buffer bias, Activation act, Buffer y) {
        conv2dForward(g, x, w, bias, act, y, false);
    }

    private void conv2dForward(Conv2dShape g, Buffer x, Buffer w, Buffer bias, Activation act, Buffer y, boolean lanesWeight) {
        be.ready();
        String op = "conv2d";
        DType dt = CpuBackend.dtypeOf(op, "x", x);
        floating(op, "x", dt);
        buffer(op, "x", be, x, product(op, g.inputShape()));
        buffer(op, "weight", be, w, weightNumel(g), dt);
        be.optional(op, "bias", bias, g.k(), dt);
        buffer(op, "y", be, y, product(op, g.outputShape()), dt);
        blasSizes(op, g);
        if (g.n() == 0) return;
        Activation a = act == null ? Activation.NONE : act;
        NativeArgs q = convArgs(dt, g).put(x.address()).put(w.address()).put(CpuBackend.addr(bias)).put((long) a.op().code()).put(y.address())
                .put(lanesWeight ? 1L : 0L);
        status(op, g, CpuNative.engine_conv2d_forward(q.address()));
    }

    void conv2dBackwardInput(Conv2dShape g, Buffer gy, Buffer w, Buffer gx) {
        be.ready();
        String op = "conv2dBackwardInput";
        DType dt = CpuBackend.dtypeOf(op, "gy", gy);
        floating(op, "gy", dt);
        buffer(op, "gy", be, gy, product(op, g.outputShape()));
        buffer(op, "weight", be, w, weightNumel(g), dt);
        buffer(op, "gx", be, gx, product(op, g.inputShape()), dt);
        blasSizes(op, g);
        if (g.n() == 0) return;
        status(op, g, CpuNative.engine_conv2d_backward_input(convArgs(dt, g).put(gy.address()).put(w.address()).put(gx.address()).address()));
    }

    void conv2dBackwardWeight(Conv2dShape g, Buffer x, Buffer gy, Buffer gw, Buffer gb) {
        be.ready();
        String op = "conv2dBackwardWeight";
        DType dt = CpuBackend.dtypeOf(op, "x", x);
        floating(op, "x", dt);
        buffer(op, "x", be, x, product(op, g.inputShape()));
        buffer(op, "gy", be, gy, product(op, g.outputShape()), dt);
        buffer(op, "gWeight", be, gw, weightNumel(g), dt);
        be.optional(op, "gBias", gb, g.k(), dt);
        blasSizes(op, g);
        status(op, g, CpuNative.engine_conv2d_backward_weight(convArgs(dt, g).put(x.address()).put(gy.address()).put(gw.address())
                .put(CpuBackend.addr(gb)).address()));
    }

    private static NativeArgs poolArgs(DType dt, int kind, Pool2dShape g) {
        return NativeArgs.begin().put((long) DTypeCodes.of(dt)).put((long) kind).put(g.n()).put(g.c()).put(g.h()).put(g.w())
                .put((long) g.kernelH()).put((long) g.kernelW()).put((long) g.strideH()).put((long) g.strideW())
                .put((long) g.padH()).put((long) g.padW()).put(g.countIncludePad());
    }

    void maxPool2dForward(Pool2dShape g, Buffer x, Buffer y, Buffer indices) {
        be.ready();
        DType dt = CpuBackend.dtypeOf("maxPool2d", "x", x);
        floating("maxPool2d", "x", dt);
        buffer("maxPool2d", "x", be, x, product("maxPool2d", g.n(), g.c(), g.h(), g.w()));
        long on = product("maxPool2d", g.outputShape());
        buffer("maxPool2d", "y", be, y, on, dt);
        if (indices != null) buffer("maxPool2d", "indices", be, indices, on, DType.I64);
        if (on == 0) return;
        CpuNative.engine_pool2d(poolArgs(dt, 0, g).put(x.address()).put(y.address()).put(CpuBackend.addr(indices)).address());
    }

    void maxPool2dBackward(Pool2dShape g, Buffer gy, Buffer indices, Buffer gx) {
        be.ready();
        DType dt = CpuBackend.dtypeOf("maxPool2dBackward", "gy", gy);
        floating("maxPool2dBackward", "gy", dt);
        long on = product("maxPool2dBackward", g.outputShape());
        buffer("maxPool2dBackward", "gy", be, gy, on);
        buffer("maxPool2dBackward", "indices", be, indices, on, DType.I64);
        buffer("maxPool2dBackward", "gx", be, gx, product("maxPool2dBackward", g.n(), g.c(), g.h(), g.w()), dt);
        if (on == 0) return;
        long bad = CpuNative.engine_check_indices(indices.address(), on, g.h() * g.w());
        if (bad >= 0) throw new IndexOutOfRangeException("maxPool2dBackward: index at position " + bad + " is outside the " + g.h() + "x" + g.w() + " plane");
        CpuNative.engine_pool2d(poolArgs(dt, 1, g).put(gy.address()).put(indices.address()).put(gx.address()).address());
    }

    void avgPool2dForward(Pool2dShape g, Buffer x, Buffer y) {
        be.ready();
        DType dt = CpuBackend.dtypeOf("avgPool2d", "x", x);
        floating("avgPool2d", "x", dt);
        buffer("avgPool2d", "x", be, x, product("avgPool2d", g.n(), g.c(), g.h(), g.w()));
        long on = product("avgPool2d", g.outputShape());
        buffer("avgPool2d", "y", be, y, on, dt);
        if (on == 0) return;
        CpuNative.engine_pool2d(poolArgs(dt, 2, g).put(x.address()).put(y.address()).put(0L).address());
    }

    void avgPool2dBackward(Pool2dShape g, Buffer gy, Buffer gx) {
        be.ready();
        DType dt = CpuBackend.dtypeOf("avgPool2dBackward", "gy", gy);
        floating("avgPool2dBackward", "gy", dt);
        long on = product("avgPool2dBackward", g.outputShape());
        buffer("avgPool2dBackward", "gy", be, gy, on);
        buffer("avgPool2dBackward", "gx", be, gx, product("avgPool2dBackward", g.n(), g.c(), g.h(), g.w()), dt);
        if (on == 0) return;
        CpuNative.engine_pool2d(poolArgs(dt, 3, g).put(gy.address()).put(gx.address()).put(0L).address());
    }

    private void adaptive(String op, Buffer src, Buffer dst, long nc, long h, long w, long oh, long ow, boolean backward) {
        be.ready();
        DType dt = CpuBackend.dtypeOf(op, "src", src);
        floating(op, "input", dt);
        if (h < 1 || w < 1 || oh < 1 || ow < 1) throw new ShapeException(op + ": sizes " + h + "x" + w + " -> " + oh + "x" + ow + " must be positive");
        long in = product(op, nc, h, w), out = product(op, nc, oh, ow);
        buffer(op, backward ? "gy" : "x", be, src, backward ? out : in);
        buffer(op, backward ? "gx" : "y", be, dst, backward ? in : out, dt);
        if (nc == 0) return;
        CpuNative.engine_adaptive_avg_pool2d(DTypeCodes.of(dt), src.address(), dst.address(), nc, h, w, oh, ow, backward ? 1 : 0);
    }

    void adaptiveAvgPool2dForward(Buffer x, Buffer y, long nc, long h, long w, long oh, long ow) {
        adaptive("adaptiveAvgPool2d", x, y, nc, h, w, oh, ow, false);
    }

    void adaptiveAvgPool2dBackward(Buffer gy, Buffer gx, long nc, long h, long w, long oh, long ow) {
        adaptive("adaptiveAvgPool2dBackward", gy, gx, nc, h, w, oh, ow, true);
    }
}
