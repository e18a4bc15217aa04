// Launches the skinny kernel of skinny_gemm.cuh: our GEMM's choice for F32 products of m <= 16 rows that
// it covers (gemm.cu). skinny_gemm_f32 returns -1 for what it does not cover, so the caller can fall back
// to the general kernels.
#include "common.cuh"
#include "context.cuh"
#include "gemm.cuh"
#include "gemm_epilogue.cuh"
#include "skinny_gemm.cuh"
#include "engine_cuda.h"
#include <algorithm>

namespace ecu {

namespace {

template <int MR>
int launch(const GemmArgs& g, dim3 grid, i64 k_per_split, float* ws, unsigned* counters) {
    skinny_f32<EpilogueStore, MR><<<grid, 32 * SG_WARPS, 0, stream()>>>(g, k_per_split, ws, counters);
    return launch_error();
}

}  // namespace

// -1: not covered (m > 16, transposes, misaligned B); otherwise a cudaError_t.
int skinny_gemm_f32(const GemmArgs& g) {
    if (g.m < 1 || g.m > 16 || g.n < 1 || g.k < 1 || g.transA || g.transB) return -1;
    if (g.n % 4 != 0 || g.ldb % 4 != 0 || (g.b & 15) != 0) return -1;
    SkinnyPlan p = skinny_plan(g.n, g.k, device_sm_count());
    if (p.tiles > 65535) return -1;
    const i64 tiles = p.tiles, splits = p.splits, k_per_split = p.k_per_split;
    float* ws = nullptr;
    unsigned* counters = nullptr;
    void* block = nullptr;
    if (splits > 1) {
        size_t partial = sizeof(float) * (size_t)(splits * g.m * g.n);
        block = cache_alloc(partial + sizeof(unsigned) * (size_t)tiles);
        if (!block) return (int)cudaErrorMemoryAllocation;
        ws = (float*)block;
        counters = (unsigned*)((char*)block + partial);
        ECU_CHECK(cudaMemsetAsync(counters, 0, sizeof(unsigned) * (size_t)tiles, stream()));
    }
    dim3 grid((unsigned)tiles, (unsigned)splits, 1);
    int e;
    if (g.m == 1) e = launch<1>(g, grid, k_per_split, ws, counters);
    else if (g.m <= 2) e = launch<2>(g, grid, k_per_split, ws, counters);
    else if (g.m <= 4) e = launch<4>(g, grid, k_per_split, ws, counters);
    else if (g.m <= 8) e = launch<8>(g, grid, k_per_split, ws, counters);
    else e = launch<16>(g, grid, k_per_split, ws, counters);
    cache_free(block);  // one stream: later work runs after this kernel, whoever gets the block next
    return e;
}

}  // namespace ecu

using namespace ecu;

extern "C" {

// The ecu_gemm meta layout; batch must be 1. Returns -2 when the skinny kernel does not cover the shape (-1 is
// ECU_MESSAGE).
int ecu_skinny_gemm(long long ctx, long long meta) {
    ECU_BIND_STATUS(ctx);
    const i64* q = ptr<i64>(meta);
    if (q[0] != F32 || q[17] != 1) return -2;
    GemmArgs g = read_gemm_args(q);
    int e = skinny_gemm_f32(g);
    return e == -1 ? -2 : e;
}

}  // extern "C"
