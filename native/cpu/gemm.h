// GEMM on off-heap memory: F32 products with enough rows on our packed-panel kernel (packed_gemm.h, the
// epilogue applied per tile), the rest through OpenBLAS with the epilogue (bias, residual, activation)
// applied in one pass over the output right after each product.
#pragma once
#include "common.h"
#include "elementwise.h"
#include "gemv.h"
#include "packed_gemm.h"
#include <cblas.h>

extern "C" void openblas_set_num_threads(int num_threads);

namespace engine {

inline void blas_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, i64 m, i64 n, i64 k, float alpha, const float* a, i64 lda,
                      const float* b, i64 ldb, float beta, float* c, i64 ldc) {
    cblas_sgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}
inline void blas_gemm(CBLAS_TRANSPOSE ta, CBLAS_TRANSPOSE tb, i64 m, i64 n, i64 k, double alpha, const double* a, i64 lda,
                      const double* b, i64 ldb, double beta, double* c, i64 ldc) {
    cblas_dgemm(CblasRowMajor, ta, tb, (int)m, (int)n, (int)k, alpha, a, (int)lda, b, (int)ldb, beta, c, (int)ldc);
}

// Row-major C = alpha op(A) op(B) + beta C on OpenBLAS with its own thread pool (sized by
// engine_set_threads). OpenBLAS's threading is what makes it fast; its results are deterministic for a
// given thread count but may differ in the last bits between thread counts.
// Products below this many multiply-adds run on OpenBLAS with one thread (openblas_set_num_threads_local
// for this call only). OpenBLAS's workers spin long after a threaded call (its THREAD_TIMEOUT, about 2^28
// cycles), holding the second core that our pool and the JVM need between products: a lower cap speeds up
// a lone mid-size product but slows training steps, which interleave such products with our own kernels
// (figures: benchmarks/results/NOTES.md, "OpenBLAS single-thread cap"). Above the cap our pool's spinning
// workers are first sent to sleep.
const double BLAS_SINGLE_THREAD_MACS = 64.0 * 1024 * 1024;

template <typename T>
void blas_gemm_rm(bool transA, bool transB, i64 m, i64 n, i64 k, T alpha, const T* a, i64 lda, const T* b, i64 ldb,
                 T beta, T* c, i64 ldc) {
    bool threaded = thread_count().load(std::memory_order_relaxed) > 1;
    bool single = threaded && (double)m * n * k < BLAS_SINGLE_THREAD_MACS;
    int prev = single ? openblas_set_num_threads_local(1) : 0;
    if (threaded && !single) thread_pool().park();
    blas_gemm(transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    if (single) openblas_set_num_threads_local(prev);
}

template <typename T>
ENGINE_INLINE void epilogue_rows(T* c, i64 ldc, i64 m, i64 n, const T* bias, const T* res, i64 ldr, int act, T actParam) {
    parallel_for(m, threads_for(m * n), [&](i64 i) { epilogue_row<T>(c + i * ldc, n, bias, res ? res + i * ldr : nullptr, act, actParam); });
}

ENGINE_DISPATCH void epilogue_f32(float* c, i64 ldc, i64 m, i64 n, const float* bias, const float* res, i64 ldr, int act, float p) {
    epilogue_rows<float>(c, ldc, m, n, bias, res, ldr, act, p);
}
ENGINE_DISPATCH void epilogue_f64(double* c, i64 ldc, i64 m, i64 n, const double* bias, const double* res, i64 ldr, int act, double p) {
    epilogue_rows<double>(c, ldc, m, n, bias, res, ldr, act, p);
}

// Eager F32 products big enough to repay packing op(B) on every call go through the packed-panel kernel
// (AVX-512 register tiles, epilogue per tile, the same bits for any thread count) instead of OpenBLAS,
// whose core on these machines is pinned to AVX2 (OPENBLAS_CORETYPE=Haswell). Very large B (over
// PACK_MAX_FLOATS) stays with OpenBLAS, which also blocks over k.
const i64 PACK_MIN_ROWS = 16;
const double PACK_MIN_MACS = 16384;
const i64 PACK_MAX_FLOATS = 4 << 20;

inline bool use_packed_gemm(i64 m, i64 n, i64 k) {
    return m >= PACK_MIN_ROWS && (double)m * n * k >= PACK_MIN_MACS && packed_size(k, n) <= PACK_MAX_FLOATS;
}

// A 64-byte aligned per-thread scratch of at least `floats` floats, kept for the next call.
inline float* pack_scratch(i64 floats) {
    struct Scratch {
        float* p = nullptr;
        i64 size = 0;
        ~Scratch() { std::free(p); }
    };
    static thread_local Scratch s;
    if (s.size < floats) {
        std::free(s.p);
        s.p = nullptr;
        s.size = 0;
        void* q = nullptr;
        if (posix_memalign(&q, 64, (size_t)floats * sizeof(float)) != 0) return nullptr;
        s.p = static_cast<float*>(q);
        s.size = floats;
    }
    return s.p;
}

// C = act(alpha op(A) op(B) + beta C + bias + residual) through the packed kernel; false (nothing done)
// when the scratch for packed B cannot be allocated.
inline bool packed_gemm_eager(bool ta, bool tb, i64 m, i64 n, i64 k, float alpha, const float* a, i64 lda, const float* b, i64 ldb,
                              float beta, float* c, i64 ldc, const float* bias, const float* res, i64 ldr, int act, float actParam) {
    float* bp = pack_scratch(packed_size(k, n));
    if (!bp) return false;
    i64 panels = packed_panels(n);
    run_shares(threads_for(k * n), panels, [&](int t, int nt) { pack_b_panels(b, ldb, tb, k, n, panels * t / nt, panels * (t + 1) / nt, bp); });
    PackedGemm g;
    g.m = m; g.n = n; g.k = k;
    g.a = a;
    if (ta) { g.lda = 1; g.acs = lda; } else { g.lda = lda; g.acs = 1; }
    g.bp = bp; g.c = c; g.ldc = ldc;
    g.bias = bias; g.res = res; g.ldr = ldr;
    g.act = act; g.actParam = actParam;
    g.alpha = alpha; g.beta = beta;
    packed_gemm_f32(g);
    return true;
}

}  // namespace engine

