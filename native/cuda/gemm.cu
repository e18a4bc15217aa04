// Our GEMM kernels and the dispatch between them and cuBLASLt: skinny kernels for m <= 16 (skinny_gemm.cu
// streams row-major weights; the general one here takes transposes and F64 for m <= 8), the tiled F32
// kernels of tiled_gemm.cuh (SIMT, and TF32 tensor cores when enabled), and a register-tiled SIMT kernel
// for F64. All apply the epilogue while storing, so C is written once.
#include "gemm.cuh"
#include "gemm_epilogue.cuh"
#include "tiled_gemm.cuh"
#include "cublaslt.cuh"
#include "ops.cuh"
#include "context.cuh"
#include "engine_cuda.h"

namespace ecu {

// op(A)[i][kk] and op(B)[kk][j] with zero outside the matrix
template <typename T>
__device__ __forceinline__ T load_a(const GemmArgs& g, const T* a, i64 i, i64 kk) {
    if (i >= g.m || kk >= g.k) return T(0);
    return g.transA ? a[kk * g.lda + i] : a[i * g.lda + kk];
}
template <typename T>
__device__ __forceinline__ T load_b(const GemmArgs& g, const T* b, i64 kk, i64 j) {
    if (kk >= g.k || j >= g.n) return T(0);
    return g.transB ? b[j * g.ldb + kk] : b[kk * g.ldb + j];
}

// F64: each thread owns a TM x TN block of C; tiles of A and B staged through shared memory
template <typename T, int BM, int BN, int BK, int TM, int TN>
__global__ void __launch_bounds__((BM / TM) * (BN / TN))
gemm_simt(GemmArgs g, i64 z0) {
    const int NT = (BM / TM) * (BN / TN);
    __shared__ T As[BK][BM];
    __shared__ T Bs[BK][BN];
    i64 z = z0 + blockIdx.z;
    const T* a = ptr<T>(g.a) + z * g.sa;
    const T* b = ptr<T>(g.b) + z * g.sb;
    i64 row0 = (i64)blockIdx.y * BM, col0 = (i64)blockIdx.x * BN;
    int tid = threadIdx.x, tx = tid % (BN / TN), ty = tid / (BN / TN);
    T acc[TM][TN];
#pragma unroll
    for (int i = 0; i < TM; i++)
#pragma unroll
        for (int j = 0; j < TN; j++) acc[i][j] = T(0);
    for (i64 k0 = 0; k0 < g.k; k0 += BK) {
        // walk along the matrix's contiguous direction so neighbouring threads read neighbouring elements
        for (int l = tid; l < BM * BK; l += NT) {
            int i, kk;
            if (g.transA) { kk = l / BM; i = l % BM; } else { i = l / BK; kk = l % BK; }
            As[kk][i] = load_a(g, a, row0 + i, k0 + kk);
        }
        for (int l = tid; l < BK * BN; l += NT) {
            int j, kk;
            if (g.transB) { j = l / BK; kk = l % BK; } else { kk = l / BN; j = l % BN; }
            Bs[kk][j] = load_b(g, b, k0 + kk, col0 + j);
        }
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < BK; kk++) {
            T ar[TM], br[TN];
#pragma unroll
            for (int i = 0; i < TM; i++) ar[i] = As[kk][ty * TM + i];
#pragma unroll
            for (int j = 0; j < TN; j++) br[j] = Bs[kk][tx * TN + j];
#pragma unroll
            for (int i = 0; i < TM; i++)
#pragma unroll
                for (int j = 0; j < TN; j++) acc[i][j] += ar[i] * br[j];
        }
        __syncthreads();
    }
#pragma unroll
    for (int i = 0; i < TM; i++) {
        i64 r = row0 + ty * TM + i;
        if (r >= g.m) continue;
#pragma unroll
        for (int j = 0; j < TN; j++) {
            i64 c = col0 + tx * TN + j;
            if (c < g.n) store_epilogue<T>(g, z, r, c, acc[i][j]);
        }
    }
}

// Skinny products (m <= 8, e.g. inference at batch 1): tiles would be mostly padding, so each lane owns one
// column of C for all m rows, the 8 warps split k, and shared memory adds their partial sums. Reads of B
// (row-major, not transposed) are coalesced across the lanes; A is broadcast.
const int SK_ROWS = 8, SK_WARPS = 8;

