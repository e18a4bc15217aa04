// Our tiled F32 GEMM kernels for m > 8 (gemm.cu launches them; emu/gemm_emu_test.cpp runs them on the host):
//   - gemm_simt_f32: BM x BN tiles (64 or 128 each) on 256 threads, each thread (BM/64) x (BN/64) blocks of
//     4x4 outputs read from shared memory as float4; the next k-slice is loaded into registers while the
//     current one is multiplied, two shared-memory buffers, one barrier per slice.
//   - gemm_tf32_mma: tiles of a MmaShape on warps of mma.m16n8k8 tiles, k-slices of 32 copied with cp.async
//     into three stages, two in flight while the third is multiplied.
// Both take every transpose. The SIMT kernel takes any ld and moves 16 bytes at a time when VEC (host-checked:
// 16-byte aligned bases, ld and batch strides a multiple of 4); the TF32 kernel needs that alignment. The
// epilogue is the Store policy's (Store::apply(g, z, i, j, acc) writes C[z][i][j]), called once per element.
#pragma once
#include "kernel_args.cuh"
#include "device_ops.cuh"
#include <algorithm>

namespace ecu {

// Elements (r, c .. c+3) of a row-major rows x cols matrix, zero outside it; one 16-byte load when VEC.
template <bool VEC>
__device__ __forceinline__ void load4(const float* m, i64 ld, i64 rows, i64 cols, i64 r, i64 c, float out[4]) {
    if (VEC && r < rows && c + 3 < cols) {
        float4 v = *reinterpret_cast<const float4*>(m + r * ld + c);
        out[0] = v.x; out[1] = v.y; out[2] = v.z; out[3] = v.w;
        return;
    }
#pragma unroll
    for (int e = 0; e < 4; e++) out[e] = (r < rows && c + e < cols) ? m[r * ld + c + e] : 0.f;
}

const int SIMT_THREADS = 256, SIMT_BK = 8;

// One k-slice of an operand for gemm_simt_f32, staged in registers: the op(X) tile of `span` rows (of C)
// by SIMT_BK, from X stored row-major, either span-major (not transposed: rows of C down, k across) or
// k-major (transposed). Each thread moves at most one float4.
template <int SPAN, bool VEC>
struct SimtSlice {
    static const int CHUNKS = SPAN * SIMT_BK / 4;  // float4 chunks per slice
    float v[4];
    bool mine;
    int s, kk;  // where the chunk starts in the slice: span index and k index
    __device__ __forceinline__ void load(const float* x, i64 ld, bool transposed, i64 span0, i64 spanTotal, i64 k0, i64 k) {
        int l = threadIdx.x;
        mine = l < CHUNKS;
        if (!mine) return;
        if (!transposed) {  // x[span][k]: 4 consecutive k of one span row
            s = l / (SIMT_BK / 4); kk = (l % (SIMT_BK / 4)) * 4;
            load4<VEC>(x, ld, spanTotal, k, span0 + s, k0 + kk, v);
        } else {            // x[k][span]: 4 consecutive span indices of one k row
            kk = l / (SPAN / 4); s = (l % (SPAN / 4)) * 4;
            load4<VEC>(x, ld, k, spanTotal, k0 + kk, span0 + s, v);
        }
    }
    // into smem[k][span] (row stride LD)
    template <int LD>
    __device__ __forceinline__ void store(float* smem, bool transposed) const {
        if (!mine) return;
        if (!transposed) {
#pragma unroll
            for (int e = 0; e < 4; e++) smem[(kk + e) * LD + s] = v[e];
        } else {
            *reinterpret_cast<float4*>(smem + kk * LD + s) = float4{v[0], v[1], v[2], v[3]};
        }
    }
};

// The k range a block multiplies: all of k, or with SPLIT (batch 1) the slice of split blockIdx.z, whose product
// goes to the partials (PartialStore) for splitk_reduce to add.
template <bool SPLIT>
struct KRange {
    i64 lo, hi, z;  // k range, batch entry of the operands
    __device__ KRange(const GemmArgs& g, i64 z0, i64 k_per_split) {
        lo = SPLIT ? (i64)blockIdx.z * k_per_split : 0;
        hi = SPLIT ? min(g.k, lo + k_per_split) : g.k;
        z = SPLIT ? 0 : z0 + blockIdx.z;
    }
    __device__ i64 out() const { return SPLIT ? (i64)blockIdx.z : z; }  // the Store's first index
};

template <class Store, int BM, int BN, bool VEC, bool SPLIT = false>
__global__ void __launch_bounds__(SIMT_THREADS) gemm_simt_f32(GemmArgs g, i64 z0, i64 k_per_split = 0) {
    // +4 keeps the transposing stores (threads 2 apart, 4 k rows apart) off each other's banks
    const int LDA = BM + 4, LDB = BN + 4, RM = BM / 64, RN = BN / 64;
    __shared__ __align__(16) float As[2][SIMT_BK * LDA];
    __shared__ __align__(16) float Bs[2][SIMT_BK * LDB];
    const KRange<SPLIT> kr(g, z0, k_per_split);
    const float* a = ptr<float>(g.a) + kr.z * g.sa;
    const float* b = ptr<float>(g.b) + kr.z * g.sb;
    const i64 row0 = (i64)blockIdx.y * BM, col0 = (i64)blockIdx.x * BN;
    const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
    // A is m x k (transA: stored k x m); B is k x n, i.e. op(B)^T is n x k (transB: stored n x k)
    SimtSlice<BM, VEC> sa;
    SimtSlice<BN, VEC> sb;
    const bool bKMajor = !g.transB;  // B stored k x n: k-major for the n span (A's transA case)

    float acc[RM * 4][RN * 4];
#pragma unroll
    for (int i = 0; i < RM * 4; i++)
#pragma unroll
        for (int j = 0; j < RN * 4; j++) acc[i][j] = 0.f;

    sa.load(a, g.lda, g.transA, row0, g.m, kr.lo, kr.hi);
    sb.load(b, g.ldb, bKMajor, col0, g.n, kr.lo, kr.hi);
    sa.template store<LDA>(As[0], g.transA);
    sb.template store<LDB>(Bs[0], bKMajor);
    __syncthreads();
    int buf = 0;
    for (i64 k0 = kr.lo; k0 < kr.hi; k0 += SIMT_BK) {
        const bool more = k0 + SIMT_BK < kr.hi;
        if (more) {
            sa.load(a, g.lda, g.transA, row0, g.m, k0 + SIMT_BK, kr.hi);
            sb.load(b, g.ldb, bKMajor, col0, g.n, k0 + SIMT_BK, kr.hi);
        }
        const float* as = As[buf];
        const float* bs = Bs[buf];
#pragma unroll
        for (int kk = 0; kk < SIMT_BK; kk++) {
            float ar[RM * 4], br[RN * 4];
#pragma unroll
            for (int h = 0; h < RM; h++) {
                float4 v = *reinterpret_cast<const float4*>(as + kk * LDA + h * 64 + ty * 4);
                ar[h * 4] = v.x; ar[h * 4 + 1] = v.y; ar[h * 4 + 2] = v.z; ar[h * 4 + 3] = v.w;
            }
#pragma unroll
            for (int h = 0; h < RN; h++) {
                float4 v = *reinterpret_cast<const float4*>(bs + kk * LDB + h * 64 + tx * 4);
                br[h * 4] = v.x; br[h * 4 + 1] = v.y; br[h * 4 + 2] = v.z; br[h * 4 + 3] = v.w;
            }
#pragma unroll
            for (int i = 0; i < RM * 4; i++)
#pragma unroll
                for (int j = 0; j < RN * 4; j++) acc[i][j] += ar[i] * br[j];
        }
        if (more) {
            sa.template store<LDA>(As[buf ^ 1], g.transA);
            sb.template store<LDB>(Bs[buf ^ 1], bKMajor);
        }
        __syncthreads();
        buf ^= 1;
    }
#pragma unroll
    for (int i = 0; i < RM * 4; i++) {
        const i64 r = row0 + (i / 4) * 64 + ty * 4 + i % 4;
        if (r >= g.m) continue;
#pragma unroll
        for (int j = 0; j < RN * 4; j++) {
            const i64 c = col0 + (j / 4) * 64 + tx * 4 + j % 4;
            if (c < g.n) Store::apply(g, kr.out(), r, c, acc[i][j]);
        }
    }
}

// A tensor-core kernel shape: BM x BN tiles on WARPS_M x WARPS_N warps (each a (BM/WARPS_M) x (BN/WARPS_N)
// grid of m16n8k8 tiles), k-slices of BK floats, STAGES shared-memory stages filled by cp.async.
template <int BM_, int BN_, int BK_, int WARPS_M_, int WARPS_N_, int STAGES_>
struct MmaShape {
    static const int BM = BM_, BN = BN_, BK = BK_, WARPS_M = WARPS_M_, WARPS_N = WARPS_N_, STAGES = STAGES_;
    static const int THREADS = 32 * WARPS_M * WARPS_N;
    static const int WM = BM / WARPS_M, WN = BN / WARPS_N, MT = WM / 16, NT = WN / 8;
};
// 64 x 64 per warp (the register-rich shape CUTLASS uses on sm_80) for big products; 64 x 64 tiles, four
// times as many blocks, when 128 x 128 ones cannot give every SM one.
using MmaLarge = MmaShape<128, 128, 32, 2, 2, 3>;
using MmaSmall = MmaShape<64, 64, 32, 2, 2, 3>;

// Copies the R x C tile at (r0, c0) of a row-major rows x cols matrix (16-byte aligned rows) into
// smem[R][LD] with 16-byte cp.async, zero outside the matrix.
template <int R, int C, int LD, int THREADS>
__device__ __forceinline__ void copy_tile_async(float* smem, const float* m, i64 ld, i64 rows, i64 cols, i64 r0, i64 c0) {
    static_assert(R * C / 4 % THREADS == 0, "every thread copies the same number of pieces");
#pragma unroll
    for (int it = 0; it < R * C / 4 / THREADS; it++) {
        const int l = threadIdx.x + it * THREADS, r = l / (C / 4), c = (l % (C / 4)) * 4;
        const i64 gr = r0 + r, gc = c0 + c;
        const i64 valid = gr < rows ? min((i64)4, max((i64)0, cols - gc)) : 0;
        cp_async<16>(smem + r * LD + c, valid > 0 ? m + gr * ld + gc : m, (int)(valid * 4));
    }
}

// Shared-memory layout of one stage: A as [m][k] (or [k][m] when transposed), B as [k][n] (or [n][k]); the
// pads put the 32 lanes' fragment reads in 32 different banks and keep rows 16-byte aligned.
template <class K, bool TA, bool TB>
struct MmaStage {
    static const int LDA = TA ? K::BM + 8 : K::BK + 4;
    static const int LDB = TB ? K::BK + 4 : K::BN + 8;
    static const int A_SIZE = TA ? K::BK * LDA : K::BM * LDA;
    static const int B_SIZE = TB ? K::BN * LDB : K::BK * LDB;
    static const int FLOATS = A_SIZE + B_SIZE;
    static const int BYTES = FLOATS * K::STAGES * 4;  // dynamic shared memory per block
    __device__ static float a(const float* s, int m, int k) { return TA ? s[k * LDA + m] : s[m * LDA + k]; }
    __device__ static float b(const float* s, int k, int n) { return TB ? s[n * LDB + k] : s[k * LDB + n]; }
};

// TF32 tensor-core GEMM (operands rounded to nearest TF32, F32 sums); A and B rows must be 16-byte aligned
// (the host's VEC check). Launch with K::THREADS threads and MmaStage<K, TA, TB>::BYTES of dynamic smem.
template <class Store, class K, bool TA, bool TB, bool SPLIT = false>
__global__ void __launch_bounds__(K::THREADS) gemm_tf32_mma(GemmArgs g, i64 z0, i64 k_per_split = 0) {
    using S = MmaStage<K, TA, TB>;
    float* smem = dynamic_shared_floats();
    const KRange<SPLIT> kr(g, z0, k_per_split);
    const float* a = ptr<float>(g.a) + kr.z * g.sa;
    const float* b = ptr<float>(g.b) + kr.z * g.sb;
    const i64 row0 = (i64)blockIdx.y * K::BM, col0 = (i64)blockIdx.x * K::BN;
    const int warp = threadIdx.x / 32, lane = threadIdx.x % 32, gq = lane / 4, tq = lane % 4;
    const int wm = (warp / K::WARPS_N) * K::WM, wn = (warp % K::WARPS_N) * K::WN;  // this warp's part of the tile

    const i64 slices = (kr.hi - kr.lo + K::BK - 1) / K::BK;
    // fills stage (slice % STAGES) with slice `slice` when there is one; always one commit, so that group
    // counts stay uniform
    auto issue = [&](i64 slice) {
        if (slice < slices) {
            float* as = smem + (int)(slice % K::STAGES) * S::FLOATS;
            float* bs = as + S::A_SIZE;
            const i64 k0 = kr.lo + slice * K::BK, kh = kr.hi;
            if (TA) copy_tile_async<K::BK, K::BM, S::LDA, K::THREADS>(as, a, g.lda, kh, g.m, k0, row0);
            else copy_tile_async<K::BM, K::BK, S::LDA, K::THREADS>(as, a, g.lda, g.m, kh, row0, k0);
            if (TB) copy_tile_async<K::BN, K::BK, S::LDB, K::THREADS>(bs, b, g.ldb, g.n, kh, col0, k0);
            else copy_tile_async<K::BK, K::BN, S::LDB, K::THREADS>(bs, b, g.ldb, kh, g.n, k0, col0);
        }
        cp_async_commit();
    };

    float acc[K::MT][K::NT][4];
#pragma unroll
    for (int i = 0; i < K::MT; i++)
#pragma unroll
        for (int j = 0; j < K::NT; j++)
#pragma unroll
            for (int v = 0; v < 4; v++) acc[i][j][v] = 0.f;

#pragma unroll
    for (int st = 0; st < K::STAGES - 1; st++) issue(st);
    for (i64 s = 0; s < slices; s++) {
        cp_async_wait<K::STAGES - 2>();  // slice s has landed (for this thread's copies) ...
        __syncthreads();                 // ... for everyone's, and everyone is done with slice s - 1
        issue(s + K::STAGES - 1);        // into the stage slice s - 1 used
        const float* as = smem + (int)(s % K::STAGES) * S::FLOATS;
        const float* bs = as + S::A_SIZE;
#pragma unroll
        for (int ks = 0; ks < K::BK; ks += 8) {
            uint32_t fa[K::MT][4], fb[K::NT][2];
#pragma unroll
            for (int i = 0; i < K::MT; i++) {
                const int r = wm + i * 16 + gq;
                fa[i][0] = to_tf32(S::a(as, r, ks + tq));
                fa[i][1] = to_tf32(S::a(as, r + 8, ks + tq));
                fa[i][2] = to_tf32(S::a(as, r, ks + tq + 4));
                fa[i][3] = to_tf32(S::a(as, r + 8, ks + tq + 4));
            }
#pragma unroll
            for (int j = 0; j < K::NT; j++) {
                const int c = wn + j * 8 + gq;
                fb[j][0] = to_tf32(S::b(bs, ks + tq, c));
                fb[j][1] = to_tf32(S::b(bs, ks + tq + 4, c));
            }
#pragma unroll
            for (int i = 0; i < K::MT; i++)
#pragma unroll
                for (int j = 0; j < K::NT; j++) mma_tf32_m16n8k8(acc[i][j], fa[i], fb[j]);
        }
    }
    cp_async_wait<0>();  // only empty groups are left; nothing may be in flight when the block exits
#pragma unroll
    for (int i = 0; i < K::MT; i++)
#pragma unroll
        for (int j = 0; j < K::NT; j++)
#pragma unroll
            for (int v = 0; v < 4; v++) {
                const i64 r = row0 + wm + i * 16 + gq + 8 * (v >> 1);
                const i64 c = col0 + wn + j * 8 + 2 * tq + (v & 1);
                if (r < g.m && c < g.n) Store::apply(g, kr.out(), r, c, acc[i][j][v]);
            }
}

// Split-k: a block's product of its k slice, stored raw in the partials ([split][m][n]) ...
struct PartialStore {
    __device__ static void apply(const GemmArgs& g, i64 split, i64 i, i64 j, float acc) {
        ptr<float>(g.partials)[(split * g.m + i) * g.n + j] = acc;
    }
};

// ... and their sum in split order (deterministic), through the Store's epilogue (grid-stride over m x n).
template <class Store>
__global__ void splitk_reduce(GemmArgs g, int splits) {
    const i64 mn = g.m * g.n;
    for (i64 t = (i64)blockIdx.x * blockDim.x + threadIdx.x; t < mn; t += (i64)gridDim.x * blockDim.x) {
        float s = 0.f;
        for (int sp = 0; sp < splits; sp++) s += ptr<float>(g.partials)[sp * mn + t];
        Store::apply(g, 0, t / g.n, t % g.n, s);
    }
}

// How to cut k for a product whose tiles (of BK-deep slices) cannot fill `sms` SMs: splits >= 2 when it pays
// (each split keeps at least four slices), k_per_split a whole number of slices; splits 1 otherwise.
struct SplitK { i64 splits, k_per_split; };

inline SplitK split_k(i64 tiles, i64 k, int bk, int sms) {
    if (tiles * 2 > sms) return {1, k};
    i64 splits = std::min<i64>(std::min<i64>((sms + tiles - 1) / tiles, k / (4 * (i64)bk)), 32);
    if (splits < 2) return {1, k};
    i64 per = ((k + splits - 1) / splits + bk - 1) / bk * bk;
    return {(k + per - 1) / per, per};
}

}  // namespace ecu
