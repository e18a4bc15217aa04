// Fused scaled dot-product attention, out = softmax(scale * q k^T + mask) v per (batch, head), without
// materialising the scores (attention.cu launches it; emu/attention_emu_test.cpp runs it on the host).
// A block of ATT_WARPS warps owns ATT_WARPS consecutive query rows of one (batch, head), a warp one row. Keys
// come in tiles of 32, staged with their values in shared memory for all the block's rows: lane j scores key
// j of the tile, the warp folds the tile into a running maximum and sum (online softmax), and every lane
// accumulates its DC * 32-strided output columns from the tile's values, each key's weight broadcast by a
// shuffle. Semantics are native/cpu/attention.h's: a query that sees no key gets zeros; a NaN score, or an
// infinite maximum, gives NaN.
#pragma once
#include "kernel_args.cuh"
#include "device_ops.cuh"
#include "../common/abi.h"
#include <cmath>

namespace ecu {

const int ATT_WARPS = 4, ATT_KEYS = 32;

// The largest head dimension (Dk and Dv) the kernel takes for T: its staged tiles fit 48 KB of shared memory.
template <typename T> __host__ __device__ constexpr int attention_max_dim() { return sizeof(T) == 4 ? 128 : 64; }

template <typename T, int DC>  // DC: output columns per lane / 32, ceil(dv / 32) <= attention_max_dim / 32
__global__ void __launch_bounds__(32 * ATT_WARPS) attention_fused(engine_abi::AttentionArgs a, T scale) {
    const int MAXD = attention_max_dim<T>();
    __shared__ T ks[ATT_KEYS][MAXD + 1];  // +1: lane j reads row j, 32 rows in 32 banks
    __shared__ T vs[ATT_KEYS][MAXD];
    __shared__ T qs[ATT_WARPS][MAXD];
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32;
    const i64 b = blockIdx.z, h = blockIdx.y, row0 = (i64)blockIdx.x * ATT_WARPS, i = row0 + warp;
    const bool live = i < a.lq;  // the same for the whole warp
    const T* q = ptr<T>(a.q) + b * a.q_sb + h * a.q_sh;
    const T* k = ptr<T>(a.k) + b * a.k_sb + h * a.k_sh;
    const T* v = ptr<T>(a.v) + b * a.v_sb + h * a.v_sh;
    const T* pad = a.key_padding ? ptr<T>(a.key_padding) + b * a.lk : nullptr;
    if (live)
        for (i64 d = lane; d < a.dk; d += 32) qs[warp][d] = q[i * a.q_sl + d];

    T o[DC];
#pragma unroll
    for (int c = 0; c < DC; c++) o[c] = T(0);
    T mx = -INFINITY, sum = T(0);
    bool any = false, nan = false;
    // past the block's last row every key is hidden when causal
    const i64 key_end = a.causal ? min(a.lk, row0 + ATT_WARPS) : a.lk;
    for (i64 j0 = 0; j0 < key_end; j0 += ATT_KEYS) {
        __syncthreads();  // the previous tile is consumed (and, the first time, qs is written)
        for (i64 l = threadIdx.x; l < ATT_KEYS * a.dk; l += 32 * ATT_WARPS) {
            const i64 jj = l / a.dk, d = l % a.dk;
            ks[jj][d] = j0 + jj < a.lk ? k[(j0 + jj) * a.k_sl + d] : T(0);
        }
        for (i64 l = threadIdx.x; l < ATT_KEYS * a.dv; l += 32 * ATT_WARPS) {
            const i64 jj = l / a.dv, d = l % a.dv;
            vs[jj][d] = j0 + jj < a.lk ? v[(j0 + jj) * a.v_sl + d] : T(0);
        }
        __syncthreads();
        if (!live) continue;
        const i64 j = j0 + lane;
        const bool visible = j < a.lk && !(a.causal && j > i) && !(pad && pad[j] != T(0));
        T s = T(0);
        if (visible) {
            for (i64 d = 0; d < a.dk; d++) s += qs[warp][d] * ks[lane][d];
            s *= scale;
        }
        const bool finite_or_inf = visible && s == s;
        any = __any_sync(0xffffffffu, visible) || any;
        nan = __any_sync(0xffffffffu, visible && s != s) || nan;
        T tile_max = finite_or_inf ? s : (T)-INFINITY;
#pragma unroll
        for (int off = 16; off > 0; off >>= 1) tile_max = max(tile_max, __shfl_xor_sync(0xffffffffu, tile_max, off));
        const T new_mx = max(mx, tile_max);
        // weights relative to the new maximum; a -inf score (or maximum) weighs 0 rather than exp(NaN)
        const T factor = mx == (T)-INFINITY ? T(0) : exp(mx - new_mx);
        const T p = finite_or_inf && s != (T)-INFINITY ? exp(s - new_mx) : T(0);
        T tile_sum = p;
#pragma unroll
        for (int off = 16; off > 0; off >>= 1) tile_sum += __shfl_xor_sync(0xffffffffu, tile_sum, off);
        sum = sum * factor + tile_sum;
#pragma unroll
        for (int c = 0; c < DC; c++) o[c] *= factor;
        const int keys = (int)min((i64)ATT_KEYS, a.lk - j0);
        for (int jj = 0; jj < keys; jj++) {
            const T pj = __shfl_sync(0xffffffffu, p, jj);
            if (pj == T(0)) continue;  // the same for the whole warp
#pragma unroll
            for (int c = 0; c < DC; c++) {
                const i64 d = lane + 32 * c;
                if (d < a.dv) o[c] += pj * vs[jj][d];
            }
        }
        mx = new_mx;
    }
    if (!live) return;
    T* out = ptr<T>(a.o) + b * a.o_sb + h * a.o_sh + i * a.o_sl;
    const bool bad = nan || isinf(mx);
#pragma unroll
    for (int c = 0; c < DC; c++) {
        const i64 d = lane + 32 * c;
        if (d < a.dv) out[d] = !any ? T(0) : bad ? (T)NAN : o[c] / sum;
    }
}

}  // namespace ecu
