package dev.engine.cuda;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.annotation.CriticalRegion;
import org.bytedeco.javacpp.annotation.NoException;
import org.bytedeco.javacpp.annotation.Platform;
import org.bytedeco.javacpp.annotation.Raw;

/**
 * JNI bindings of {@code native/cuda/engine_cuda.h}, generated and compiled by JavaCPP at build time and
 * linked with our nvcc-built kernels and the static CUDA runtime (so the library loads where there is no
 * driver). Primitives and addresses only: multi-argument kernels read an int64 argument block (the
 * layouts of native/common/abi.h) that {@link dev.engine.nativeabi.ArgBlocks} wrote. Most functions return a {@code cudaError_t} (0 = fine)
 * or {@link CudaRuntime#MESSAGE}. Every call that touches the device takes the {@link CudaContext} handle first.
 * Package-private: only {@link CudaBackend} and its helpers call it, after checking every argument.
 *
 * <p>JavaCPP emits the {@code link} list in reverse, so it is written here last-needed first: the linker
 * must see our kernels before {@code cudart_static}, and that before dl/pthread/rt.
 */
@NoException
@Platform(include = {"engine_cuda.h", "../common/abi_entry.h"}, compiler = "cpp17", link = {"rt", "pthread", "dl", "cudart_static", "engine_cuda_kernels"})
final class CudaNative {
    private CudaNative() {}

    /** Loads the library; throws if it cannot. */
    static void load() { Loader.load(CudaNative.class); }

    /** Writes the ABI table of native/common/abi.h into the int64 block at {@code out}; returns its length. */
    static native int engine_abi_table(long out);
    static native long ecu_device_count();
    static native String ecu_error_string(int code);
    static native long ecu_context_create(int device);
    static native int ecu_context_destroy(long ctx);
    static native String ecu_describe(long ctx);
    static native int ecu_compute_capability(long ctx);
    static native int ecu_set_tf32(long ctx, int on);
    static native long ecu_alloc(long ctx, long bytes);
    static native int ecu_last_alloc_error();
    static native int ecu_free(long ctx, long address);
    static native int ecu_empty_cache(long ctx);
    static native int ecu_allocator_stats(long ctx, long meta);
    static native int ecu_synchronize(long ctx);
    static native int ecu_peek_error();
    static native int ecu_graph_begin(long ctx);
    static native long ecu_graph_end(long ctx);
    static native int ecu_last_graph_error();
    static native int ecu_graph_launch(long ctx, long handle);
    static native int ecu_graph_destroy(long ctx, long handle);
    static native int ecu_is_capturing(long ctx);
    static native String ecu_error_message();

    static native int ecu_cublaslt_load(String candidates, int allowBare);
    static native String ecu_cublaslt_probe(String candidates, int allowBare);
    static native String ecu_cublaslt_status();
    static native int ecu_cublaslt_loaded();
    static native int ecu_set_gemm_mode(int mode);
    static native int ecu_gemm_mode();
    static native long ecu_gemm_fallbacks();
    static native long ecu_cublaslt_heuristic_queries();
    static native String ecu_gemm_last_fallback();
    static native double ecu_cublaslt_bench(long ctx, long meta);

    @CriticalRegion static native int ecu_copy_in_f32(long ctx, float[] src, int off, long dst, int n);
    @CriticalRegion static native int ecu_copy_in_f64(long ctx, double[] src, int off, long dst, int n);
    @CriticalRegion static native int ecu_copy_in_i32(long ctx, int[] src, int off, long dst, int n);
    @CriticalRegion static native int ecu_copy_in_i64(long ctx, long[] src, int off, long dst, int n);
    @CriticalRegion static native int ecu_copy_out_f32(long ctx, long src, float[] dst, int off, int n);
    @CriticalRegion static native int ecu_copy_out_f64(long ctx, long src, double[] dst, int off, int n);
    @CriticalRegion static native int ecu_copy_out_i32(long ctx, long src, int[] dst, int off, int n);
    @CriticalRegion static native int ecu_copy_out_i64(long ctx, long src, long[] dst, int off, int n);

    static native int ecu_copy(long ctx, long meta);
    static native int ecu_elementwise(long ctx, long meta);
    static native int ecu_gemm(long ctx, long meta);
    static native int ecu_gemm_rounded_operands(long ctx, long meta, int fast);
    static native int ecu_gemm_bias_grad(long ctx, long meta, long biasGrad);
    static native long ecu_gemm_bias_grads_fused();
    static native int ecu_reduce(long ctx, long meta);
    static native int ecu_softmax(long ctx, int dtype, long x, long y, long rows, long cols, int log);
    static native int ecu_softmax_backward(long ctx, int dtype, long y, long gy, long gx, long rows, long cols, int log);
    static native long ecu_cross_entropy(long ctx, int dtype, long x, long t, long w, long rows, long cols, double eps, long ignore,
                                         long loss, long rowWeight, long grad);
    static native int ecu_layer_norm_forward(long ctx, int dtype, long x, long g, long b, long rows, long cols, double eps,
                                             long y, long mean, long rstd);
    static native int ecu_layer_norm_backward(long ctx, int dtype, long x, long gy, long g, long mean, long rstd, long rows,
                                              long cols, long gx, long gg, long gb);
    static native int ecu_batch_norm_forward(long ctx, long meta);
    static native int ecu_batch_norm_backward(long ctx, long meta);
    static native int ecu_conv2d_forward(long ctx, long meta);
    static native int ecu_conv2d_backward_input(long ctx, long meta);
    static native int ecu_conv2d_backward_weight(long ctx, long meta);
    static native int ecu_pool2d(long ctx, long meta);
    static native int ecu_adaptive_avg_pool2d(long ctx, int dtype, long src, long dst, long nc, long h, long w, long oh, long ow, int backward);
    static native long ecu_check_indices(long ctx, long indices, long count, long limit);
    static native int ecu_gather_rows(long ctx, int dtype, long src, long indices, long count, long rowLen, long dst, long srcRows);
    static native int ecu_scatter_add_rows(long ctx, int dtype, long src, long indices, long count, long rowLen, long dst, long dstRows);
    static native int ecu_dropout_mask(long ctx, int dtype, long seed, long offset, double p, long mask, long count);
    static native int ecu_optimizer_step(long ctx, long meta);

    // host_io.cu: recorded frozen calls (CudaRecordedCall) and pinned-memory counters
    static native long ecu_call_create(long ctx, long inCount, long outCount);
    static native int ecu_call_last_error();
    static native int ecu_call_capture_begin(long ctx, long call, long devIn);
    static native int ecu_call_capture_end(long ctx, long call, long devOut);
    static native int ecu_call_capture_abort(long ctx);
    static native int ecu_call_run(long ctx, long call, @Raw(withEnv = true) float[] in, int inOffset, int inCount, @Raw float[] out,
                                   int outOffset, int outCount);
    static native int ecu_call_destroy(long ctx, long call);
    static native long ecu_pinned_stat(int which);

    // attention.cu: fused attention (meta: AttentionArgs); -2 when the kernel does not take the shape
    static native int ecu_attention(long ctx, long meta);
    // skinny_gemm.cu: the m <= 16 F32 kernel alone (ecu_gemm takes it where it covers the call), for its parity test
    static native int ecu_skinny_gemm(long ctx, long meta);
}
