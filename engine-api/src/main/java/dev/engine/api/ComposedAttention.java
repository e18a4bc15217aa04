package dev.engine.api;

/**
 * Attention composed from a backend's GEMM, elementwise, softmax and copy kernels, one batch at a time
 * through contiguous scratch: the fallback {@link CheckedBackend#attentionByComposition} runs for a backend
 * without a fused kernel. Arguments are already checked.
 */
final class ComposedAttention {
    private ComposedAttention() {}

    static void run(Backend be, BufferView q, BufferView k, BufferView v, Buffer keyPadding, boolean causal, double scale, BufferView out) {
        long[] qs = q.layout().shape();
        long bn = qs[0], h = qs[1], lq = qs[2], dk = qs[3], lk = k.layout().shape(2), dv = v.layout().shape(3);
        DType dt = q.dtype();
        double[] pad = null;
        if (keyPadding != null) {
            pad = new double[Math.toIntExact(bn * lk)];
            if (dt == DType.F32) {
                float[] f = new float[pad.length];
                be.copyOut(keyPadding, 0, f, 0, f.length);
                for (int i = 0; i < f.length; i++) pad[i] = f[i];
            } else be.copyOut(keyPadding, 0, pad, 0, pad.length);
        }
        var add = ElementwiseProgram.single(ElementwiseOp.ADD, 0);
        var mul = ElementwiseProgram.single(ElementwiseOp.MUL, 0);
        try (Buffer qb = be.allocate(dt, h * lq * dk); Buffer kb = be.allocate(dt, h * lk * dk); Buffer vb = be.allocate(dt, h * lk * dv);
             Buffer sc = be.allocate(dt, h * lq * lk); Buffer ctx = be.allocate(dt, h * lq * dv); Buffer mask = be.allocate(dt, Math.max(1, lq * lk));
             Buffer rows = be.allocate(dt, Math.max(1, lq))) {
            long[] sh = {h, lq, lk};
            for (long b = 0; b < bn; b++) {
                be.copy(slice(q, b), BufferView.of(qb, h, lq, dk));
                be.copy(slice(k, b), BufferView.of(kb, h, lk, dk));
                be.copy(slice(v, b), BufferView.of(vb, h, lk, dv));
                be.gemm(false, true, lq, lk, dk, scale, new MatrixRef(qb, 0, dk, lq * dk), new MatrixRef(kb, 0, dk, lk * dk), 0,
                        new MatrixRef(sc, 0, lk, lq * lk), h, Epilogue.NONE);
                if (causal || pad != null) {
                    double[] m = new double[Math.toIntExact(lq * lk)], r = new double[Math.toIntExact(lq)];
                    for (int i = 0; i < lq; i++) {
                        boolean any = false;
                        for (int j = 0; j < lk; j++) {
                            boolean hidden = causal && j > i || pad != null && pad[(int) (b * lk + j)] != 0;
                            m[(int) (i * lk + j)] = hidden ? -1e30 : 0;
                            any |= !hidden;
                        }
                        r[i] = any ? 1 : 0;
                    }
                    write(be, m, mask);
                    write(be, r, rows);
                    BufferView scores = BufferView.of(sc, sh);
                    be.elementwise(add, new BufferView[]{scores, new BufferView(mask, new Layout(sh, new long[]{0, lk, 1}, 0))}, scores);
                    be.softmax(sc, sc, h * lq, lk, false);
                    be.elementwise(mul, new BufferView[]{scores, new BufferView(rows, new Layout(sh, new long[]{0, 1, 0}, 0))}, scores);
                } else {
                    be.softmax(sc, sc, h * lq, lk, false);
                }
                be.gemm(false, false, lq, dv, lk, 1, new MatrixRef(sc, 0, lk, lq * lk), new MatrixRef(vb, 0, dv, lk * dv), 0,
                        new MatrixRef(ctx, 0, dv, lq * dv), h, Epilogue.NONE);
                be.copy(BufferView.of(ctx, h, lq, dv), slice(out, b));
            }
        }
    }

    /** Batch {@code b} of a [B, H, L, D] view as an [H, L, D] view. */
    private static BufferView slice(BufferView x, long b) {
        Layout l = x.layout();
        return new BufferView(x.buffer(), new Layout(new long[]{l.shape(1), l.shape(2), l.shape(3)}, new long[]{l.stride(1), l.stride(2), l.stride(3)},
                l.offset() + b * l.stride(0)));
    }

    private static void write(Backend be, double[] values, Buffer dst) {
        if (dst.dtype() == DType.F64) { be.copyIn(values, 0, dst, 0, values.length); return; }
        float[] f = new float[values.length];
        for (int i = 0; i < f.length; i++) f[i] = (float) values[i];
        be.copyIn(f, 0, dst, 0, f.length);
    }
}
