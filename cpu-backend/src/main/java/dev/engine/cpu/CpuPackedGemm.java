package dev.engine.cpu;

import static dev.engine.nativeabi.ArgBlocks.addr;
import static dev.engine.nativeabi.ArgBlocks.at;

import dev.engine.api.Buffer;
import dev.engine.api.DType;
import dev.engine.api.Epilogue;
import dev.engine.api.MatrixRef;
import dev.engine.api.PackedMatrix;
import dev.engine.nativeabi.NativeArgs;

/**
 * The CPU backend's {@code packMatrix} / {@code gemmPacked}: marshalling for the packed-panel kernel of
 * native/cpu/packed_gemm.h (arguments already checked). Package-private; {@link CpuBackend} delegates here.
 */
final class CpuPackedGemm {
    /** The layout {@link #pack} writes: column panels of 32, each k rows of 32 floats (zero-padded). */
    static final String PANEL_FORMAT = "cpu-panel32";

    private CpuPackedGemm() {}

    static PackedMatrix pack(CpuBackend be, Buffer b, long rows, long cols) {
        long size = CpuNative.engine_packed_size(rows, cols);
        Buffer packed = be.allocate(DType.F32, Math.max(1, size));
        if (size > 0) CpuBackend.ok("packMatrix", CpuNative.engine_pack_b(b.address(), Math.max(1, cols), rows, cols, packed.address()));
        return new PackedMatrix(packed, rows, cols, PANEL_FORMAT);
    }

    /** PackedGemmArgs (13 int64s, see abi.h). */
    static void run(long m, MatrixRef a, PackedMatrix b, MatrixRef c, Epilogue epi) {
        MatrixRef r = epi.residual();
        NativeArgs q = NativeArgs.begin().put(m).put(b.cols()).put(b.rows());
        q.put(at(a.buffer(), a.offset())).put(a.ld()).put(b.buffer().address());
        q.put(at(c.buffer(), c.offset())).put(c.ld());
        q.put(addr(epi.bias()));
        q.put(r == null ? 0L : at(r.buffer(), r.offset())).put(r == null ? 1L : r.ld());
        q.put((long) epi.activation().op().code()).put(epi.activationParam());
        CpuBackend.ok("gemmPacked", CpuNative.engine_packed_gemm(q.address()));
    }
}