template <typename T>
__global__ void __launch_bounds__(32 * SK_WARPS) gemm_skinny(GemmArgs g, i64 z0) {
    __shared__ T part[SK_WARPS][SK_ROWS][32];
    i64 z = z0 + blockIdx.z;
    const T* a = ptr<T>(g.a) + z * g.sa;
    const T* b = ptr<T>(g.b) + z * g.sb;
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    i64 j = (i64)blockIdx.x * 32 + lane;
    int m = (int)g.m;
    T acc[SK_ROWS];
#pragma unroll
    for (int r = 0; r < SK_ROWS; r++) acc[r] = T(0);
    if (j < g.n) {
#pragma unroll 4
        for (i64 kk = warp; kk < g.k; kk += SK_WARPS) {
            T bv = g.transB ? b[j * g.ldb + kk] : b[kk * g.ldb + j];
#pragma unroll
            for (int r = 0; r < SK_ROWS; r++)
                if (r < m) acc[r] += (g.transA ? a[kk * g.lda + r] : a[r * g.lda + kk]) * bv;
        }
    }
#pragma unroll
    for (int r = 0; r < SK_ROWS; r++) part[warp][r][lane] = acc[r];
    __syncthreads();
    if (warp == 0 && j < g.n) {
        for (int r = 0; r < m; r++) {
            T sum = T(0);
#pragma unroll
            for (int w = 0; w < SK_WARPS; w++) sum += part[w][r][lane];
            store_epilogue<T>(g, z, r, j, sum);
        }
    }
}

template <typename T, int BM, int BN, int BK, int TM, int TN>
static void launch_simt(const GemmArgs& g, i64 z0, unsigned nz) {
    dim3 grid((unsigned)((g.n + BN - 1) / BN), (unsigned)((g.m + BM - 1) / BM), nz);
    gemm_simt<T, BM, BN, BK, TM, TN><<<grid, (BM / TM) * (BN / TN), 0, stream()>>>(g, z0);
}

static bool aligned16(i64 address) { return (address & 15) == 0; }

// 16-byte moves are safe when every row (and every batch entry) of A and B starts 16-byte aligned
static bool vector_loads(const GemmArgs& g, i64 batch) {
    return aligned16(g.a) && aligned16(g.b) && g.lda % 4 == 0 && g.ldb % 4 == 0 &&
           (batch == 1 || (g.sa % 4 == 0 && g.sb % 4 == 0));
}

// Split k (batch 1, small tiles too few to fill the SMs): how, or splits 1 for one pass over k
static SplitK split_plan(const GemmArgs& g, i64 batch, dim3 grid, int bk) {
    if (batch != 1) return {1, g.k};
    return split_k((i64)grid.x * grid.y, g.k, bk, device_sm_count());
}

// Runs launch(s, k_per_split, splits) with s's partials in a workspace, then adds them through the epilogue.
template <class Launch>
static int run_split(const GemmArgs& g, const SplitK& sk, Launch launch) {
    void* ws = cache_alloc(sizeof(float) * (size_t)(sk.splits * g.m * g.n));
    if (!ws) return (int)cudaErrorMemoryAllocation;
    GemmArgs s = g;
    s.partials = (i64)(uintptr_t)ws;
    launch(s, sk.k_per_split, (unsigned)sk.splits);
    splitk_reduce<EpilogueStore><<<blocks_for(g.m * g.n, 256), 256, 0, stream()>>>(s, (int)sk.splits);
    cache_free(ws);  // one stream: whatever gets the block next runs after these kernels
    return 0;
}

// above 48 KB a block must ask for its shared memory (per device, so on every launch)
template <class Kernel>
static bool allow_shared(Kernel kernel, int bytes) {
    return bytes <= 48 * 1024 || cudaFuncSetAttribute(kernel, cudaFuncAttributeMaxDynamicSharedMemorySize, bytes) == cudaSuccess;
}

