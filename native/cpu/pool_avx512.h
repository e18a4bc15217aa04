// The 2x2, stride-2 max pool of whole-window planes (LeNet's pools, the int8 plans' unfused ones) in
// AVX-512: a row pair's vertical maxes, then each horizontal pair's max through two permutes. Same maxes in
// the same order as max_pool_values_2x2 (NaN winning), so the same bits; used where the F32 GEMM runs its
// AVX-512 kernel.
#pragma once
#include "packed_gemm.h"
#include <string>
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>

namespace engine {

// nan_max(best, v) lane by lane: v where v > best or v is NaN
__attribute__((target("avx512f"), always_inline)) inline __m512 nan_max16(__m512 best, __m512 v) {
    const __mmask16 take = _mm512_cmp_ps_mask(v, best, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
    return _mm512_mask_blend_ps(take, best, v);
}

// The max of each horizontal pair of the 32 values v0:v1, as 16 values.
__attribute__((target("avx512f"), always_inline)) inline __m512 pair_max16(__m512i even, __m512i odd, __m512 v0, __m512 v1) {
    return nan_max16(_mm512_permutex2var_ps(v0, even, v1), _mm512_permutex2var_ps(v0, odd, v1));
}

// y (rows x w/2) <- the 2x2 maxes of the rows pairs of x (2 rows x w each, w even).
__attribute__((target("avx512f"), noinline)) inline void max_pool_2x2_avx512(const float* x, float* y, i64 rows, i64 w) {
    const i64 ow = w / 2, full = w / 32 * 32, left = w - full;  // left: even, < 32
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    const __mmask16 m0 = (__mmask16)(left >= 16 ? 0xFFFF : (1u << left) - 1), m1 = (__mmask16)(left > 16 ? (1u << (left - 16)) - 1 : 0);
    const __mmask16 mo = (__mmask16)((1u << (left / 2)) - 1);
    for (i64 r = 0; r < rows; r++) {
        const float* a = x + 2 * r * w;
        const float* b = a + w;
        float* o = y + r * ow;
        for (i64 j = 0; j < full; j += 32)
            _mm512_storeu_ps(o + j / 2, pair_max16(even, odd, nan_max16(_mm512_loadu_ps(a + j), _mm512_loadu_ps(b + j)),
                                                   nan_max16(_mm512_loadu_ps(a + j + 16), _mm512_loadu_ps(b + j + 16))));
        if (left)
            _mm512_mask_storeu_ps(o + full / 2, mo,
                                  pair_max16(even, odd, nan_max16(_mm512_maskz_loadu_ps(m0, a + full), _mm512_maskz_loadu_ps(m0, b + full)),
                                             nan_max16(_mm512_maskz_loadu_ps(m1, a + full + 16), _mm512_maskz_loadu_ps(m1, b + full + 16))));
    }
}

// n floats from p, zeros past `left` of them (left may be <= 0).
__attribute__((target("avx512f"), always_inline)) inline __m512 load_upto16(const float* p, i64 left) {
    return _mm512_maskz_loadu_ps((__mmask16)(left >= 16 ? 0xFFFF : left <= 0 ? 0 : (1u << left) - 1), p);
}

// One output row of a 3-wide, stride-2 max pool (ResNet's stem pool) from its window rows' maxes b (2 ow + 1
// cells): o[ox] = max(max(b[2 ox], b[2 ox + 1]), b[2 ox + 2]), NaN winning, as the scalar column pass.
__attribute__((target("avx512f"), noinline)) inline void max_pool_row3_s2_avx512(const float* b, float* o, i64 ow) {
    const __m512i even = _mm512_set_epi32(30, 28, 26, 24, 22, 20, 18, 16, 14, 12, 10, 8, 6, 4, 2, 0);
    const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
    const i64 cells = 2 * ow + 1;
    for (i64 j = 0; j < ow; j += 16) {
        const i64 at = 2 * j;
        const __m512 v0 = load_upto16(b + at, cells - at), v1 = load_upto16(b + at + 16, cells - at - 16);
        const __m512 w0 = load_upto16(b + at + 2, cells - at - 2), w1 = load_upto16(b + at + 18, cells - at - 18);
        const __m512 m = nan_max16(nan_max16(_mm512_permutex2var_ps(v0, even, v1), _mm512_permutex2var_ps(v0, odd, v1)),
                                   _mm512_permutex2var_ps(w0, even, w1));
        const i64 n = std::min<i64>(16, ow - j);
        _mm512_mask_storeu_ps(o + j, (__mmask16)(n >= 16 ? 0xFFFF : (1u << n) - 1), m);
    }
}

// Whether max_pool_2x2_avx512 runs here (ENGINE_CPU_ISA=avx2 or baseline turns it off with the GEMM's kernel).
inline bool max_pool_2x2_avx512_runs() {
    static const bool runs = [] {
        const char* isa = nullptr;
        packed_range_f32(&isa);
        return std::string(isa) == "avx512";
    }();
    return runs;
}

}  // namespace engine
#else
namespace engine {
inline bool max_pool_2x2_avx512_runs() { return false; }
inline void max_pool_2x2_avx512(const float*, float*, i64, i64) {}
inline void max_pool_row3_s2_avx512(const float*, float*, i64) {}
}  // namespace engine
#endif
