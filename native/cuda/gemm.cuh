// Our GEMM, callable from other kernels' host code (conv2d uses it): row-major, strided, batched, with
// the fused epilogue C = act(alpha*op(A)op(B) + beta*C + bias[col] + residual).
#pragma once
#include "common.cuh"

namespace ecu {

// Decodes the ecu_gemm argument block (the layout native/cpu/gemm.h reads: [dtype, transA, transB, m, n, k,
// alpha, beta, a, lda, strideA, b, ldb, strideB, c, ldc, strideC, batch, bias, residual, ldr, strideR,
// act opcode, actParam bits]); dtype and batch (q[0], q[17]) stay with the caller.
inline GemmArgs read_gemm_args(const i64* q) {
    GemmArgs g;
    g.transA = (int)q[1]; g.transB = (int)q[2];
    g.m = q[3]; g.n = q[4]; g.k = q[5];
    g.alpha = bits_to_double(q[6]); g.beta = bits_to_double(q[7]);
    g.a = q[8]; g.lda = q[9]; g.sa = q[10]; g.b = q[11]; g.ldb = q[12]; g.sb = q[13];
    g.c = q[14]; g.ldc = q[15]; g.sc = q[16];
    g.bias = q[18]; g.res = q[19]; g.ldr = q[20]; g.sr = q[21];
    g.act = (int)q[22]; g.actParam = bits_to_double(q[23]);
    g.fast = 0;
    g.partials = 0;
    g.bias_grad = 0;
    return g;
}

// Queues the product on the backend's stream: through cuBLASLt when it is loaded and the mode allows it,
// else our kernels (F32 on the TF32 tensor-core kernel when TF32 is enabled). Returns a cudaError_t, or
// ECU_MESSAGE with the reason in the thread's error message (mode cublas when cuBLASLt cannot do it).
int gemm_launch(int dtype, const GemmArgs& g, i64 batch);

// Our skinny F32 kernel (skinny_gemm.cu) for m <= 16, B not transposed, batch 1: -1 when it does not cover
// the shape, else a cudaError_t.
int skinny_gemm_f32(const GemmArgs& g);

// C = act(C + bias[col] + residual) in place over the m x n (x batch) output: the part of the epilogue
// cuBLASLt did not fuse.
int gemm_tail(int dtype, const GemmArgs& g, i64 batch, bool bias, bool residual, int act);

}  // namespace ecu
