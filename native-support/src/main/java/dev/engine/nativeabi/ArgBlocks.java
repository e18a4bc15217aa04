package dev.engine.nativeabi;

import dev.engine.api.Buffer;
import dev.engine.api.BufferView;
import dev.engine.api.Conv2dShape;
import dev.engine.api.DType;
import dev.engine.api.ElementwiseProgram;
import dev.engine.api.Epilogue;
import dev.engine.api.Layout;
import dev.engine.api.OptimizerHyperparams;
import dev.engine.api.MatrixRef;
import dev.engine.api.Pool2dShape;
import dev.engine.api.ReduceOp;
import dev.engine.api.KernelChecks.ReductionSplit;

/**
 * Writes the int64 argument blocks the native kernels of both backends read, field by field in the
 * order of the structs in {@code native/common/abi.h} (where {@code static_assert}s pin their offsets).
 * Arguments are already checked by {@link dev.engine.api.CheckedBackend}; nothing here validates.
 *
 * <pre>{@code
 * CpuNative.engine_conv2d_forward(ArgBlocks.conv(dt, g).put(x.address()).put(w.address())...address());
 * }</pre>
 */
public final class ArgBlocks {
    private ArgBlocks() {}

    /** Address of element {@code index} of {@code b}. */
    public static long at(Buffer b, long index) { return b.address() + index * b.dtype().byteSize(); }

    /** Address of a view's first element (its layout offset applied). */
    public static long at(BufferView v) { return at(v.buffer(), v.layout().offset()); }

    /** A nullable buffer's address, 0 for none. */
    public static long addr(Buffer b) { return b == null ? 0L : b.address(); }

    /** CopyArgs: rank, shape, then (address, dtype, strides) of src and of dst. */
    public static NativeArgs copy(BufferView src, BufferView dst) {
        Layout s = src.layout(), d = dst.layout();
        NativeArgs a = NativeArgs.begin().put((long) s.rank()).put(s.shape());
        a.put(at(src)).put((long) DTypeCodes.of(src.dtype())).put(s.strides());
        a.put(at(dst)).put((long) DTypeCodes.of(dst.dtype())).put(d.strides());
        return a;
    }

    /** ElementwiseArgs: dtype, rank, shape, operands (inputs then out: address and strides), the program. */
    public static NativeArgs elementwise(ElementwiseProgram p, BufferView[] inputs, BufferView out) {
        long[] shape = out.layout().shape();
        NativeArgs a = NativeArgs.begin().put((long) DTypeCodes.of(out.dtype())).put((long) shape.length).put(shape)
                .put((long) inputs.length + 1);
        for (BufferView in : inputs) operand(a, in);
        operand(a, out);
        a.put((long) p.inputs()).put((long) p.registers()).put((long) p.result()).put((long) p.instructions());
        int ints = p.instructions() * ElementwiseProgram.INSTRUCTION_INTS;
        for (int i = 0; i < ints; i++) a.put((long) p.codeAt(i));
        for (int i = 0; i < p.instructions(); i++) a.put(p.immediateAt(i));
        return a;
    }

    private static void operand(NativeArgs a, BufferView v) {
        a.put(at(v));
        for (int d = 0; d < v.layout().rank(); d++) a.put(v.layout().stride(d));
    }

    /** GemmArgs (24 int64s, see abi.h). */
    public static NativeArgs gemm(boolean transA, boolean transB, long m, long n, long k, double alpha, MatrixRef a, MatrixRef b,
                                  double beta, MatrixRef c, long batch, Epilogue epi) {
        NativeArgs q = NativeArgs.begin().put((long) DTypeCodes.of(c.buffer().dtype())).put(transA).put(transB).put(m).put(n).put(k)
                .put(alpha).put(beta);
        matrix(q, a);
        matrix(q, b);
        matrix(q, c).put(batch);
        q.put(addr(epi.bias()));
        MatrixRef r = epi.residual();
        q.put(r == null ? 0L : at(r.buffer(), r.offset())).put(r == null ? 1L : r.ld()).put(r == null ? 0L : r.batchStride());
        return q.put((long) epi.activation().op().code()).put(epi.activationParam());
    }

    // a matrix operand: address of its first element, leading dimension, batch stride
    private static NativeArgs matrix(NativeArgs q, MatrixRef r) {
        return q.put(at(r.buffer(), r.offset())).put(r.ld()).put(r.batchStride());
    }

    /** ReduceArgs: dtype, op, kept rank, kept shape and strides, reduced rank, reduced shape and strides, x, out. */
    public static NativeArgs reduce(ReduceOp op, BufferView x, ReductionSplit s, Buffer out) {
        return NativeArgs.begin().put((long) DTypeCodes.of(x.dtype())).put((long) op.code()).put((long) s.keptShape().length)
                .put(s.keptShape()).put(s.keptStrides()).put((long) s.reducedShape().length).put(s.reducedShape()).put(s.reducedStrides())
                .put(at(x)).put(out.address());
    }

    /**
     * AttentionArgs (26 int64s): sizes from the [B, H, L, D] views, the scale's bits, the causal flag, the
     * key-padding address (0 for none), then each view's first element with its batch, head and row strides.
     */
    public static NativeArgs attention(BufferView q, BufferView k, BufferView v, Buffer keyPadding, boolean causal, double scale, BufferView out) {
        long[] qs = q.layout().shape(), ks = k.layout().shape(), vs = v.layout().shape();
        NativeArgs a = NativeArgs.begin().put((long) DTypeCodes.of(q.dtype())).put(qs[0]).put(qs[1]).put(qs[2]).put(ks[2]).put(qs[3]).put(vs[3])
                .put(scale).put(causal).put(addr(keyPadding));
        for (BufferView x : new BufferView[]{q, k, v, out}) {
            Layout l = x.layout();
            a.put(at(x)).put(l.stride(0)).put(l.stride(1)).put(l.stride(2));
        }
        return a;
    }

