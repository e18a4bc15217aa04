package dev.engine.api;

import static dev.engine.api.KernelChecks.buffer;
import static dev.engine.api.KernelChecks.floating;
import static dev.engine.api.KernelChecks.product;

/**
 * The one place kernel arguments are checked. Every {@link Backend} extends this class: its public kernel
 * methods are final, validate shapes, dtypes, devices, strides, output overlap and nulls, and only then
 * call the protected {@code ...Unchecked} hook the backend implements. So every backend (and any third-party
 * one) throws the same {@link EngineException} subclass with the same message for the same bad call, and
 * a hook may trust its arguments: buffers open, on this backend, large enough, dtypes supported and agreeing,
 * sizes non-negative and within the kernels' 32-bit limits, empty work already returned. The checks live in
 * three sealed layers, one file each: {@link CheckedCore} (memory, copies, elementwise, indexing, randomness),
 * {@link CheckedMath} (GEMMs, reductions, softmax, attention, losses, norms) and this class (convolution,
 * pooling, optimizers).
 *
 * <pre>{@code
 * public final class MyBackend extends CheckedBackend {
 *     @Override protected void softmaxUnchecked(Buffer x, Buffer out, long rows, long cols, boolean log) {
 *         MyNative.softmax(x.address(), out.address(), rows, cols, log);   // rows * cols > 0 here
 *     }
 *     // ... the other hooks and the identity methods
 * }
 * }</pre>
 */
