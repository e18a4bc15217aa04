// Our GEMM, callable from other kernels' host code (conv2d uses it): row-major, strided, batched, with
// the fused epilogue C = act(alpha*op(A)op(B) + beta*C + bias[col] + residual).
#pragma once
#include "common.cuh"

namespace ecu {

struct GemmArgs {
    int transA, transB;
    i64 m, n, k;
    double alpha, beta;
    i64 a, lda, sa, b, ldb, sb, c, ldc, sc;
    i64 bias, res, ldr, sr;   // 0 = none
    int act;
    double actParam;
};

// Queues the product on the backend's stream; F32 uses the TF32 tensor-core kernel when it is enabled.
int gemm_launch(int dtype, const GemmArgs& g, i64 batch);

}  // namespace ecu
