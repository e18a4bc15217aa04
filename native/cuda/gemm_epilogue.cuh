// The GEMM epilogue every kernel of ours applies while storing C (so C is written once):
// C[z][i][j] = act(alpha * acc + beta * C + bias[j] + residual[z][i][j]).
#pragma once
#include "common.cuh"
#include "ops.cuh"

namespace ecu {

template <typename T>
__device__ __forceinline__ void store_epilogue(const GemmArgs& g, i64 z, i64 i, i64 j, T acc) {
    T* c = ptr<T>(g.c) + z * g.sc + i * g.ldc + j;
    T v = (T)g.alpha * acc;
    if (g.beta != 0) v += (T)g.beta * *c;
    if (g.bias) v += ptr<T>(g.bias)[j];
    if (g.res) v += ptr<T>(g.res)[z * g.sr + i * g.ldr + j];
    if (g.act != OP_IDENTITY) v = apply_op<T>(g.act, v, v, v, (T)g.actParam);
    *c = v;
}

// The epilogue as the Store policy of the kernels in tiled_gemm.cuh and skinny_gemm.cuh
struct EpilogueStore {
    __device__ static void apply(const GemmArgs& g, i64 z, i64 i, i64 j, float acc) { store_epilogue<float>(g, z, i, j, acc); }
};

}  // namespace ecu
