// Entry points of the CUDA backend's native library, bound by dev.engine.cuda.CudaNative through JavaCPP.
// Plain integers and addresses only; kernels that take many arguments read an int64 "meta" block (the
// same layouts as native/cpu). Defined in the .cu files, which nvcc compiles into a static library; this
// header is what JavaCPP's generated JNI code (compiled by the host C++ compiler) sees.
#pragma once
#include <cstring>

extern "C" {
// Every entry point that touches a device takes the context (ecu_context_create) as its first argument; one
// that is 0 or destroyed fails with ECU_MESSAGE (-1) and "no CUDA context bound" in ecu_error_message.
// Functions returning int return a cudaError_t (0 = fine) or ECU_MESSAGE.

// runtime.cu: contexts, errors, memory, transfers, graphs.
long long ecu_device_count();  // >= 0 devices, or -(cudaError_t)
const char* ecu_error_string(int code);
long long ecu_context_create(int device);  // a handle, or 0 with the reason in ecu_error_message
int ecu_context_destroy(long long ctx);    // waits for its stream, frees all it holds (live buffers, graphs too)
const char* ecu_describe(long long ctx);
int ecu_compute_capability(long long ctx);
int ecu_set_tf32(long long ctx, int on);  // 1 on, 0 off (not before sm_80), ECU_MESSAGE
long long ecu_alloc(long long ctx, long long bytes);  // 0 on failure (see ecu_last_alloc_error)
int ecu_last_alloc_error();  // this thread's: a cudaError_t, or ECU_MESSAGE
int ecu_free(long long ctx, long long address);
int ecu_empty_cache(long long ctx);
int ecu_allocator_stats(long long ctx, long long meta);  // writes 8 int64s
int ecu_h2d(long long ctx, const void* src, long long dst, long long bytes);
int ecu_d2h(long long ctx, long long src, void* dst, long long bytes);
int ecu_synchronize(long long ctx);
int ecu_peek_error();
int ecu_graph_begin(long long ctx);
long long ecu_graph_end(long long ctx);  // exec handle, or 0 (see ecu_last_graph_error)
int ecu_last_graph_error();
int ecu_graph_launch(long long ctx, long long handle);
int ecu_graph_destroy(long long ctx, long long handle);
int ecu_is_capturing(long long ctx);
const char* ecu_error_message();  // the reason behind a returned ECU_MESSAGE (-1), per thread

// cublaslt.cu: cuBLASLt opened at run time (candidates: newline-separated absolute paths), the GEMM mode
// (0 auto, 1 cublas, 2 own), fallbacks to our kernels, and the benchmark's direct cuBLASLt timing. The library
// and the mode are the process's; handles, workspaces and plans are each context's.
int ecu_cublaslt_load(const char* candidates, int allow_bare);  // 0 = loaded
const char* ecu_cublaslt_probe(const char* candidates, int allow_bare);  // "" = would load
const char* ecu_cublaslt_status();
int ecu_cublaslt_loaded();
int ecu_set_gemm_mode(int mode);
int ecu_gemm_mode();
long long ecu_gemm_fallbacks();
long long ecu_cublaslt_heuristic_queries();  // plans built (one heuristic query each) since load, all contexts
const char* ecu_gemm_last_fallback();
double ecu_cublaslt_bench(long long ctx, long long meta);

// kernels; each returns a cudaError_t (0 = queued fine) or ECU_MESSAGE unless said otherwise
int ecu_copy(long long ctx, long long meta);
int ecu_elementwise(long long ctx, long long meta);
int ecu_gemm(long long ctx, long long meta);
// The same product on F32 operands already rounded to BF16 (fast 1) or F16 (fast 2): cuBLASLt may use those units.
int ecu_gemm_rounded_operands(long long ctx, long long meta, int fast);
int ecu_gemm_bias_grad(long long ctx, long long meta, long long bias_grad);
long long ecu_gemm_bias_grads_fused();
int ecu_reduce(long long ctx, long long meta);
int ecu_softmax(long long ctx, int dtype, long long x, long long y, long long rows, long long cols, int log);
int ecu_softmax_backward(long long ctx, int dtype, long long y, long long gy, long long gx, long long rows, long long cols, int log);
// -1 ok, >= 0 first bad row, INT64_MIN: see ecu_error_message, other <= -2: -(2 + cudaError_t)
long long ecu_cross_entropy(long long ctx, int dtype, long long x, long long t, long long w, long long rows, long long cols,
                            double eps, long long ignore, long long loss, long long rowWeight, long long grad);
int ecu_layer_norm_forward(long long ctx, int dtype, long long x, long long g, long long b, long long rows, long long cols,
                           double eps, long long y, long long mean, long long rstd);
int ecu_layer_norm_backward(long long ctx, int dtype, long long x, long long gy, long long g, long long mean, long long rstd,
                            long long rows, long long cols, long long gx, long long gg, long long gb);
int ecu_batch_norm_forward(long long ctx, long long meta);
int ecu_batch_norm_backward(long long ctx, long long meta);
int ecu_conv2d_forward(long long ctx, long long meta);
int ecu_conv2d_backward_input(long long ctx, long long meta);
int ecu_conv2d_backward_weight(long long ctx, long long meta);
int ecu_pool2d(long long ctx, long long meta);
int ecu_adaptive_avg_pool2d(long long ctx, int dtype, long long src, long long dst, long long nc, long long h, long long w,
                            long long oh, long long ow, int backward);
// same convention as ecu_cross_entropy
long long ecu_check_indices(long long ctx, long long indices, long long count, long long limit);
int ecu_gather_rows(long long ctx, int dtype, long long src, long long indices, long long count, long long rowLen, long long dst,
                    long long srcRows);
int ecu_scatter_add_rows(long long ctx, int dtype, long long src, long long indices, long long count, long long rowLen, long long dst,
                         long long dstRows);
int ecu_dropout_mask(long long ctx, int dtype, long long seed, long long offset, double p, long long mask, long long count);
int ecu_optimizer_step(long long ctx, long long meta);
}