template <class K, bool TA, bool TB>
static int launch_tf32(const GemmArgs& g, i64 batch, i64 z0, unsigned nz) {
    dim3 grid((unsigned)((g.n + K::BN - 1) / K::BN), (unsigned)((g.m + K::BM - 1) / K::BM), nz);
    const int bytes = MmaStage<K, TA, TB>::BYTES;
    if constexpr (K::BM == MmaSmall::BM) {  // only the small tiles are ever too few
        SplitK sk = split_plan(g, batch, grid, K::BK);
        if (sk.splits > 1) {
            auto kernel = gemm_tf32_mma<PartialStore, K, TA, TB, true>;
            if (!allow_shared(kernel, bytes)) return launch_error();
            return run_split(g, sk, [&](const GemmArgs& s, i64 kps, unsigned splits) {
                kernel<<<dim3(grid.x, grid.y, splits), K::THREADS, bytes, stream()>>>(s, 0, kps);
            });
        }
    }
    auto kernel = gemm_tf32_mma<EpilogueStore, K, TA, TB>;
    if (!allow_shared(kernel, bytes)) return launch_error();
    kernel<<<grid, K::THREADS, bytes, stream()>>>(g, z0, 0);
    return 0;
}

template <class K>
static int launch_tf32(const GemmArgs& g, i64 batch, i64 z0, unsigned nz) {
    if (g.transA) return g.transB ? launch_tf32<K, true, true>(g, batch, z0, nz) : launch_tf32<K, true, false>(g, batch, z0, nz);
    return g.transB ? launch_tf32<K, false, true>(g, batch, z0, nz) : launch_tf32<K, false, false>(g, batch, z0, nz);
}

template <int BM, int BN, bool VEC>
static int launch_simt_f32(const GemmArgs& g, i64 batch, i64 z0, unsigned nz) {
    dim3 grid((unsigned)((g.n + BN - 1) / BN), (unsigned)((g.m + BM - 1) / BM), nz);
    if constexpr (BM == 64) {  // only the small tiles are ever too few
        SplitK sk = split_plan(g, batch, grid, SIMT_BK);
        if (sk.splits > 1)
            return run_split(g, sk, [&](const GemmArgs& s, i64 kps, unsigned splits) {
                gemm_simt_f32<PartialStore, BM, BN, VEC, true><<<dim3(grid.x, grid.y, splits), SIMT_THREADS, 0, stream()>>>(s, 0, kps);
            });
    }
    gemm_simt_f32<EpilogueStore, BM, BN, VEC><<<grid, SIMT_THREADS, 0, stream()>>>(g, z0);
    return 0;
}

template <bool VEC>
static int launch_f32(const GemmArgs& g, i64 batch, i64 z0, unsigned nz) {
    // 128 x 128 tiles once there are enough of them to give every SM one, else 64 x 64 (four times as many,
    // and k split across blocks when even those are too few)
    const bool big = ((g.m + 127) / 128) * ((g.n + 127) / 128) * batch >= device_sm_count();
    // operands rounded to BF16 / F16 are exact in TF32, so the tensor cores give the F32 kernel's result;
    // the TF32 kernel copies 16-byte pieces, unaligned operands stay on the (exact) SIMT kernel
    if (VEC && g.k > 0 && (tf32_on() || g.fast))
        return big ? launch_tf32<MmaLarge>(g, batch, z0, nz) : launch_tf32<MmaSmall>(g, batch, z0, nz);
    return big ? launch_simt_f32<128, 128, VEC>(g, batch, z0, nz) : launch_simt_f32<64, 64, VEC>(g, batch, z0, nz);
}

static int own_gemm(int dtype, const GemmArgs& g, i64 batch) {
    if ((g.m + 31) / 32 > 65535) return (int)cudaErrorInvalidConfiguration;
    const bool vec = vector_loads(g, batch);
    for (i64 z0 = 0; z0 < batch; z0 += 65535) {
        unsigned nz = (unsigned)std::min<i64>(65535, batch - z0);
        if (dtype == F32 && batch == 1 && g.m <= 16) {  // the weight-streaming kernel, where it covers the call
            int e = skinny_gemm_f32(g);
            if (e != -1) return e;
        }
        if (g.m <= SK_ROWS) {  // exact F32/F64 even with TF32 on: these products are memory-bound anyway
            dim3 grid((unsigned)((g.n + 31) / 32), 1, nz);
            if (dtype == F32) gemm_skinny<float><<<grid, 32 * SK_WARPS, 0, stream()>>>(g, z0);
            else gemm_skinny<double><<<grid, 32 * SK_WARPS, 0, stream()>>>(g, z0);
        } else if (dtype == F32) {
            int e = vec ? launch_f32<true>(g, batch, z0, nz) : launch_f32<false>(g, batch, z0, nz);
            if (e) return e;
        } else {
            // big tiles only pay off when there are enough of them to fill the GPU
            if (g.m * g.n * batch >= (i64)512 * 512) launch_simt<double, 64, 64, 8, 4, 4>(g, z0, nz);
            else launch_simt<double, 32, 32, 16, 2, 2>(g, z0, nz);
        }
        int e = launch_error();
        if (e) return e;
    }
    return 0;
}

