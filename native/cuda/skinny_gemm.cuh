// Skinny F32 GEMM for m <= 16 rows (inference at small batch: every frozen linear layer at batch 1-16, and
// every classifier layer): C = act(alpha * A B + beta * C + bias + residual) with B row-major k x n, not
// transposed (the frozen weight layout). Memory-bound: the point is to stream B at full bandwidth, so
//   - each block owns 16 columns; 4 lanes read one row's 16 floats as float4 (64 contiguous bytes), so a
//     warp reads 8 rows at once and a block of 8 warps 64 rows, with 4 rows per thread in flight;
//   - k is split across the block's warps and, when the column tiles alone cannot fill the GPU, across
//     blocks too (grid.y): those write partial sums to a workspace and the last block of a column tile to
//     finish adds them in a fixed order (deterministic) and applies the epilogue, all in one launch.
// skinny_gemm.cu launches it; emu/gemm_emu_test.cpp runs it on the host.
#pragma once
#include "kernel_args.cuh"
#include "device_ops.cuh"
#include <algorithm>

namespace ecu {

const int SG_COLS = 16;                  // columns per block: 4 lanes x float4
const int SG_WARPS = 8;
const int SG_ROWS_PER_STEP = SG_WARPS * 8;  // k rows a block reads at once
const int SG_UNROLL = 4;                 // steps whose loads are issued before the FMAs

// MR: rows of A handled (>= m). grid = (column tiles, k splits). ws: [splits][m][n] partials, then one
// unsigned counter per column tile (zero before the launch, left zero after it).
template <class Store, int MR>
__global__ void __launch_bounds__(32 * SG_WARPS) skinny_f32(GemmArgs g, i64 k_per_split, float* ws, unsigned* counters) {
    __shared__ float part[SG_WARPS][MR][SG_COLS];
    __shared__ bool last;
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    const int quad = lane & 3, sub = lane >> 2;  // which float4 of the 16 columns; which of the warp's 8 rows
    const i64 col = (i64)blockIdx.x * SG_COLS + quad * 4;
    const bool live = col < g.n;                  // n % 4 == 0, so a float4 is all in or all out
    const int m = (int)g.m;
    const i64 k0 = (i64)blockIdx.y * k_per_split, k1 = min(g.k, k0 + k_per_split);
    const float* a = ptr<float>(g.a);
    const float* b = ptr<float>(g.b);

    float acc[MR][4];
#pragma unroll
    for (int r = 0; r < MR; r++) acc[r][0] = acc[r][1] = acc[r][2] = acc[r][3] = 0.f;

    if (live) {
        for (i64 kb = k0 + warp * 8 + sub; kb < k1; kb += (i64)SG_ROWS_PER_STEP * SG_UNROLL) {
            float4 bv[SG_UNROLL];
#pragma unroll
            for (int u = 0; u < SG_UNROLL; u++) {
                i64 kk = kb + (i64)u * SG_ROWS_PER_STEP;
                bv[u] = kk < k1 ? __ldg(reinterpret_cast<const float4*>(b + kk * g.ldb + col)) : make_float4(0.f, 0.f, 0.f, 0.f);
            }
#pragma unroll
            for (int u = 0; u < SG_UNROLL; u++) {
                i64 kk = kb + (i64)u * SG_ROWS_PER_STEP;
                if (kk >= k1) break;
#pragma unroll
                for (int r = 0; r < MR; r++) {
                    if (r >= m) break;
                    float av = __ldg(a + r * g.lda + kk);
                    acc[r][0] += av * bv[u].x;
                    acc[r][1] += av * bv[u].y;
                    acc[r][2] += av * bv[u].z;
                    acc[r][3] += av * bv[u].w;
                }
            }
        }
    }
    // add the warp's 8 rows (lanes that share a quad), then the warps' sums in shared memory
#pragma unroll
    for (int r = 0; r < MR; r++)
#pragma unroll
        for (int c = 0; c < 4; c++) {
            float v = acc[r][c];
            v += __shfl_xor_sync(0xffffffffu, v, 4);
            v += __shfl_xor_sync(0xffffffffu, v, 8);
            v += __shfl_xor_sync(0xffffffffu, v, 16);
            acc[r][c] = v;
        }
    if (sub == 0) {
#pragma unroll
        for (int r = 0; r < MR; r++)
#pragma unroll
            for (int c = 0; c < 4; c++) part[warp][r][quad * 4 + c] = acc[r][c];
    }
    __syncthreads();

    const i64 col0 = (i64)blockIdx.x * SG_COLS;
    // one split: the epilogue; several: publish this block's partials, and the last block of the column
    // tile to finish adds all splits in order
    for (int o = threadIdx.x; o < m * SG_COLS; o += blockDim.x) {
        int r = o / SG_COLS, c = o % SG_COLS;
        if (col0 + c >= g.n) continue;
        float s = 0.f;
#pragma unroll
        for (int w = 0; w < SG_WARPS; w++) s += part[w][r][c];
        if (gridDim.y == 1) Store::apply(g, 0, r, col0 + c, s);
        else ws[((i64)blockIdx.y * m + r) * g.n + col0 + c] = s;
    }
    if (gridDim.y == 1) return;
    __threadfence();
    __syncthreads();
    if (threadIdx.x == 0) last = atomicAdd(counters + blockIdx.x, 1u) == gridDim.y - 1;
    __syncthreads();
    if (!last) return;
    __threadfence();
    for (int o = threadIdx.x; o < m * SG_COLS; o += blockDim.x) {
        int r = o / SG_COLS, c = o % SG_COLS;
        if (col0 + c >= g.n) continue;
        float s = 0.f;
        for (unsigned y = 0; y < gridDim.y; y++) s += __ldcg(ws + ((i64)y * m + r) * g.n + col0 + c);
        Store::apply(g, 0, r, col0 + c, s);
    }
    if (threadIdx.x == 0) counters[blockIdx.x] = 0u;  // ready for the next launch (and the next graph replay)
}

// How a skinny product is cut: `tiles` column tiles of SG_COLS, k split `splits` ways of k_per_split rows
struct SkinnyPlan { i64 tiles, splits, k_per_split; };

inline SkinnyPlan skinny_plan(i64 n, i64 k, int sm_count) {
    i64 tiles = (n + SG_COLS - 1) / SG_COLS;
    // enough blocks for two per SM, but at least 2 block-steps of k per split
    i64 splits = std::max<i64>(1, std::min<i64>((2 * (i64)sm_count + tiles - 1) / tiles, k / (2 * SG_ROWS_PER_STEP)));
    splits = std::min<i64>(splits, 64);
    i64 k_per_split = (k + splits - 1) / splits;
    splits = (k + k_per_split - 1) / k_per_split;
    return {tiles, splits, k_per_split};
}

}  // namespace ecu