// Typed transfers for JavaCPP (@CriticalRegion hands over the Java array's elements directly).
inline int ecu_copy_in_f32(long long ctx, const float* s, int off, long long d, int n) { return ecu_h2d(ctx, s + off, d, 4LL * n); }
inline int ecu_copy_in_f64(long long ctx, const double* s, int off, long long d, int n) { return ecu_h2d(ctx, s + off, d, 8LL * n); }
inline int ecu_copy_in_i32(long long ctx, const int* s, int off, long long d, int n) { return ecu_h2d(ctx, s + off, d, 4LL * n); }
inline int ecu_copy_in_i64(long long ctx, const long long* s, int off, long long d, int n) { return ecu_h2d(ctx, s + off, d, 8LL * n); }
inline int ecu_copy_out_f32(long long ctx, long long s, float* d, int off, int n) { return ecu_d2h(ctx, s, d + off, 4LL * n); }
inline int ecu_copy_out_f64(long long ctx, long long s, double* d, int off, int n) { return ecu_d2h(ctx, s, d + off, 8LL * n); }
inline int ecu_copy_out_i32(long long ctx, long long s, int* d, int off, int n) { return ecu_d2h(ctx, s, d + off, 4LL * n); }
inline int ecu_copy_out_i64(long long ctx, long long s, long long* d, int off, int n) { return ecu_d2h(ctx, s, d + off, 8LL * n); }

// host_io.cu: a frozen call recorded as one CUDA graph over pinned staging (dev.engine.cuda.CudaRecordedCall).
extern "C" {
long long ecu_call_create(long long ctx, long long in_count, long long out_count);  // a handle, or 0 (see ecu_call_last_error)
int ecu_call_last_error();  // this thread's: a cudaError_t, or ECU_MESSAGE
int ecu_call_capture_begin(long long ctx, long long call, long long dev_in);  // this thread now captures; queues pinned -> dev_in
int ecu_call_capture_end(long long ctx, long long call, long long dev_out);   // queues dev_out -> pinned, ends, instantiates
int ecu_call_capture_abort(long long ctx);                                    // ends a capture whose work failed
int ecu_call_replay(long long ctx, long long call);  // one launch on the context's stream, waits for it
float* ecu_call_input(long long call);
float* ecu_call_output(long long call);
int ecu_call_destroy(long long ctx, long long call);
long long ecu_pinned_stat(int which);  // process-wide: 0 cudaHostAlloc calls, 1 cudaFreeHost calls, 2 bytes held, 3 peak bytes
}

#ifdef JNI_VERSION_1_1
// One JNI call per frozen forward. The Java arrays are copied with Get/SetFloatArrayRegion (checked, never
// pinned across the wait, so the GC is not held up); the counts were checked in Java.
inline int ecu_call_run(JNIEnv* env, jclass, long long ctx, long long call, jfloatArray in, int in_off, int in_count, jfloatArray out,
                        int out_off, int out_count) {
    env->GetFloatArrayRegion(in, in_off, in_count, ecu_call_input(call));
    int e = ecu_call_replay(ctx, call);
    if (e == 0) env->SetFloatArrayRegion(out, out_off, out_count, ecu_call_output(call));
    return e;
}
#endif

// attention.cu: fused attention, meta AttentionArgs (native/common/abi.h); -2 when the kernel does not take the
// shape (head dimensions over 128 in F32, 64 in F64; other dtypes), else a cudaError_t or ECU_MESSAGE.
extern "C" int ecu_attention(long long ctx, long long meta);

// skinny_gemm.cu: the F32 kernel for m <= 16 alone (ecu_gemm takes it where it covers the call). Same meta as ecu_gemm, batch 1;
// -2 when the shape is not covered, else a cudaError_t or ECU_MESSAGE.
extern "C" int ecu_skinny_gemm(long long ctx, long long meta);
