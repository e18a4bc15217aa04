package dev.engine.cuda;

import static dev.engine.api.KernelChecks.buffer;
import static dev.engine.api.KernelChecks.floating;

import dev.engine.api.Backend;
import dev.engine.api.Buffer;
import dev.engine.api.Conv2dShape;
import dev.engine.api.DType;
import dev.engine.api.EngineException;
import dev.engine.api.Pool2dShape;
import dev.engine.api.ShapeException;

/** Argument checks and meta-block marshalling shared by the CUDA kernels (the layouts native/cuda reads). */
final class CudaArgs {
    private CudaArgs() {}

    static void checkTransfer(Backend be, String op, int arrayLength, int arrayOffset, Buffer b, long bufOffset, int count, DType want) {
        buffer(op, "buffer", be, b, 0, want);
        if (count < 0 || arrayOffset < 0 || arrayOffset > arrayLength - count)
            throw new ShapeException(op + ": array range [" + arrayOffset + ", " + ((long) arrayOffset + count) + ") outside array of " + arrayLength);
        if (bufOffset < 0 || bufOffset > b.length() - count)
            throw new ShapeException(op + ": buffer range [" + bufOffset + ", " + (bufOffset + count) + ") outside buffer of " + b.length());
    }

    static NativeArgs convArgs(DType dt, Conv2dShape g) {
        return NativeArgs.begin().put((long) DTypeCodes.of(dt)).put(g.n()).put(g.c()).put(g.h()).put(g.w()).put(g.k()).put(g.r()).put(g.s())
                .put((long) g.strideH()).put((long) g.strideW()).put((long) g.padH()).put((long) g.padW())
                .put((long) g.dilationH()).put((long) g.dilationW()).put((long) g.groups());
    }

    static NativeArgs poolArgs(DType dt, int kind, Pool2dShape g) {
        return NativeArgs.begin().put((long) DTypeCodes.of(dt)).put((long) kind).put(g.n()).put(g.c()).put(g.h()).put(g.w())
                .put((long) g.kernelH()).put((long) g.kernelW()).put((long) g.strideH()).put((long) g.strideW())
                .put((long) g.padH()).put((long) g.padW()).put(g.countIncludePad());
    }

    static NativeArgs optimizerArgs(Backend be, String op, int rule, Buffer[] params, Buffer[] grads, Buffer[] s1, Buffer[] s2, boolean s1Required,
                                     boolean s2Required, double[] h, long[] hi) {
        if (params.length != grads.length || (s1 != null && s1.length != params.length) || (s2 != null && s2.length != params.length))
            throw new EngineException(op + ": " + params.length + " params but " + grads.length + " grads"
                    + (s1 == null ? "" : ", " + s1.length + " state buffers"));
        DType dt = params.length == 0 ? DType.F32 : params[0].dtype();
        floating(op, "params", dt);
        NativeArgs q = NativeArgs.begin().put((long) DTypeCodes.of(dt)).put((long) rule).put((long) params.length);
        for (int i = 0; i < 7; i++) {
            if (i < h.length) q.put(h[i]); else q.put(hi[i - h.length]);
        }
        for (int i = 0; i < params.length; i++) {
            Buffer p = params[i];
            buffer(op, "param " + i, be, p, 0, dt);
            long n = p.length();
            buffer(op, "grad " + i, be, grads[i], n, dt);
            Buffer a = s1 == null ? null : s1[i], b = s2 == null ? null : s2[i];
            if (s1Required && a == null) throw new EngineException(op + ": state for param " + i + " is missing");
            if (s2Required && b == null) throw new EngineException(op + ": second state for param " + i + " is missing");
            if (a != null) buffer(op, "state of param " + i, be, a, n, dt);
            if (b != null) buffer(op, "second state of param " + i, be, b, n, dt);
            q.put(p.address()).put(grads[i].address()).put(a == null ? 0L : a.address()).put(b == null ? 0L : b.address()).put(n);
        }
        return q;
    }

}
