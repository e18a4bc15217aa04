package dev.engine.cpu;

import static dev.engine.nativeabi.ArgBlocks.addr;
import static dev.engine.nativeabi.ArgBlocks.at;

import dev.engine.api.Activation;
import dev.engine.api.Buffer;
import dev.engine.api.Conv2dShape;
import dev.engine.api.DType;
import dev.engine.api.EngineException;
import dev.engine.api.Epilogue;
import dev.engine.api.InputQuantization;
import dev.engine.api.MatrixRef;
import dev.engine.api.PackedMatrix;
import dev.engine.nativeabi.NativeArgs;

/**
 * The CPU backend's {@code packMatrix} / {@code gemmPacked}, {@code packMatrixInt8} / {@code gemmInt8Packed} and
 * {@code packMatrixBf16} / {@code gemmBf16Packed}: marshalling for the packed-panel kernels of native/cpu/packed_gemm.h,
 * int8_gemm.h and bf16_gemm.h (arguments already checked). Package-private; {@link CpuBackend} delegates here.
 */
final class CpuPackedGemm {
    /** The layout {@link #pack} writes: column panels of 32, each k rows of 32 floats (zero-padded). */
    static final String PANEL_FORMAT = "cpu-panel32";

    /** The layout {@link #packInt8} writes: panels of 32 columns x 4 consecutive k bytes, column sums, scales. */
    static final String INT8_FORMAT = "cpu-int8-panel32x4";

    /** The layout {@link #packBf16} writes: panels of 32 columns x 2 consecutive k values in bf16 (one I32 per pair). */
    static final String BF16_FORMAT = "cpu-bf16-panel32x2";

    private CpuPackedGemm() {}

    /** I32 elements (bf16 pairs) of a packed BF16 k x n matrix. */
    static long bf16Length(long k, long n) { return CpuNative.engine_bf16_packed_words(k, n); }

    static PackedMatrix packBf16(CpuBackend be, Buffer b, long rows, long cols) {
        long words = bf16Length(rows, cols);
        Buffer packed = be.allocate(DType.I32, Math.max(1, words));
        try {
            if (words > 0) CpuBackend.ok("packMatrixBf16", CpuNative.engine_pack_bf16(b.address(), Math.max(1, cols), rows, cols, packed.address()));
        } catch (RuntimeException e) {
            packed.close();
            throw e;
        }
        return new PackedMatrix(packed, rows, cols, BF16_FORMAT);
    }

    /** PackedGemmArgs (13 int64s, see abi.h), B packed by {@link #packBf16}. */
    static void runBf16(long m, MatrixRef a, PackedMatrix b, MatrixRef c, Epilogue epi) {
        CpuBackend.ok("gemmBf16Packed", CpuNative.engine_bf16_gemm(productArgs(m, a, b, c, epi).address()));
    }

    /** I32 elements of a packed int8 k x n matrix (its bytes rounded up). */
    static long int8Length(long k, long n) { return (CpuNative.engine_int8_packed_bytes(k, n) + 3) / 4; }

    static PackedMatrix packInt8(CpuBackend be, Buffer weights, Buffer scales, long rows, long cols) {
        Buffer packed = be.allocate(DType.I32, Math.max(1, int8Length(rows, cols)));
        try {
            long bad = CpuNative.engine_pack_int8(weights.address(), Math.max(1, cols), scales.address(), rows, cols, packed.address());
            if (bad < -1) CpuBackend.ok("packMatrixInt8", (int) (-bad - 2));
            if (bad >= 0) throw CpuBackend.badInt8Weight(bad, rows, cols);
        } catch (RuntimeException e) {
            packed.close();
            throw e;
        }
        return new PackedMatrix(packed, rows, cols, INT8_FORMAT);
    }

    static void convInt8(Conv2dShape g, Buffer x, InputQuantization aq, PackedMatrix w, Buffer bias, Activation act, Buffer y) {
        CpuBackend.ok("conv2dForwardInt8Packed", CpuNative.engine_conv2d_int8(convInt8Args(g, x, aq, w, bias, act, y).address()));
    }

