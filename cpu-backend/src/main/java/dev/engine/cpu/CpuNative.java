package dev.engine.cpu;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.CriticalRegion;
import org.bytedeco.javacpp.annotation.NoException;
import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Properties;

/**
 * JNI bindings of {@code native/cpu/engine_cpu.h}, generated and compiled by JavaCPP at build time. Every
 * argument is a primitive or an address: multi-argument kernels read an int64 argument block (a struct of
 * native/common/abi.h) that {@link dev.engine.nativeabi.ArgBlocks} wrote, so a call allocates nothing. Kernels
 * return a status ({@link dev.engine.nativeabi.NativeStatus}). Inherits OpenBLAS's link settings so the native
 * code calls {@code cblas_sgemm} directly. Package-private: only {@link CpuBackend} calls it, after
 * checking every argument.
 */
@NoException
@Properties(inherit = org.bytedeco.openblas.presets.openblas.class,
        value = @Platform(include = "engine_cpu.h", compiler = "cpp17"))
final class CpuNative {
    private CpuNative() {}

    /** Loads the library (and OpenBLAS before it); throws if it cannot. */
    static void load() {
        Loader.load(org.bytedeco.openblas.global.openblas.class);
        Loader.load(CpuNative.class);
    }

    static native long engine_alloc(long bytes);
    /** {@code bytes} must be what {@link #engine_alloc} was asked for: large blocks are cached by size class. */
    static native void engine_free(long address, long bytes);
    static native void engine_empty_cache();
    /** Writes the block cache's 8 counters (see {@link CpuAllocatorStats}) at {@code outAddress}. */
    static native void engine_allocator_stats(long outAddress);
    static native void engine_memcpy(long dst, long src, long bytes);

    @CriticalRegion static native void copy_in_f32(float[] src, int off, long dst, int n);
    @CriticalRegion static native void copy_in_f64(double[] src, int off, long dst, int n);
    @CriticalRegion static native void copy_in_i32(int[] src, int off, long dst, int n);
    @CriticalRegion static native void copy_in_i64(long[] src, int off, long dst, int n);
    @CriticalRegion static native void copy_out_f32(long src, float[] dst, int off, int n);
    @CriticalRegion static native void copy_out_f64(long src, double[] dst, int off, int n);
    @CriticalRegion static native void copy_out_i32(long src, int[] dst, int off, int n);
    @CriticalRegion static native void copy_out_i64(long src, long[] dst, int off, int n);

    static native void engine_set_threads(int n);
    static native int engine_get_threads();
    static native String engine_describe();
    /** This thread's message of its last failed entry point (native/common/abi.h status convention). */
    static native String engine_last_error();
    /** Writes the ABI table into the int64 block at {@code out}; returns its length. */
    static native int engine_abi_table(long out);
    /** Throws inside a pool job and returns the status that becomes (a test of the status convention). */
    static native int engine_selftest_pool_exception();

    static native int engine_copy(long meta);
    static native int engine_elementwise(long meta);
    static native int engine_gemm(long meta);
    static native int engine_pack_b(long src, long ldb, long k, long n, long dst);
    static native int engine_packed_gemm(long meta);
    static native long engine_packed_size(long k, long n);
    static native String engine_packed_isa();
    static native double engine_fma_peak(int millis);
    static native long engine_pack_int8(long src, long ldb, long scales, long k, long n, long dst);
    static native long engine_int8_packed_bytes(long k, long n);
    static native int engine_int8_gemm(long meta);
    static native int engine_conv2d_int8(long meta);
    static native int engine_conv2d_int8_max_pool(long meta);
    static native String engine_int8_isa();
    static native String engine_int8_conv_kernels();
    static native double engine_int8_peak(int millis);
    static native int engine_pack_bf16(long src, long ldb, long k, long n, long dst);
    static native long engine_bf16_packed_words(long k, long n);
    static native int engine_bf16_gemm(long meta);
    static native int engine_gemm_bf16(long meta);
    static native String engine_bf16_isa();
    static native void engine_sgemm_direct(int m, int n, int k, long a, long b, long c);
    static native int engine_reduce(long meta);
    static native int engine_softmax(int dtype, long x, long y, long rows, long cols, int log);
    static native int engine_softmax_backward(int dtype, long y, long gy, long gx, long rows, long cols, int log);
    static native long engine_cross_entropy(int dtype, long x, long t, long w, long rows, long cols, double eps, long ignore,
                                            long loss, long rowWeight, long grad);
    static native int engine_attention(long meta);
    static native int engine_layer_norm_forward(int dtype, long x, long g, long b, long rows, long cols, double eps,
                                                 long y, long mean, long rstd);
    static native int engine_layer_norm_backward(int dtype, long x, long gy, long g, long mean, long rstd, long rows,
                                                  long cols, long gx, long gg, long gb);
    static native int engine_batch_norm_forward(long meta);
    static native int engine_batch_norm_backward(long meta);
    static native int engine_conv2d_forward(long meta);
    static native int engine_conv2d_relu_maxpool(long meta);
    static native int engine_conv2d_forward_packed(long meta);
    static native int engine_conv2d_backward_input(long meta);
    static native int engine_conv2d_backward_weight(long meta);
    static native int engine_pool2d(long meta);
    static native int engine_adaptive_avg_pool2d(int dtype, long src, long dst, long nc, long h, long w, long oh, long ow, int backward);
    static native long engine_check_indices(long indices, long count, long limit);
    static native int engine_gather_rows(int dtype, long src, long indices, long count, long rowLen, long dst);
    static native int engine_scatter_add_rows(int dtype, long src, long indices, long count, long rowLen, long dst);
    static native int engine_dropout_mask(int dtype, long seed, long offset, double p, long mask, long count);
    static native int engine_optimizer_step(long meta);
}
