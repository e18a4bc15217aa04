// int8 GEMM of a frozen model's quantised linear layer: C = epilogue(dequant((A_u8 - za) B_s8)), where
// A is the F32 activation quantised per call to uint8 (per tensor: scale sa, zero point za; dynamic: from
// this call's min/max) and B holds symmetric int8 weights with one scale per output column, packed once.
//
// Packed layout (bytes): ceil(n / 32) panels of 32 columns, each ceil(k / 4) groups of 32 columns x 4
// consecutive k values (zero-padded), which is the operand order of vpdpbusd (4 u8 x s8 products summed
// into each int32 lane); then the int32 column sums of B (for the zero-point correction), then the F32
// column scales, 32 per panel (padding: 0). Every ISA computes the exact int32 sums, so the variants differ
// at most in the rounding of the F32 epilogue; a row's result never depends on the thread count.
#pragma once
#include "common.h"
#include "elementwise.h"
#include "packed_gemm.h"
#include <cstdlib>
#include <string>
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
#include <cpuid.h>
#define ENGINE_X86_INT8 1
#endif

// GCC 12's AVX-512 intrinsics pass _mm512_undefined_* as a merge source: a false "used uninitialized".
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"

namespace engine {

const int QPANEL = 32;                 // columns per panel
const int QSTEP = QPANEL * 4;          // bytes of one k group of a panel
const i64 QMAX_K = 1 << 16;            // 255 * 127 * k stays below 2^31

inline i64 q_groups(i64 k) { return (k + 3) / 4; }
inline i64 q_panel_bytes(i64 k) { return q_groups(k) * QSTEP; }
inline i64 q_cols_padded(i64 n) { return packed_panels(n) * QPANEL; }
inline i64 q_data_bytes(i64 k, i64 n) { return packed_panels(n) * q_panel_bytes(k); }
// Bytes of a packed matrix: panels, column sums (int32), scales (F32).
inline i64 q_packed_bytes(i64 k, i64 n) { return q_data_bytes(k, n) + q_cols_padded(n) * 8; }

// dst <- b (k x n int32 values, row stride ldb) and its column scales. Returns -1, or the first position
// that is out of range: a weight outside [-127, 127] (index kk * n + j), or a scale that is not a positive
// finite number (index k * n + j).
inline i64 pack_int8(const int32_t* b, i64 ldb, const float* scales, i64 k, i64 n, uint8_t* dst) {
    for (i64 kk = 0; kk < k; kk++)
        for (i64 j = 0; j < n; j++) if (b[kk * ldb + j] < -127 || b[kk * ldb + j] > 127) return kk * n + j;
    for (i64 j = 0; j < n; j++) if (!(scales[j] > 0.f) || !std::isfinite(scales[j])) return k * n + j;
    i64 panels = packed_panels(n), npad = q_cols_padded(n);
    int8_t* data = reinterpret_cast<int8_t*>(dst);
    int32_t* sums = reinterpret_cast<int32_t*>(dst + q_data_bytes(k, n));
    float* sc = reinterpret_cast<float*>(sums + npad);
    std::memset(dst, 0, (size_t)q_packed_bytes(k, n));
    for (i64 p = 0; p < panels; p++) {
        int8_t* pp = data + p * q_panel_bytes(k);
        for (i64 j = p * QPANEL; j < std::min(n, (p + 1) * QPANEL); j++) {
            int32_t s = 0;
            for (i64 kk = 0; kk < k; kk++) {
                int32_t v = b[kk * ldb + j];
                pp[(kk / 4) * QSTEP + (j - p * QPANEL) * 4 + kk % 4] = (int8_t)v;
                s += v;
            }
            sums[j] = s;
            sc[j] = scales[j];
        }
    }
    return -1;
}

struct Int8Gemm {
    i64 m, n, k, lda, ldc, ldr;
    const float* a;                    // F32 activations, m x k
    const uint8_t* aq;                 // quantised activations, m x kq (kq = 4 * q_groups(k))
    i64 kq;
    const int8_t* bp;                  // packed panels
    const int32_t* corr;               // za * column sum, per padded column
    const float* scale;                // sa * column scale, per padded column
    const float *bias, *res;
    float* c;
    float actParam;
    int act;
};

// Smallest and largest of row[0, k) folded into lo/hi (a NaN never replaces them: comparisons with it
// are false). The AVX-512 and AVX2 versions below compute the same.
inline void q_row_range_base(const float* row, i64 k, float* lo, float* hi) {
    for (i64 kk = 0; kk < k; kk++) {
        float v = row[kk];
        *lo = v < *lo ? v : *lo;
        *hi = v > *hi ? v : *hi;
    }
}
typedef void (*QRange)(const float*, i64, float*, float*);
typedef int (*QQuantize)(const float*, i64, float, float, uint8_t*);
struct QKernels;
inline const QKernels& q_kernels(const char** name = nullptr);

// Quantisation parameters of A: dynamic ones from the range of the values (0 always inside it, so that
// zero, e.g. ReLU output and padding, is exact). Non-finite values do not widen the range.
inline void range_params(float lo, float hi, float* sa, int* za) {
    if (!(hi > lo) || !std::isfinite(hi - lo)) { *sa = 1.f; *za = 0; return; }
    float s = (hi - lo) / 255.f;
    float z = std::nearbyint(-lo / s);
    *sa = s;
    *za = (int)std::min(255.f, std::max(0.f, z));
}

// Rows [0, m) of A (row stride lda) folded into lo/hi.
inline void range_rows(QRange range, const float* a, i64 lda, i64 m, i64 k, float* lo, float* hi) {
    for (i64 i = 0; i < m; i++) range(a + i * lda, k, lo, hi);
}

inline void dynamic_params(QRange range, const float* a, i64 lda, i64 m, i64 k, float* sa, int* za) {
    float lo = 0.f, hi = 0.f;
    range_rows(range, a, lda, m, k, &lo, &hi);
    range_params(lo, hi, sa, za);
}

// d <- clamp(round(row / sa) + za, 0, 255) (round half to even, as rint); returns whether the row holds a
// NaN or an infinity. Rounding by adding and subtracting 1.5 * 2^23 (exact below 2^22, and anything
// larger clamps anyway) needs no library call; the vector versions below make the same IEEE division,
// additions and clamps (max/min keep the bound when v is NaN, as these comparisons do), so every ISA
// gives the same bytes.
inline int q_quantize_row_base(const float* row, i64 k, float sa, float za, uint8_t* d) {
    int nonfinite = 0;
    for (i64 kk = 0; kk < k; kk++) {
        float x = row[kk];
        nonfinite |= !(x - x == 0.f);
        float v = x / sa;
        v = v > -1e6f ? v : -1e6f;  // NaN -> -1e6 -> 0
        v = v < 1e6f ? v : 1e6f;
        float r = (v + 12582912.f) - 12582912.f + za;
        r = r > 0.f ? r : 0.f;
        r = r < 255.f ? r : 255.f;
        d[kk] = (uint8_t)(int)r;
    }
    return nonfinite;
}

// q <- the quantised rows of A, zero padding to kq; bad[i] = 1 where row i holds a NaN or an infinity
// (its outputs become NaN: quantising would hide it).
inline void quantize_rows(QQuantize quant, const float* a, i64 lda, i64 m, i64 k, float sa, int za, uint8_t* q, i64 kq, uint8_t* bad) {
    for (i64 i = 0; i < m; i++) {
        uint8_t* d = q + i * kq;
        bad[i] = (uint8_t)quant(a + i * lda, k, sa, (float)za, d);
        for (i64 kk = k; kk < kq; kk++) d[kk] = 0;
    }
}

// ---- baseline: plain int32 loops --------------------------------------------------------------------

// Rows [i0, i1) x panels [p0, p1) of the dequantised product into C (no bias/activation yet).
inline void q_block_base(const Int8Gemm& g, i64 i0, i64 i1, i64 p0, i64 p1) {
    const i64 groups = g.kq / 4, pbytes = groups * QSTEP;
    for (i64 p = p0; p < p1; p++) {
        i64 j0 = p * QPANEL;
        int cols = (int)std::min<i64>(QPANEL, g.n - j0);
        for (i64 i = i0; i < i1; i++) {
            int32_t acc[QPANEL] = {0};
            const uint8_t* a = g.aq + i * g.kq;
            const int8_t* bp = g.bp + p * pbytes;
            for (i64 s = 0; s < groups; s++, bp += QSTEP)
                for (int j = 0; j < QPANEL; j++)
                    acc[j] += a[4 * s] * bp[4 * j] + a[4 * s + 1] * bp[4 * j + 1] + a[4 * s + 2] * bp[4 * j + 2] + a[4 * s + 3] * bp[4 * j + 3];
            float* c = g.c + i * g.ldc + j0;
            for (int j = 0; j < cols; j++) c[j] = (float)(acc[j] - g.corr[j0 + j]) * g.scale[j0 + j];
        }
    }
}

}  // namespace engine
