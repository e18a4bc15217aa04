package dev.engine.cpu;

import static dev.engine.api.KernelChecks.buffer;
import static dev.engine.api.KernelChecks.product;
import static dev.engine.cpu.CpuBackend.matrix;

import dev.engine.api.Buffer;
import dev.engine.api.DType;
import dev.engine.api.EngineException;
import dev.engine.api.Epilogue;
import dev.engine.api.MatrixRef;
import dev.engine.api.PackedMatrix;
import dev.engine.api.ShapeException;

/**
 * The CPU backend's {@code packMatrix} / {@code gemmPacked}: argument checks and marshalling for the
 * packed-panel kernel of native/cpu/packed_gemm.h. Package-private; {@link CpuBackend} delegates here.
 */
final class CpuPackedGemm {
    /** The layout {@link #pack} writes: column panels of 32, each k rows of 32 floats (zero-padded). */
    static final String PANEL_FORMAT = "cpu-panel32";

    private CpuPackedGemm() {}

    static PackedMatrix pack(CpuBackend be, Buffer b, long rows, long cols) {
        String op = "packMatrix";
        for (long v : new long[]{rows, cols})
            if (v < 0 || v > Integer.MAX_VALUE) throw new ShapeException(op + ": size " + v + " out of range in " + rows + " x " + cols);
        buffer(op, "B", be, b, product(op, rows, cols), DType.F32);
        long size = CpuNative.engine_packed_size(rows, cols);
        Buffer packed = be.allocate(DType.F32, Math.max(1, size));
        if (size > 0) CpuNative.engine_pack_b(b.address(), Math.max(1, cols), rows, cols, packed.address());
        return new PackedMatrix(packed, rows, cols, PANEL_FORMAT);
    }

    static void run(CpuBackend be, long m, MatrixRef a, PackedMatrix b, MatrixRef c, Epilogue epi) {
        String op = "gemmPacked";
        if (b == null) throw new EngineException(op + ": packed B is null");
        b.check(op, be, PANEL_FORMAT);
        long k = b.rows(), n = b.cols();
        if (m < 0 || m > Integer.MAX_VALUE) throw new ShapeException(op + ": m = " + m + " out of range");
        buffer(op, "packed B", be, b.buffer(), CpuNative.engine_packed_size(k, n), DType.F32);
        if (c == null) throw new EngineException(op + ": C is null");
        matrix(op, "A", be, a, m, k, 1, DType.F32);
        matrix(op, "C", be, c, m, n, 1, DType.F32);
        if (epi == null) epi = Epilogue.NONE;
        if (epi.bias() != null) buffer(op, "bias", be, epi.bias(), n, DType.F32);
        if (epi.residual() != null) matrix(op, "residual", be, epi.residual(), m, n, 1, DType.F32);
        if (m == 0 || n == 0) return;
        MatrixRef r = epi.residual();
        NativeArgs q = NativeArgs.begin().put(m).put(n).put(k);
        q.put(a.buffer().address() + a.offset() * 4).put(a.ld()).put(b.buffer().address());
        q.put(c.buffer().address() + c.offset() * 4).put(c.ld());
        q.put(epi.bias() == null ? 0L : epi.bias().address());
        q.put(r == null ? 0L : r.buffer().address() + r.offset() * 4).put(r == null ? 1L : r.ld());
        q.put((long) epi.activation().op().code()).put(epi.activationParam());
        CpuNative.engine_packed_gemm(q.address());
    }
}