// meta: GemmArgs (native/common/abi.h)
inline int engine_gemm(long long metaAddress) {
    return engine::guarded([&] {
        using namespace engine;
        const GemmArgs& q = *ptr<GemmArgs>(metaAddress);
        int dtype = (int)q.dtype;
        const bool tA = q.trans_a != 0, tB = q.trans_b != 0;
        CBLAS_TRANSPOSE ta = tA ? CblasTrans : CblasNoTrans, tb = tB ? CblasTrans : CblasNoTrans;
        i64 m = q.m, n = q.n, k = q.k;
        double alpha = bits_to_double(q.alpha_bits), beta = bits_to_double(q.beta_bits);
        i64 a = q.a, lda = q.lda, sa = q.stride_a, b = q.b, ldb = q.ldb, sb = q.stride_b, c = q.c, ldc = q.ldc, sc = q.stride_c;
        i64 batch = q.batch, bias = q.bias, res = q.residual, ldr = q.ldr, sr = q.stride_r;
        int act = (int)q.act;
        double actParam = bits_to_double(q.act_param_bits);
        if (m == 0 || n == 0) return;
        bool epi = bias != 0 || res != 0 || act != OP_IDENTITY;
        for (i64 i = 0; i < batch; i++) {
            if (dtype == F32) {
                float* cp = ptr<float>(c) + i * sc;
                if (k == 0) {
                    for (i64 r = 0; r < m; r++) for (i64 j = 0; j < n; j++) cp[r * ldc + j] = beta == 0 ? 0.f : (float)beta * cp[r * ldc + j];
                } else if (m == 1 && ta == CblasNoTrans) {
                    // One row (batch-1 inference): gemv streams B once instead of packing it on every call.
                    const float* x = ptr<float>(a) + i * sa;
                    const float* bm = ptr<float>(b) + i * sb;
                    if (tb == CblasNoTrans) gemv_kn_f32(k, n, (float)alpha, x, bm, ldb, (float)beta, cp);
                    else cblas_sgemv(CblasRowMajor, CblasNoTrans, (int)n, (int)k, (float)alpha, bm, (int)ldb, x, 1, (float)beta, cp, 1);
                } else if (use_packed_gemm(m, n, k) &&
                           packed_gemm_eager(tA, tB, m, n, k, (float)alpha, ptr<float>(a) + i * sa, lda, ptr<float>(b) + i * sb, ldb,
                                             (float)beta, cp, ldc, bias ? ptr<float>(bias) : nullptr, res ? ptr<float>(res) + i * sr : nullptr, ldr,
                                             act, (float)actParam)) {
                    continue;  // the epilogue ran inside
                } else {
                    blas_gemm_rm<float>(tA, tB, m, n, k, (float)alpha, ptr<float>(a) + i * sa, lda, ptr<float>(b) + i * sb, ldb,
                                       (float)beta, cp, ldc);
                }
                if (epi) epilogue_f32(cp, ldc, m, n, bias ? ptr<float>(bias) : nullptr, res ? ptr<float>(res) + i * sr : nullptr, ldr, act, (float)actParam);
            } else {
                double* cp = ptr<double>(c) + i * sc;
                if (k == 0) {
                    for (i64 r = 0; r < m; r++) for (i64 j = 0; j < n; j++) cp[r * ldc + j] = beta == 0 ? 0.0 : beta * cp[r * ldc + j];
                } else {
                    blas_gemm_rm<double>(tA, tB, m, n, k, alpha, ptr<double>(a) + i * sa, lda, ptr<double>(b) + i * sb, ldb,
                                        beta, cp, ldc);
                }
                if (epi) epilogue_f64(cp, ldc, m, n, bias ? ptr<double>(bias) : nullptr, res ? ptr<double>(res) + i * sr : nullptr, ldr, act, actParam);
            }
        }
    });
}

// A direct sgemm with no marshalling at all, for the benchmark that compares against a raw OpenBLAS call.
inline void engine_sgemm_direct(int m, int n, int k, long long a, long long b, long long c) {
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, m, n, k, 1.f, engine::ptr<float>(a), k,
                engine::ptr<float>(b), n, 0.f, engine::ptr<float>(c), n);
}