    /** {@link #convInt8} then a 2x2, stride-2 max pool, {@code y} holding the pooled output. */
    static void convInt8MaxPool(Conv2dShape g, Buffer x, InputQuantization aq, PackedMatrix w, Buffer bias, Activation act, Buffer y) {
        CpuBackend.ok("conv2dMaxPoolForwardInt8Packed", CpuNative.engine_conv2d_int8_max_pool(convInt8Args(g, x, aq, w, bias, act, y).address()));
    }

    /** Whether int8 convolutions run the plane kernel here (AVX-512 VNNI + VBMI, not narrowed by ENGINE_CPU_ISA). */
    private static final boolean PLANE_RUNS = CpuNative.engine_int8_conv_kernels().startsWith("plane");

    /**
     * Whether the plane kernel, and with it the fused int8 convolution + max pool, takes g: q_plane_shape in
     * native/cpu/int8_conv_plane.h, asked in Java so that the fused call's check crosses into native code once
     * (a shape the two disagreed on would still be right: the native call then runs the two steps).
     */
    static boolean convInt8MaxPoolFuses(Conv2dShape g) {
        long ph = g.h() + 2L * g.padH(), pw = g.w() + 2L * g.padW();
        return PLANE_RUNS && g.groups() == 1 && g.strideH() == 1 && g.strideW() == 1 && g.dilationH() == 1 && g.dilationW() == 1
                && g.s() >= 3 && g.s() <= 49 && g.k() <= 64 && g.c() * g.r() * g.s() <= 1 << 16 && ph * pw < 1 << 24;
    }

    /** ConvInt8Args (22 int64s, see abi.h). */
    private static NativeArgs convInt8Args(Conv2dShape g, Buffer x, InputQuantization aq, PackedMatrix w, Buffer bias, Activation act, Buffer y) {
        NativeArgs q = NativeArgs.begin().put(g.n()).put(g.c()).put(g.h()).put(g.w()).put(g.k()).put(g.r()).put(g.s())
                .put((long) g.strideH()).put((long) g.strideW()).put((long) g.padH()).put((long) g.padW())
                .put((long) g.dilationH()).put((long) g.dilationW()).put((long) g.groups());
        q.put(x.address()).put(w.buffer().address()).put(addr(bias)).put((long) act.op().code()).put(y.address());
        return q.put(aq.perCall() ? 1L : 0L).put((double) aq.scale()).put((long) aq.zeroPoint());
    }

    /** Int8GemmArgs (16 int64s, see abi.h). */
    static void runInt8(long m, MatrixRef a, InputQuantization aq, PackedMatrix b, MatrixRef c, Epilogue epi) {
        NativeArgs q = productArgs(m, a, b, c, epi);
        q.put(aq.perCall() ? 1L : 0L).put((double) aq.scale()).put((long) aq.zeroPoint());
        CpuBackend.ok("gemmInt8Packed", CpuNative.engine_int8_gemm(q.address()));
    }

    static PackedMatrix pack(CpuBackend be, Buffer b, long rows, long cols) {
        long size = CpuNative.engine_packed_size(rows, cols);
        Buffer packed = be.allocate(DType.F32, Math.max(1, size));
        if (size > 0) CpuBackend.ok("packMatrix", CpuNative.engine_pack_b(b.address(), Math.max(1, cols), rows, cols, packed.address()));
        return new PackedMatrix(packed, rows, cols, PANEL_FORMAT);
    }

    /** PackedGemmArgs (13 int64s, see abi.h). */
    static void run(long m, MatrixRef a, PackedMatrix b, MatrixRef c, Epilogue epi) {
        CpuBackend.ok("gemmPacked", CpuNative.engine_packed_gemm(productArgs(m, a, b, c, epi).address()));
    }

    /** The 13 leading int64s both PackedGemmArgs and Int8GemmArgs start with (abi.h). */
    private static NativeArgs productArgs(long m, MatrixRef a, PackedMatrix b, MatrixRef c, Epilogue epi) {
        MatrixRef r = epi.residual();
        NativeArgs q = NativeArgs.begin().put(m).put(b.cols()).put(b.rows());
        q.put(at(a.buffer(), a.offset())).put(a.ld()).put(b.buffer().address());
        q.put(at(c.buffer(), c.offset())).put(c.ld());
        q.put(addr(epi.bias()));
        q.put(r == null ? 0L : at(r.buffer(), r.offset())).put(r == null ? 1L : r.ld());
        q.put((long) epi.activation().op().code()).put(epi.activationParam());
        return q;
    }
}