    /** BatchNormForwardArgs (15 int64s). */
    public static NativeArgs batchNormForward(Buffer x, Buffer gamma, Buffer beta, Buffer runningMean, Buffer runningVar, long n, long c,
                                              long hw, boolean training, double momentum, double eps, Buffer y, Buffer saveMean,
                                              Buffer saveRstd) {
        return NativeArgs.begin().put((long) DTypeCodes.of(x.dtype())).put(x.address()).put(addr(gamma)).put(addr(beta))
                .put(addr(runningMean)).put(addr(runningVar)).put(n).put(c).put(hw).put(training).put(momentum).put(eps)
                .put(y.address()).put(addr(saveMean)).put(addr(saveRstd));
    }

    /** BatchNormBackwardArgs (12 int64s). */
    public static NativeArgs batchNormBackward(Buffer x, Buffer gy, Buffer gamma, Buffer saveMean, Buffer saveRstd, long n, long c, long hw,
                                               Buffer gx, Buffer gGamma, Buffer gBeta) {
        return NativeArgs.begin().put((long) DTypeCodes.of(x.dtype())).put(x.address()).put(gy.address()).put(addr(gamma))
                .put(saveMean.address()).put(saveRstd.address()).put(n).put(c).put(hw).put(gx.address()).put(addr(gGamma)).put(addr(gBeta));
    }

    /** The ConvGeometry head of every conv block (15 int64s); the caller appends the buffers. */
    public static NativeArgs conv(DType dt, Conv2dShape g) {
        return NativeArgs.begin().put((long) DTypeCodes.of(dt)).put(g.n()).put(g.c()).put(g.h()).put(g.w()).put(g.k()).put(g.r()).put(g.s())
                .put((long) g.strideH()).put((long) g.strideW()).put((long) g.padH()).put((long) g.padW())
                .put((long) g.dilationH()).put((long) g.dilationW()).put((long) g.groups());
    }

    /** Pool kinds of the pool block (abi.h {@code ENGINE_POOL_*}). */
    public static final int POOL_MAX = 0, POOL_MAX_BACKWARD = 1, POOL_AVG = 2, POOL_AVG_BACKWARD = 3;

    /** The PoolGeometry head of the pool block (13 int64s); the caller appends three addresses. */
    public static NativeArgs pool(DType dt, int kind, Pool2dShape g) {
        return NativeArgs.begin().put((long) DTypeCodes.of(dt)).put((long) kind).put(g.n()).put(g.c()).put(g.h()).put(g.w())
                .put((long) g.kernelH()).put((long) g.kernelW()).put((long) g.strideH()).put((long) g.strideW())
                .put((long) g.padH()).put((long) g.padW()).put(g.countIncludePad());
    }

    /** Optimizer rules of the optimizer block (abi.h {@code ENGINE_OPTIM_*}). */
    public static final int OPTIM_SGD = 0, OPTIM_ADAM = 1, OPTIM_RMSPROP = 2;

    /** OptimizerArgs of an SGD step over tensors {@code [from, to)}. */
    public static NativeArgs sgd(Buffer[] params, Buffer[] grads, Buffer[] momentum, OptimizerHyperparams.Sgd hp, int from, int to) {
        return optimizer(OPTIM_SGD, params, grads, momentum, null, new double[]{hp.lr(), hp.momentum(), hp.dampening(), hp.weightDecay(), 0},
                new long[]{hp.nesterov() ? 1 : 0, 0}, from, to);
    }

    /** OptimizerArgs of an Adam/AdamW step over tensors {@code [from, to)}. */
    public static NativeArgs adam(Buffer[] params, Buffer[] grads, Buffer[] m, Buffer[] v, OptimizerHyperparams.Adam hp, int from, int to) {
        return optimizer(OPTIM_ADAM, params, grads, m, v, new double[]{hp.lr(), hp.beta1(), hp.beta2(), hp.eps(), hp.weightDecay()},
                new long[]{hp.decoupled() ? 1 : 0, hp.step()}, from, to);
    }

    /** OptimizerArgs of an RMSProp step over tensors {@code [from, to)}. */
    public static NativeArgs rmsprop(Buffer[] params, Buffer[] grads, Buffer[] squareAvg, Buffer[] momentum, OptimizerHyperparams.RmsProp hp,
                                     int from, int to) {
        return optimizer(OPTIM_RMSPROP, params, grads, squareAvg, momentum, new double[]{hp.lr(), hp.alpha(), hp.eps(), hp.weightDecay(), hp.momentum()},
                new long[]{0, 0}, from, to);
    }

    /**
     * OptimizerArgs for tensors {@code [from, to)}: dtype, rule, count, seven hyperparameter slots ({@code h}
     * as doubles, then {@code hi} as integers), then (param, grad, state1, state2, length) per tensor.
     */
    public static NativeArgs optimizer(int rule, Buffer[] params, Buffer[] grads, Buffer[] s1, Buffer[] s2, double[] h, long[] hi,
                                       int from, int to) {
        NativeArgs q = NativeArgs.begin().put((long) DTypeCodes.of(params[0].dtype())).put((long) rule).put((long) (to - from));
        for (int i = 0; i < 7; i++) {
            if (i < h.length) q.put(h[i]); else q.put(hi[i - h.length]);
        }
        for (int i = from; i < to; i++) {
            q.put(params[i].address()).put(grads[i].address()).put(addr(s1 == null ? null : s1[i])).put(addr(s2 == null ? null : s2[i]))
                    .put(params[i].length());
        }
        return q;
    }
}