public abstract non-sealed class CheckedBackend extends CheckedMath {
    protected CheckedBackend() {}

    // ---- convolution and pooling ------------------------------------------------------------------

    /** The im2col GEMM sizes (filter volume, output plane, filters) must fit the kernels' 32-bit ints. */
    private static void convSizes(String op, Conv2dShape g) {
        if (g == null) throw new EngineException(op + ": geometry is null");
        long crs = product(op, g.c() / g.groups(), g.r(), g.s()), ohw = product(op, g.outH(), g.outW());
        if (crs > INT_LIMIT || ohw > INT_LIMIT || g.k() > INT_LIMIT)
            throw new ShapeException(op + ": filter volume " + crs + " or output plane " + ohw + " exceeds the kernels' 32-bit sizes for " + g);
    }

    private static long weightNumel(String op, Conv2dShape g) { return product(op, g.weightShape()); }

    /** The checks of a convolution forward; returns the dtype. */
    private DType convForward(String op, Conv2dShape g, Buffer x, Buffer w, Buffer bias, Buffer y) {
        return convForward(op, g, x, w, bias, y, product(op, g.outputShape()));
    }

    /** As above with {@code y} holding {@code yNumel} values (a fused pool's output). */
    private DType convForward(String op, Conv2dShape g, Buffer x, Buffer w, Buffer bias, Buffer y, long yNumel) {
        convSizes(op, g);
        DType dt = dtypeOf(op, "x", x);
        floating(op, "x", dt);
        buffer(op, "x", this, x, product(op, g.inputShape()));
        buffer(op, "weight", this, w, weightNumel(op, g), dt);
        optional(op, "bias", bias, g.k(), dt);
        buffer(op, "y", this, y, yNumel, dt);
        return dt;
    }

    @Override public final void conv2dForward(Conv2dShape g, Buffer x, Buffer weight, Buffer bias, Activation activation, Buffer y) {
        ready();
        convForward("conv2d", g, x, weight, bias, y);
        if (g.n() == 0) return;
        conv2dForwardUnchecked(g, x, weight, bias, activation == null ? Activation.NONE : activation, y);
    }

    /** n > 0; activation not null. */
    protected abstract void conv2dForwardUnchecked(Conv2dShape g, Buffer x, Buffer weight, Buffer bias, Activation activation, Buffer y);

    @Override public final PackedMatrix packConvWeight(Buffer weight, long k, long cols, int groups) {
        ready();
        String op = "packConvWeight";
        if (groups < 1 || k < 1 || cols < 1 || k % groups != 0)
            throw new ShapeException(op + ": " + k + " filters of " + cols + " values do not split into " + groups + " groups");
        buffer(op, "weight", this, weight, product(op, k, cols), DType.F32);
        return packConvWeightUnchecked(weight, k, cols, groups);
    }

    /** Stores a KCRS F32 weight in {@link #packedConvWeightFormat}; the default keeps a row-major copy. */
    protected PackedMatrix packConvWeightUnchecked(Buffer weight, long k, long cols, int groups) {
        return rowMajorCopy(weight, k, cols);
    }

    /** The format {@link #packConvWeightUnchecked} writes for this geometry; {@link #conv2dForwardPacked} refuses any other. */
    protected String packedConvWeightFormat(long k, long cols, int groups) { return PackedMatrix.ROW_MAJOR; }

    /** The checks of a packed convolution's geometry, weight and input, before its output's. */
    private void packedConv(String op, Conv2dShape g, Buffer x, PackedMatrix weight) {
        if (weight == null) throw new EngineException(op + ": packed weight is null");
        convSizes(op, g);
        KernelChecks.packedConvWeight(op, g, weight);
        weight.check(op, this, packedConvWeightFormat(weight.rows(), weight.cols(), g.groups()));
        if (dtypeOf(op, "x", x) != DType.F32) throw new DTypeException(op + ": a packed weight is F32; x is " + x.dtype());
    }

    @Override public final void conv2dForwardPacked(Conv2dShape g, Buffer x, PackedMatrix weight, Buffer bias, Activation activation, Buffer y) {
        ready();
        String op = "conv2dForwardPacked";
        packedConv(op, g, x, weight);
        convForward(op, g, x, weight.buffer(), bias, y);
        if (g.n() == 0) return;
        conv2dForwardPackedUnchecked(g, x, weight, bias, activation == null ? Activation.NONE : activation, y);
    }

    /** n > 0; the default runs {@link #conv2dForwardUnchecked} on the row-major copy. */
    protected void conv2dForwardPackedUnchecked(Conv2dShape g, Buffer x, PackedMatrix weight, Buffer bias, Activation activation, Buffer y) {
        conv2dForwardUnchecked(g, x, weight.buffer(), bias, activation, y);
    }

    @Override public final void conv2dMaxPoolForwardPacked(Conv2dShape g, Buffer x, PackedMatrix weight, Buffer bias, Activation activation,
                                                           Pool2dShape pool, Buffer y) {
        ready();
        String op = "conv2dMaxPoolForwardPacked";
        packedConv(op, g, x, weight);
        Activation act = fusedPool(op, g, activation, pool, false);
        convForward(op, g, x, weight.buffer(), bias, y, product(op, pool.outputShape()));
        if (g.n() == 0) return;
        conv2dMaxPoolForwardPackedUnchecked(g, x, weight, bias, act, pool, y);
    }

    /** The pool of a fused convolution + max pool call: it pools g's output and the backend fuses the chain; returns the activation. */
    private Activation fusedPool(String op, Conv2dShape g, Activation activation, Pool2dShape pool, boolean int8) {
        if (pool == null) throw new EngineException(op + ": pool geometry is null");
        if (pool.n() != g.n() || pool.c() != g.k() || pool.h() != g.outH() || pool.w() != g.outW())
            throw new ShapeException(op + ": " + pool + " does not pool the convolution's output " + Shapes.str(g.outputShape()));
        Activation act = activation == null ? Activation.NONE : activation;
        if (!(int8 ? fusesConvMaxPoolInt8(g, act, pool) : fusesConvMaxPool(g, act, pool)))
            throw new EngineException(op + ": the " + name() + " backend has no fused kernel for " + g + " with " + act + " and " + pool
                    + " (run " + (int8 ? "conv2dForwardInt8Packed" : "conv2dForwardPacked") + ", then maxPool2dForward)");
        return act;
    }

    /** n > 0, a chain {@link #fusesConvMaxPool} accepts; the default has no fused kernel. */
    protected void conv2dMaxPoolForwardPackedUnchecked(Conv2dShape g, Buffer x, PackedMatrix weight, Buffer bias, Activation activation,
                                                       Pool2dShape pool, Buffer y) {
        throw new EngineException("conv2dMaxPoolForwardPacked: the " + name() + " backend has no fused convolution and max pool kernel");
    }

    @Override public final void conv2dForwardInt8Packed(Conv2dShape g, Buffer x, InputQuantization aq, PackedMatrix weight, Buffer bias,
                                                        Activation activation, Buffer y) {
        ready();
        String op = "conv2dForwardInt8Packed";
        convSizes(op, g);
        convInt8(op, g, x, aq, weight, bias, y, product(op, g.outputShape()));
        if (g.n() == 0) return;
        conv2dForwardInt8PackedUnchecked(g, x, aq, weight, bias, activation == null ? Activation.NONE : activation, y);
    }

    @Override public final void conv2dMaxPoolForwardInt8Packed(Conv2dShape g, Buffer x, InputQuantization aq, PackedMatrix weight, Buffer bias,
                                                               Activation activation, Pool2dShape pool, Buffer y) {
        ready();
        String op = "conv2dMaxPoolForwardInt8Packed";
        convSizes(op, g);
        Activation act = fusedPool(op, g, activation, pool, true);
        convInt8(op, g, x, aq, weight, bias, y, product(op, pool.outputShape()));
        if (g.n() == 0) return;
        conv2dMaxPoolForwardInt8PackedUnchecked(g, x, aq, weight, bias, act, pool, y);
    }

    /** The checks both int8 convolutions make after {@link #convSizes}; {@code outputs}: the elements {@code y} must hold. */
    private void convInt8(String op, Conv2dShape g, Buffer x, InputQuantization aq, PackedMatrix weight, Buffer bias, Buffer y, long outputs) {
        if (weight == null) throw new EngineException(op + ": packed weight is null");
        if (aq == null) throw new EngineException(op + ": input quantization is null");
        if (g.groups() != 1) throw new ShapeException(op + ": int8 convolutions take groups = 1, got " + g);
        long crs = product(op, g.c(), g.r(), g.s());
        if (weight.rows() != crs || weight.cols() != g.k())
            throw new ShapeException(op + ": packed weight is " + weight.rows() + " x " + weight.cols() + " but " + g + " needs " + crs + " x " + g.k());
        weight.check(op, this, packedInt8Format());
        buffer(op, "packed weight", this, weight.buffer(), packedInt8Length(crs, g.k()), DType.I32);
        buffer(op, "x", this, x, product(op, g.inputShape()), DType.F32);
        optional(op, "bias", bias, g.k(), DType.F32);
        buffer(op, "y", this, y, outputs, DType.F32);
    }

    /** n > 0, a chain {@link #fusesConvMaxPoolInt8} accepts, weight in {@link #packedInt8Format()}; the default has no fused kernel. */
    protected void conv2dMaxPoolForwardInt8PackedUnchecked(Conv2dShape g, Buffer x, InputQuantization aq, PackedMatrix weight, Buffer bias,
                                                           Activation activation, Pool2dShape pool, Buffer y) {
        throw new EngineException("conv2dMaxPoolForwardInt8Packed: the " + name() + " backend has no fused int8 convolution and max pool kernel");
    }

    /** n > 0, groups 1, weight in {@link #packedInt8Format()}; only reached on a backend whose packer made it. */
    protected void conv2dForwardInt8PackedUnchecked(Conv2dShape g, Buffer x, InputQuantization aq, PackedMatrix weight, Buffer bias,
                                                    Activation activation, Buffer y) {
        throw new EngineException("conv2dForwardInt8Packed: the " + name() + " backend has no int8 convolution kernel");
    }

    @Override public final void conv2dBackwardInput(Conv2dShape g, Buffer gy, Buffer weight, Buffer gx) {
        ready();
        String op = "conv2dBackwardInput";
        convSizes(op, g);
        DType dt = dtypeOf(op, "gy", gy);
        floating(op, "gy", dt);
        buffer(op, "gy", this, gy, product(op, g.outputShape()));
        buffer(op, "weight", this, weight, weightNumel(op, g), dt);
        buffer(op, "gx", this, gx, product(op, g.inputShape()), dt);
        if (g.n() == 0) return;
        conv2dBackwardInputUnchecked(g, gy, weight, gx);
    }

    /** n > 0. */
    protected abstract void conv2dBackwardInputUnchecked(Conv2dShape g, Buffer gy, Buffer weight, Buffer gx);

    @Override public final void conv2dBackwardWeight(Conv2dShape g, Buffer x, Buffer gy, Buffer gWeight, Buffer gBias) {
        ready();
        String op = "conv2dBackwardWeight";
        convSizes(op, g);
        DType dt = dtypeOf(op, "x", x);
        floating(op, "x", dt);
        buffer(op, "x", this, x, product(op, g.inputShape()));
        buffer(op, "gy", this, gy, product(op, g.outputShape()), dt);
        buffer(op, "gWeight", this, gWeight, weightNumel(op, g), dt);
        optional(op, "gBias", gBias, g.k(), dt);
        conv2dBackwardWeightUnchecked(g, x, gy, gWeight, gBias);
    }

    /** Any n (n = 0 writes zero gradients). */
    protected abstract void conv2dBackwardWeightUnchecked(Conv2dShape g, Buffer x, Buffer gy, Buffer gWeight, Buffer gBias);

    private static long planes(String op, Pool2dShape g) {
        if (g == null) throw new EngineException(op + ": geometry is null");
        return product(op, g.n(), g.c(), g.h(), g.w());
    }


    @Override public final void maxPool2dForward(Pool2dShape g, Buffer x, Buffer y, Buffer indices) {
        ready();
        String op = "maxPool2d";
        long in = planes(op, g);
        DType dt = dtypeOf(op, "x", x);
        floating(op, "x", dt);
        buffer(op, "x", this, x, in);
        long on = product(op, g.outputShape());
        buffer(op, "y", this, y, on, dt);
        optional(op, "indices", indices, on, DType.I64);
        if (on == 0) return;
        maxPool2dForwardUnchecked(g, x, y, indices);
    }

    /** At least one output; indices may be null. */
    protected abstract void maxPool2dForwardUnchecked(Pool2dShape g, Buffer x, Buffer y, Buffer indices);

    @Override public final void maxPool2dBackward(Pool2dShape g, Buffer gy, Buffer indices, Buffer gx) {
        ready();
        String op = "maxPool2dBackward";
        long in = planes(op, g);
        DType dt = dtypeOf(op, "gy", gy);
        floating(op, "gy", dt);
        long on = product(op, g.outputShape());
        buffer(op, "gy", this, gy, on);
        buffer(op, "indices", this, indices, on, DType.I64);
        buffer(op, "gx", this, gx, in, dt);
        if (on == 0) return;
        long bad = firstBadIndex(indices, on, g.h() * g.w());
        if (bad >= 0) throw new IndexOutOfRangeException(op + ": index at position " + bad + " is outside the " + g.h() + "x" + g.w() + " plane");
        maxPool2dBackwardUnchecked(g, gy, indices, gx);
    }

    /** At least one output; every index inside its plane. */
    protected abstract void maxPool2dBackwardUnchecked(Pool2dShape g, Buffer gy, Buffer indices, Buffer gx);

    @Override public final void avgPool2dForward(Pool2dShape g, Buffer x, Buffer y) {
        ready();
        String op = "avgPool2d";
        long in = planes(op, g);
        DType dt = dtypeOf(op, "x", x);
        floating(op, "x", dt);
        buffer(op, "x", this, x, in);
        long on = product(op, g.outputShape());
        buffer(op, "y", this, y, on, dt);
        if (on == 0) return;
        avgPool2dForwardUnchecked(g, x, y);
    }

    protected abstract void avgPool2dForwardUnchecked(Pool2dShape g, Buffer x, Buffer y);

    @Override public final void avgPool2dBackward(Pool2dShape g, Buffer gy, Buffer gx) {
        ready();
        String op = "avgPool2dBackward";
        long in = planes(op, g);
        DType dt = dtypeOf(op, "gy", gy);
        floating(op, "gy", dt);
        long on = product(op, g.outputShape());
        buffer(op, "gy", this, gy, on);
        buffer(op, "gx", this, gx, in, dt);
        if (on == 0) return;
        avgPool2dBackwardUnchecked(g, gy, gx);
    }

    protected abstract void avgPool2dBackwardUnchecked(Pool2dShape g, Buffer gy, Buffer gx);

    private void adaptive(String op, Buffer src, Buffer dst, long nc, long h, long w, long oh, long ow, boolean backward) {
        ready();
        DType dt = dtypeOf(op, backward ? "gy" : "x", src);
        floating(op, "input", dt);
        if (h < 1 || w < 1 || oh < 1 || ow < 1) throw new ShapeException(op + ": sizes " + h + "x" + w + " -> " + oh + "x" + ow + " must be positive");
        long in = product(op, nc, h, w), out = product(op, nc, oh, ow);
        buffer(op, backward ? "gy" : "x", this, src, backward ? out : in);
        buffer(op, backward ? "gx" : "y", this, dst, backward ? in : out, dt);
    }

    @Override public final void adaptiveAvgPool2dForward(Buffer x, Buffer y, long nc, long h, long w, long oh, long ow) {
        adaptive("adaptiveAvgPool2d", x, y, nc, h, w, oh, ow, false);
        if (nc > 0) adaptiveAvgPool2dUnchecked(x, y, nc, h, w, oh, ow, false);
    }

    @Override public final void adaptiveAvgPool2dBackward(Buffer gy, Buffer gx, long nc, long h, long w, long oh, long ow) {
        adaptive("adaptiveAvgPool2dBackward", gy, gx, nc, h, w, oh, ow, true);
        if (nc > 0) adaptiveAvgPool2dUnchecked(gy, gx, nc, h, w, oh, ow, true);
    }

    /** nc > 0 and all sizes positive; forward maps src (x) to dst (y), backward src (gy) to dst (gx). */
    protected abstract void adaptiveAvgPool2dUnchecked(Buffer src, Buffer dst, long nc, long h, long w, long oh, long ow, boolean backward);

    // ---- fused optimizer updates ------------------------------------------------------------------

    /** Checks every tensor of a multi-tensor step; returns false when there are none. */
    private boolean optimizer(String op, Buffer[] params, Buffer[] grads, Buffer[] s1, Buffer[] s2, boolean s1Required,
                              boolean s2Required) {
        ready();
        if (params == null || grads == null) throw new EngineException(op + ": params or grads are null");
        if (params.length != grads.length || (s1 != null && s1.length != params.length) || (s2 != null && s2.length != params.length))
            throw new EngineException(op + ": " + params.length + " params but " + grads.length + " grads"
                    + (s1 == null ? "" : ", " + s1.length + " state buffers") + (s2 == null ? "" : ", " + s2.length + " second state buffers"));
        if ((s1Required && s1 == null) || (s2Required && s2 == null)) throw new EngineException(op + ": optimizer state buffers are missing");
        if (params.length == 0) return false;
        if (params[0] == null) throw new EngineException(op + ": param 0 is null");
        DType dt = params[0].dtype();
        floating(op, "params", dt);
        for (int i = 0; i < params.length; i++) {
            Buffer p = params[i];
            buffer(op, "param " + i, this, p, 0, dt);
            long n = p.length();
            buffer(op, "grad " + i, this, grads[i], n, dt);
            Buffer a = s1 == null ? null : s1[i], b = s2 == null ? null : s2[i];
            if (s1Required && a == null) throw new EngineException(op + ": state for param " + i + " is missing");
            if (s2Required && b == null) throw new EngineException(op + ": second state for param " + i + " is missing");
            optional(op, "state of param " + i, a, n, dt);
            optional(op, "second state of param " + i, b, n, dt);
        }
        return true;
    }

    private static <T> T hyperparams(String op, T hp) {
        if (hp == null) throw new EngineException(op + ": hyperparameters are null");
        return hp;
    }

    @Override public final void sgdStep(Buffer[] params, Buffer[] grads, Buffer[] momentum, OptimizerHyperparams.Sgd hp) {
        boolean any = optimizer("sgdStep", params, grads, momentum, null, hyperparams("sgdStep", hp).momentum() != 0, false);
        if (any) sgdStepUnchecked(params, grads, momentum, hp);
    }

    @Override public final void adamStep(Buffer[] params, Buffer[] grads, Buffer[] m, Buffer[] v, OptimizerHyperparams.Adam hp) {
        hyperparams("adamStep", hp);
        if (optimizer("adamStep", params, grads, m, v, true, true)) adamStepUnchecked(params, grads, m, v, hp);
    }

    @Override public final void rmspropStep(Buffer[] params, Buffer[] grads, Buffer[] squareAvg, Buffer[] momentum,
                                            OptimizerHyperparams.RmsProp hp) {
        boolean any = optimizer("rmspropStep", params, grads, squareAvg, momentum, true, hyperparams("rmspropStep", hp).momentum() != 0);
        if (any) rmspropStepUnchecked(params, grads, squareAvg, momentum, hp);
    }

    // at least one tensor; every tensor and its state the same length and floating dtype
    protected abstract void sgdStepUnchecked(Buffer[] params, Buffer[] grads, Buffer[] momentum, OptimizerHyperparams.Sgd hp);
    protected abstract void adamStepUnchecked(Buffer[] params, Buffer[] grads, Buffer[] m, Buffer[] v, OptimizerHyperparams.Adam hp);
    protected abstract void rmspropStepUnchecked(Buffer[] params, Buffer[] grads, Buffer[] squareAvg, Buffer[] momentum,
                                                 OptimizerHyperparams.RmsProp hp);
}
