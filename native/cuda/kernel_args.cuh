// i64, ptr<T> and the GEMM argument struct: plain C++ with no CUDA header, so that kernel sources built on
// them can also be compiled for the host by the kernel emulator (emu/cuda_emu.h) and tested without a GPU.
#pragma once
#include <cstdint>

namespace ecu {

typedef int64_t i64;

template <typename T> __host__ __device__ inline T* ptr(i64 address) { return reinterpret_cast<T*>(static_cast<uintptr_t>(address)); }

// C = act(alpha * op(A) op(B) + beta * C + bias[col] + residual), row-major, strided, batched (s* strides)
struct GemmArgs {
    int transA, transB;
    i64 m, n, k;
    double alpha, beta;
    i64 a, lda, sa, b, ldb, sb, c, ldc, sc;
    i64 bias, res, ldr, sr;   // 0 = none
    int act;
    double actParam;
    int fast;  // 0: F32 (or TF32 when enabled); 1 / 2: operands already rounded to BF16 / F16, which cuBLASLt may take exactly
    i64 partials;  // split-k: [splits][m][n] F32 partial products (our tiled kernels), 0 = none
    i64 bias_grad;  // cuBLASLt only: also write the row sums of op(A) (length m) here, 0 = none
};

}  // namespace ecu