template <typename T>
__global__ void gemm_tail_kernel(GemmArgs g, i64 batch, bool bias, bool residual, int act) {
    i64 mn = g.m * g.n;
    for (i64 t = blockIdx.x * (i64)blockDim.x + threadIdx.x; t < batch * mn; t += (i64)gridDim.x * blockDim.x) {
        i64 z = t / mn, i = (t % mn) / g.n, j = t % g.n;
        T* c = ptr<T>(g.c) + z * g.sc + i * g.ldc + j;
        T v = *c;
        if (bias) v += ptr<T>(g.bias)[j];
        if (residual) v += ptr<T>(g.res)[z * g.sr + i * g.ldr + j];
        if (act != OP_IDENTITY) v = apply_op<T>(act, v, v, v, (T)g.actParam);
        *c = v;
    }
}

int gemm_tail(int dtype, const GemmArgs& g, i64 batch, bool bias, bool residual, int act) {
    unsigned blocks = blocks_for(batch * g.m * g.n, 256);
    if (dtype == F32) gemm_tail_kernel<float><<<blocks, 256, 0, stream()>>>(g, batch, bias, residual, act);
    else gemm_tail_kernel<double><<<blocks, 256, 0, stream()>>>(g, batch, bias, residual, act);
    return launch_error();
}

// cuBLASLt cannot do k = 0 (C = beta*C + epilogue) and a shared output matrix across a batch (stride 0) is
// left to our kernels, which give it the same meaning as before; everything else may go to cuBLASLt.
static bool lt_can_take(const GemmArgs& g, i64 batch) { return g.k > 0 && !(g.sc == 0 && batch > 1); }

int gemm_launch(int dtype, const GemmArgs& g, i64 batch) {
    if (g.m == 0 || g.n == 0 || batch == 0) return 0;
    int mode = gemm_mode();
    if (mode != GEMM_OWN && lt_can_take(g, batch)) {
        if (!lt_loaded()) {
            if (mode == GEMM_CUBLASLT) {
                set_error_message("GEMM mode cublas but cuBLASLt is not loaded: " + lt_unavailable_reason());
                return ECU_MESSAGE;
            }
        } else {
            std::string why;
            int e = lt_gemm(dtype, g, batch, &why);
            if (e != LT_DECLINED) return e;
            if (mode == GEMM_CUBLASLT) {
                set_error_message("gemm " + std::to_string(g.m) + "x" + std::to_string(g.n) + "x" + std::to_string(g.k) +
                                  " (batch " + std::to_string(batch) + ") in mode cublas: " + why);
                return ECU_MESSAGE;
            }
            note_fallback(why);
        }
    }
    return own_gemm(dtype, g, batch);
}

}  // namespace ecu

using namespace ecu;

extern "C" {

// meta: see read_gemm_args
int ecu_gemm(long long ctx, long long meta) {
    ECU_BIND_STATUS(ctx);
    const i64* q = ptr<i64>(meta);
    GemmArgs g = read_gemm_args(q);
    return gemm_launch((int)q[0], g, q[17]);
}

// meta: as ecu_gemm, F32 operands already rounded to BF16 (fast 1) or F16 (fast 2): cuBLASLt may run the
// product on those tensor cores (exact for such values); our kernels compute it in F32, also exactly.
int ecu_gemm_rounded_operands(long long ctx, long long meta, int fast) {
    ECU_BIND_STATUS(ctx);
    const i64* q = ptr<i64>(meta);
    GemmArgs g = read_gemm_args(q);
    g.fast = fast;
    return gemm_launch((int)q[0], g, q[17]);
}

}  // extern "C"
