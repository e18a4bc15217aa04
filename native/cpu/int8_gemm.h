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
#include "amx.h"
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
inline void dynamic_params(QRange range, const float* a, i64 lda, i64 m, i64 k, float* sa, int* za) {
    float lo = 0.f, hi = 0.f;
    for (i64 i = 0; i < m; i++) range(a + i * lda, k, &lo, &hi);
    if (!(hi > lo) || !std::isfinite(hi - lo)) { *sa = 1.f; *za = 0; return; }
    float s = (hi - lo) / 255.f;
    float z = std::nearbyint(-lo / s);
    *sa = s;
    *za = (int)std::min(255.f, std::max(0.f, z));
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

#ifdef ENGINE_X86_INT8
// ---- AVX-512 VNNI: vpdpbusd, R rows x one panel (two 16-lane accumulators each) ----------------------
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512vnni")

inline void q_row_range_avx512(const float* row, i64 k, float* lo, float* hi) {
    __m512 l = _mm512_set1_ps(*lo), h = _mm512_set1_ps(*hi);
    for (i64 kk = 0; kk < k; kk += 16) {
        __mmask16 m = k - kk >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (k - kk)) - 1);
        __m512 v = _mm512_mask_loadu_ps(l, m, row + kk);  // lanes past k: lo itself
        l = _mm512_min_ps(v, l);                          // NaN v: keeps l
        v = _mm512_mask_loadu_ps(h, m, row + kk);
        h = _mm512_max_ps(v, h);
    }
    *lo = _mm512_reduce_min_ps(l);
    *hi = _mm512_reduce_max_ps(h);
}

inline int q_quantize_row_avx512(const float* row, i64 k, float sa, float za, uint8_t* d) {
    const __m512 vs = _mm512_set1_ps(sa), vz = _mm512_set1_ps(za), lo = _mm512_set1_ps(-1e6f), hi = _mm512_set1_ps(1e6f);
    const __m512 magic = _mm512_set1_ps(12582912.f), zero = _mm512_setzero_ps(), top = _mm512_set1_ps(255.f);
    __mmask16 bad = 0;
    for (i64 kk = 0; kk < k; kk += 16) {
        __mmask16 m = k - kk >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (k - kk)) - 1);
        __m512 x = _mm512_maskz_loadu_ps(m, row + kk);
        bad |= _mm512_mask_cmp_ps_mask(m, _mm512_sub_ps(x, x), zero, _CMP_NEQ_UQ);
        __m512 v = _mm512_min_ps(_mm512_max_ps(_mm512_div_ps(x, vs), lo), hi);
        __m512 r = _mm512_add_ps(_mm512_sub_ps(_mm512_add_ps(v, magic), magic), vz);
        r = _mm512_min_ps(_mm512_max_ps(r, zero), top);
        _mm512_mask_cvtepi32_storeu_epi8(d + kk, m, _mm512_cvttps_epi32(r));
    }
    return bad != 0;
}

// acc += u8 a x s8 b in groups of 4. Inline asm, not _mm512_dpbusd_epi32: GCC 12 copies every
// accumulator through another register around the builtin (and spills the copies in larger tiles).
#define Q_DPBUSD(acc, a, b) __asm__("vpdpbusd %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b))

inline __m512i q_bcast4(const uint8_t* p) {
    int32_t v;
    std::memcpy(&v, p, 4);
    return _mm512_set1_epi32(v);
}

// Dequantises 16 sums and stores the first `cols` of them.
inline void q_store16(float* c, __m512i acc, const int32_t* corr, const float* scale, int cols) {
    __m512 v = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_sub_epi32(acc, _mm512_loadu_si512(corr))), _mm512_loadu_ps(scale));
    if (cols >= 16) _mm512_storeu_ps(c, v);
    else if (cols > 0) _mm512_mask_storeu_ps(c, (__mmask16)((1u << cols) - 1), v);
}

template <int R, bool WIDE>
inline void q_tile_vnni(const Int8Gemm& g, i64 i, const int8_t* bp, i64 j0, int cols) {
    __m512i lo[R], hi[R];
    #pragma GCC unroll 32
    for (int r = 0; r < R; r++) { lo[r] = _mm512_setzero_si512(); hi[r] = _mm512_setzero_si512(); }
    const uint8_t* a = g.aq + i * g.kq;
    const i64 groups = g.kq / 4;
    for (i64 s = 0; s < groups; s++, bp += QSTEP) {
        __m512i b0 = _mm512_loadu_si512(bp), b1 = WIDE ? _mm512_loadu_si512(bp + 64) : _mm512_setzero_si512();
        #pragma GCC unroll 32
        for (int r = 0; r < R; r++) {
            __m512i va = q_bcast4(a + r * g.kq + 4 * s);
            Q_DPBUSD(lo[r], va, b0);
            if (WIDE) Q_DPBUSD(hi[r], va, b1);
        }
    }
    #pragma GCC unroll 32
    for (int r = 0; r < R; r++) {
        float* c = g.c + (i + r) * g.ldc + j0;
        q_store16(c, lo[r], g.corr + j0, g.scale + j0, cols);
        if (WIDE) q_store16(c + 16, hi[r], g.corr + j0 + 16, g.scale + j0 + 16, cols - 16);
    }
}

// One row x P consecutive panels (batch 1: enough independent sums in flight while B streams past).
template <int P>
inline void q_row_vnni(const Int8Gemm& g, i64 i, i64 p) {
    __m512i acc[2 * P];
    #pragma GCC unroll 32
    for (int q = 0; q < 2 * P; q++) acc[q] = _mm512_setzero_si512();
    const uint8_t* a = g.aq + i * g.kq;
    const i64 groups = g.kq / 4, pbytes = groups * QSTEP;
    const int8_t* bp = g.bp + p * pbytes;
    for (i64 s = 0; s < groups; s++, bp += QSTEP) {
        __m512i va = q_bcast4(a + 4 * s);
        #pragma GCC unroll 32
        for (int q = 0; q < P; q++) {
            Q_DPBUSD(acc[2 * q], va, _mm512_loadu_si512(bp + q * pbytes));
            Q_DPBUSD(acc[2 * q + 1], va, _mm512_loadu_si512(bp + q * pbytes + 64));
        }
    }
    #pragma GCC unroll 32
    for (int q = 0; q < P; q++) {
        i64 j0 = (p + q) * QPANEL;
        int cols = (int)std::min<i64>(QPANEL, g.n - j0);
        float* c = g.c + i * g.ldc + j0;
        q_store16(c, acc[2 * q], g.corr + j0, g.scale + j0, cols);
        q_store16(c + 16, acc[2 * q + 1], g.corr + j0 + 16, g.scale + j0 + 16, cols - 16);
    }
}

// R rows x two adjacent panels (64 columns, four accumulators per row): 4 loads of B and R broadcasts
// feed 4R vpdpbusd, against 2 + R for 2R with one panel.
template <int R>
inline void q_tile2_vnni(const Int8Gemm& g, i64 i, i64 p) {
    __m512i acc[R][4];
    #pragma GCC unroll 32
    for (int r = 0; r < R; r++) for (int q = 0; q < 4; q++) acc[r][q] = _mm512_setzero_si512();
    const uint8_t* a = g.aq + i * g.kq;
    const i64 groups = g.kq / 4, pbytes = groups * QSTEP;
    const int8_t* b0 = g.bp + p * pbytes;
    const int8_t* b1 = b0 + pbytes;
    for (i64 s = 0; s < groups; s++, b0 += QSTEP, b1 += QSTEP) {
        __m512i w0 = _mm512_loadu_si512(b0), w1 = _mm512_loadu_si512(b0 + 64), w2 = _mm512_loadu_si512(b1), w3 = _mm512_loadu_si512(b1 + 64);
        #pragma GCC unroll 32
        for (int r = 0; r < R; r++) {
            __m512i va = q_bcast4(a + r * g.kq + 4 * s);
            Q_DPBUSD(acc[r][0], va, w0);
            Q_DPBUSD(acc[r][1], va, w1);
            Q_DPBUSD(acc[r][2], va, w2);
            Q_DPBUSD(acc[r][3], va, w3);
        }
    }
    i64 j0 = p * QPANEL;
    int cols = (int)std::min<i64>(2 * QPANEL, g.n - j0);
    #pragma GCC unroll 32
    for (int r = 0; r < R; r++) {
        float* c = g.c + (i + r) * g.ldc + j0;
        #pragma GCC unroll 32
        for (int q = 0; q < 4; q++) q_store16(c + 16 * q, acc[r][q], g.corr + j0 + 16 * q, g.scale + j0 + 16 * q, cols - 16 * q);
    }
}

inline void q_rows2_vnni(const Int8Gemm& g, i64 i, i64 end, i64 p) {
    switch ((int)std::min<i64>(6, end - i)) {
        case 6: q_tile2_vnni<6>(g, i, p); break;
        case 5: q_tile2_vnni<5>(g, i, p); break;
        case 4: q_tile2_vnni<4>(g, i, p); break;
        case 3: q_tile2_vnni<3>(g, i, p); break;
        case 2: q_tile2_vnni<2>(g, i, p); break;
        default: q_tile2_vnni<1>(g, i, p); break;
    }
}

template <bool WIDE>
inline void q_rows_vnni(const Int8Gemm& g, i64 i, i64 end, const int8_t* bp, i64 j0, int cols) {
    switch ((int)std::min<i64>(8, end - i)) {
        case 8: q_tile_vnni<8, WIDE>(g, i, bp, j0, cols); break;
        case 7: q_tile_vnni<7, WIDE>(g, i, bp, j0, cols); break;
        case 6: q_tile_vnni<6, WIDE>(g, i, bp, j0, cols); break;
        case 5: q_tile_vnni<5, WIDE>(g, i, bp, j0, cols); break;
        case 4: q_tile_vnni<4, WIDE>(g, i, bp, j0, cols); break;
        case 3: q_tile_vnni<3, WIDE>(g, i, bp, j0, cols); break;
        case 2: q_tile_vnni<2, WIDE>(g, i, bp, j0, cols); break;
        default: q_tile_vnni<1, WIDE>(g, i, bp, j0, cols); break;
    }
}

inline void q_block_vnni(const Int8Gemm& g, i64 i0, i64 i1, i64 p0, i64 p1) {
    const i64 pbytes = g.kq / 4 * QSTEP;
    if (i1 - i0 == 1) {
        for (i64 p = p0; p < p1; p += 4) {
            switch ((int)std::min<i64>(4, p1 - p)) {
                case 4: q_row_vnni<4>(g, i0, p); break;
                case 3: q_row_vnni<3>(g, i0, p); break;
                case 2: q_row_vnni<2>(g, i0, p); break;
                default: q_row_vnni<1>(g, i0, p); break;
            }
        }
        return;
    }
    i64 p = p0;
    for (; p + 1 < p1; p += 2)
        for (i64 i = i0; i < i1; i += 6) q_rows2_vnni(g, i, i1, p);
    for (; p < p1; p++) {
        i64 j0 = p * QPANEL;
        int cols = (int)std::min<i64>(QPANEL, g.n - j0);
        for (i64 i = i0; i < i1; i += 8) {
            if (cols > 16) q_rows_vnni<true>(g, i, i1, g.bp + p * pbytes, j0, cols);
            else q_rows_vnni<false>(g, i, i1, g.bp + p * pbytes, j0, cols);
        }
    }
}
#pragma GCC pop_options

// ---- AMX: tdpbusd on 16-row x 16-int32 tiles, up to 32 rows x one panel per block ---------------------
// A panel's k group (32 columns x 4 bytes) is two B tile rows: a B tile is 16 groups of one 16-column half,
// loaded at stride QSTEP. A tiles are 16 rows x 64 k bytes of the quantised rows. Rows that would read past
// the matrix and the k tail that is not a whole 64 bytes come from zero-padded copies, so every tile has
// one shape and one configuration serves the whole block. The int32 sums go through q_store16, as in the
// VNNI path, so both give the same bits.
#pragma GCC push_options
#pragma GCC target("amx-tile,amx-int8,avx512f,avx512bw,avx512vl,avx512vnni")

const int AMX_ROWS = 32;               // rows per block: two A tiles
const int AMX_KB = 64;                 // k bytes per tile step
const i64 AMX_MIN_ROWS = 8;            // fewer rows: the VNNI tiles are faster

// The tile layout: tmm0-3 the C tiles (rows 0-15 / 16-31 x columns 0-15 / 16-31), tmm4-5 the A tiles,
// tmm6-7 the B tiles; all 16 rows x 64 bytes.
inline void amx_configure() {
    AmxConfig cfg{};
    cfg.palette = 1;
    for (int t = 0; t < 8; t++) { cfg.colsb[t] = AMX_KB; cfg.rows[t] = 16; }
    amx_load_config(cfg);
}

// The rows of one block as tiles read them: `a` at stride lda for the whole 64-byte steps of k, `tail`
// (AMX_ROWS x 64 bytes, zero-padded) for the rest.
struct AmxRows {
    const uint8_t* a;
    i64 lda, steps;
    alignas(64) uint8_t tail[AMX_ROWS * AMX_KB];
};

// Rows [i, i + rows) of g.aq, padded with zero rows to `tiles` * 16 (a copy where the matrix ends first).
inline void amx_rows(const Int8Gemm& g, i64 i, int rows, int tiles, std::vector<uint8_t>& pad, AmxRows& r) {
    const i64 kq = g.kq, full = kq / AMX_KB * AMX_KB;
    r.a = g.aq + i * kq;
    r.lda = kq;
    r.steps = kq / AMX_KB;
    if (i + tiles * 16 > g.m) {  // the tiles would read past the last row
        pad.assign((size_t)(tiles * 16 * kq), 0);
        std::memcpy(pad.data(), r.a, (size_t)(rows * kq));
        r.a = pad.data();
    }
    std::memset(r.tail, 0, sizeof r.tail);
    if (full < kq)
        for (int q = 0; q < tiles * 16; q++) std::memcpy(r.tail + q * AMX_KB, r.a + q * kq + full, (size_t)(kq - full));
}

// The last groups of a panel that do not fill a B tile, zero-padded to 16 groups.
inline void amx_b_tail(const int8_t* bp, i64 groups, int8_t* tail) {
    const i64 full = groups / 16 * 16;
    std::memset(tail, 0, 16 * QSTEP);
    std::memcpy(tail, bp + full * QSTEP, (size_t)((groups - full) * QSTEP));
}

// C tiles of one block <- A rows x one panel; TILES A tiles (16 or 32 rows), HALVES B tiles (16 or 32
// columns). Tile numbers must be constants, hence the template.
template <int TILES, int HALVES>
inline void amx_panel(const AmxRows& r, const int8_t* bp, const int8_t* btail, bool tail, int32_t* out) {
    _tile_zero(0);
    if (HALVES == 2) _tile_zero(1);
    if (TILES == 2) { _tile_zero(2); if (HALVES == 2) _tile_zero(3); }
    for (i64 s = 0; s < r.steps + tail; s++) {
        const bool last = s == r.steps;
        const uint8_t* a = last ? r.tail : r.a + s * AMX_KB;
        const i64 lda = last ? AMX_KB : r.lda;
        const int8_t* b = last ? btail : bp + s * 16 * QSTEP;
        _tile_loadd(6, b, QSTEP);
        if (HALVES == 2) _tile_loadd(7, b + 64, QSTEP);
        _tile_loadd(4, a, lda);
        _tile_dpbusd(0, 4, 6);
        if (HALVES == 2) _tile_dpbusd(1, 4, 7);
        if (TILES == 2) {
            _tile_loadd(5, a + 16 * lda, lda);
            _tile_dpbusd(2, 5, 6);
            if (HALVES == 2) _tile_dpbusd(3, 5, 7);
        }
    }
    _tile_stored(0, out, QPANEL * 4);
    if (HALVES == 2) _tile_stored(1, out + 16, QPANEL * 4);
    if (TILES == 2) {
        _tile_stored(2, out + 16 * QPANEL, QPANEL * 4);
        if (HALVES == 2) _tile_stored(3, out + 16 * QPANEL + 16, QPANEL * 4);
    }
}

// Rows [i, i + rows) x one panel: the tiles, then the same dequantisation as the VNNI tiles. The k tail
// of B reads on into the next panel (times the zero padding of A's tail: no effect), except in the last
// panel, which has no bytes after it and takes a zero-padded copy.
inline void amx_block_panel(const Int8Gemm& g, const AmxRows& r, int tiles, i64 i, int rows, i64 p) {
    const i64 groups = g.kq / 4, j0 = p * QPANEL;
    const int8_t* bp = g.bp + p * groups * QSTEP;
    const int cols = (int)std::min<i64>(QPANEL, g.n - j0);
    const bool tail = groups % 16 != 0;
    alignas(64) int8_t copy[16 * QSTEP];
    const int8_t* btail = bp + groups / 16 * 16 * QSTEP;
    if (tail && j0 + QPANEL >= g.n) { amx_b_tail(bp, groups, copy); btail = copy; }
    alignas(64) int32_t out[AMX_ROWS * QPANEL];
    if (tiles == 2) {
        if (cols > 16) amx_panel<2, 2>(r, bp, btail, tail, out); else amx_panel<2, 1>(r, bp, btail, tail, out);
    } else {
        if (cols > 16) amx_panel<1, 2>(r, bp, btail, tail, out); else amx_panel<1, 1>(r, bp, btail, tail, out);
    }
    for (int q = 0; q < rows; q++) {
        float* c = g.c + (i + q) * g.ldc + j0;
        q_store16(c, _mm512_load_si512(out + q * QPANEL), g.corr + j0, g.scale + j0, cols);
        if (cols > 16) q_store16(c + 16, _mm512_load_si512(out + q * QPANEL + 16), g.corr + j0 + 16, g.scale + j0 + 16, cols - 16);
    }
}

const int AMX_CHUNKS = (int)((ROW_BLOCK + AMX_ROWS - 1) / AMX_ROWS);

// Rows [i0, i1) (at most ROW_BLOCK) x panels [p0, p1): each panel meets every 32-row chunk while it is in
// L1; few rows go to the VNNI kernel.
inline void q_block_amx(const Int8Gemm& g, i64 i0, i64 i1, i64 p0, i64 p1) {
    if (i1 - i0 < AMX_MIN_ROWS) { q_block_vnni(g, i0, i1, p0, p1); return; }
    // rows past the matrix's end, zero-padded: only the block's last chunk can reach past it (every other
    // chunk is 32 rows inside [i0, i1)), so one copy serves the block
    static thread_local std::vector<uint8_t> pad;
    AmxRows rows[AMX_CHUNKS];
    int n[AMX_CHUNKS], tiles[AMX_CHUNKS], chunks = 0;
    for (i64 i = i0; i < i1; i += AMX_ROWS, chunks++) {
        n[chunks] = (int)std::min<i64>(AMX_ROWS, i1 - i);
        tiles[chunks] = n[chunks] > 16 ? 2 : 1;
        amx_rows(g, i, n[chunks], tiles[chunks], pad, rows[chunks]);
    }
    amx_configure();
    for (i64 p = p0; p < p1; p++)
        for (int q = 0; q < chunks; q++) amx_block_panel(g, rows[q], tiles[q], i0 + q * AMX_ROWS, n[q], p);
    _tile_release();
}
#pragma GCC pop_options

// Whether the CPU has AMX-TILE and AMX-INT8 (cpuid leaf 7, EDX bits 24 and 25).
inline bool amx_cpu() {
    unsigned a, b, c, d;
    return __get_cpuid_count(7, 0, &a, &b, &c, &d) && (d & (1u << 24)) && (d & (1u << 25));
}

// Whether the CPU has AMX-INT8 and Linux lets this process use the tile registers (a kernel that says no,
// e.g. one without AMX support, leaves the VNNI kernel in charge).
inline bool amx_usable() { return amx_cpu() && amx_tile_permission(); }

// ---- AVX2: the bytes widened to int16 and multiplied pairwise (vpmaddwd), which cannot saturate -------
// (vpmaddubsw would: 2 * 255 * 127 > 32767). R rows x 16 columns, four 8-lane accumulators per row, each
// lane holding half of one column's sum; the halves are added at the end.
#pragma GCC push_options
#pragma GCC target("avx2,fma")

inline void q_row_range_avx2(const float* row, i64 k, float* lo, float* hi) {
    __m256 l = _mm256_set1_ps(*lo), h = _mm256_set1_ps(*hi);
    i64 kk = 0;
    for (; kk + 8 <= k; kk += 8) {
        __m256 v = _mm256_loadu_ps(row + kk);
        l = _mm256_min_ps(v, l);
        h = _mm256_max_ps(v, h);
    }
    alignas(32) float tl[8], th[8];
    _mm256_store_ps(tl, l);
    _mm256_store_ps(th, h);
    for (int j = 0; j < 8; j++) { *lo = tl[j] < *lo ? tl[j] : *lo; *hi = th[j] > *hi ? th[j] : *hi; }
    q_row_range_base(row + kk, k - kk, lo, hi);
}

inline int q_quantize_row_avx2(const float* row, i64 k, float sa, float za, uint8_t* d) {
    const __m256 vs = _mm256_set1_ps(sa), vz = _mm256_set1_ps(za), lo = _mm256_set1_ps(-1e6f), hi = _mm256_set1_ps(1e6f);
    const __m256 magic = _mm256_set1_ps(12582912.f), zero = _mm256_setzero_ps(), top = _mm256_set1_ps(255.f);
    int bad = 0;
    i64 kk = 0;
    alignas(32) int32_t t[8];
    for (; kk + 8 <= k; kk += 8) {
        __m256 x = _mm256_loadu_ps(row + kk);
        bad |= _mm256_movemask_ps(_mm256_cmp_ps(_mm256_sub_ps(x, x), zero, _CMP_NEQ_UQ));
        __m256 v = _mm256_min_ps(_mm256_max_ps(_mm256_div_ps(x, vs), lo), hi);
        __m256 r = _mm256_add_ps(_mm256_sub_ps(_mm256_add_ps(v, magic), magic), vz);
        r = _mm256_min_ps(_mm256_max_ps(r, zero), top);
        _mm256_store_si256((__m256i*)t, _mm256_cvttps_epi32(r));
        for (int j = 0; j < 8; j++) d[kk + j] = (uint8_t)t[j];
    }
    return (bad != 0) | q_quantize_row_base(row + kk, k - kk, sa, za, d + kk);
}

inline __m256i q_bcast4_16(const uint8_t* a) {
    int64_t v = (int64_t)a[0] | ((int64_t)a[1] << 16) | ((int64_t)a[2] << 32) | ((int64_t)a[3] << 48);
    return _mm256_set1_epi64x(v);
}

// acc0: columns 0-3 (two lanes each), acc1: columns 4-7 -> the 8 column sums in order.
inline __m256i q_pairs(__m256i acc0, __m256i acc1) {
    return _mm256_permute4x64_epi64(_mm256_hadd_epi32(acc0, acc1), 0xD8);
}

inline void q_store8(float* c, __m256i sums, const int32_t* corr, const float* scale, int cols) {
    __m256 v = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_sub_epi32(sums, _mm256_loadu_si256((const __m256i*)corr))), _mm256_loadu_ps(scale));
    if (cols >= 8) { _mm256_storeu_ps(c, v); return; }
    alignas(32) float t[8];
    _mm256_store_ps(t, v);
    for (int j = 0; j < cols; j++) c[j] = t[j];
}

// R rows x columns [h * 16, h * 16 + 16) of one panel.
template <int R>
inline void q_tile_avx2(const Int8Gemm& g, i64 i, const int8_t* bp, int h, i64 j0, int cols) {
    __m256i acc[R][4];
    #pragma GCC unroll 32
    for (int r = 0; r < R; r++) for (int q = 0; q < 4; q++) acc[r][q] = _mm256_setzero_si256();
    const uint8_t* a = g.aq + i * g.kq;
    const i64 groups = g.kq / 4;
    bp += h * 64;
    for (i64 s = 0; s < groups; s++, bp += QSTEP) {
        __m256i b[4];
        #pragma GCC unroll 32
        for (int q = 0; q < 4; q++) b[q] = _mm256_cvtepi8_epi16(_mm_loadu_si128((const __m128i*)(bp + 16 * q)));
        #pragma GCC unroll 32
        for (int r = 0; r < R; r++) {
            __m256i va = q_bcast4_16(a + r * g.kq + 4 * s);
            #pragma GCC unroll 32
            for (int q = 0; q < 4; q++) acc[r][q] = _mm256_add_epi32(acc[r][q], _mm256_madd_epi16(b[q], va));
        }
    }
    #pragma GCC unroll 32
    for (int r = 0; r < R; r++) {
        float* c = g.c + (i + r) * g.ldc + j0 + h * 16;
        i64 jc = j0 + h * 16;
        int left = cols - h * 16;
        q_store8(c, q_pairs(acc[r][0], acc[r][1]), g.corr + jc, g.scale + jc, left);
        if (left > 8) q_store8(c + 8, q_pairs(acc[r][2], acc[r][3]), g.corr + jc + 8, g.scale + jc + 8, left - 8);
    }
}

inline void q_block_avx2(const Int8Gemm& g, i64 i0, i64 i1, i64 p0, i64 p1) {
    const i64 pbytes = g.kq / 4 * QSTEP;
    for (i64 p = p0; p < p1; p++) {
        i64 j0 = p * QPANEL;
        int cols = (int)std::min<i64>(QPANEL, g.n - j0);
        for (int h = 0; h * 16 < cols; h++)
            for (i64 i = i0; i < i1; i += 2) {
                if (i1 - i >= 2) q_tile_avx2<2>(g, i, g.bp + p * pbytes, h, j0, cols);
                else q_tile_avx2<1>(g, i, g.bp + p * pbytes, h, j0, cols);
            }
    }
}
#pragma GCC pop_options
#endif

typedef void (*QBlock)(const Int8Gemm&, i64, i64, i64, i64);

// One ISA's int8 kernels: the product, the quantisation of A, its range.
struct QKernels {
    QBlock block;
    QQuantize quantize;
    QRange range;
    const char* name;
};

// The widest int8 kernels this CPU runs, chosen once: "amx", "avx512vnni", "avx2" or "baseline".
// ENGINE_CPU_ISA=avx512vnni, avx2 or baseline narrows the choice, as for the F32 kernel.
inline const QKernels& q_kernels(const char** name) {
    static const QKernels pick = [] {
        const char* want = std::getenv("ENGINE_CPU_ISA");
        std::string w = want ? want : "";
#ifdef ENGINE_X86_INT8
        __builtin_cpu_init();
        bool vnni = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
                && __builtin_cpu_supports("avx512vnni");
        bool narrow = w == "avx512vnni" || w == "avx512" || w == "avx2" || w == "baseline";
        if (!narrow && vnni && amx_usable()) return QKernels{q_block_amx, q_quantize_row_avx512, q_row_range_avx512, "amx"};
        if (w != "avx2" && w != "baseline" && vnni) return QKernels{q_block_vnni, q_quantize_row_avx512, q_row_range_avx512, "avx512vnni"};
        if (w != "baseline" && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
            return QKernels{q_block_avx2, q_quantize_row_avx2, q_row_range_avx2, "avx2"};
#endif
        return QKernels{q_block_base, q_quantize_row_base, q_row_range_base, "baseline"};
    }();
    if (name) *name = pick.name;
    return pick;
}

template <typename T> std::vector<T>& q_scratch() {
    static thread_local std::vector<T> buf;
    return buf;
}

// The convolution's [P, K] GEMM output (q_scratch<float> holds the GEMM's scales meanwhile).
inline std::vector<float>& conv_tmp() {
    static thread_local std::vector<float> buf;
    return buf;
}

// The product of already quantised rows g.aq (g.kq bytes each) with sa and za: column corrections and
// scales, then the blocks on the pool.
inline void int8_gemm_quantized(Int8Gemm g, const uint8_t* packed, float sa, int za) {
    i64 npad = q_cols_padded(g.n);
    const int32_t* sums = reinterpret_cast<const int32_t*>(packed + q_data_bytes(g.k, g.n));
    const float* wsc = reinterpret_cast<const float*>(sums + npad);
    std::vector<int32_t>& corr = q_scratch<int32_t>();
    std::vector<float>& scale = q_scratch<float>();
    corr.resize((size_t)npad);
    scale.resize((size_t)npad);
    for (i64 j = 0; j < npad; j++) { corr[j] = za * sums[j]; scale[j] = sa * wsc[j]; }
    g.bp = reinterpret_cast<const int8_t*>(packed);
    g.corr = corr.data();
    g.scale = scale.data();
    QBlock block = q_kernels().block;
    int nt = (double)g.m * g.n * g.k < 4 * PACKED_PARALLEL_MACS ? 1 : thread_count().load(std::memory_order_relaxed);
    if (nt <= 1) product_range(g, block, 0, 1);
    else run_on_threads(nt, [&](int t, int n) { product_range(g, block, t, n); });
}

// The whole call: quantise A (dynamic: its range first), the int8 product on the pool, NaN rows where A
// held a non-finite value. dynamic false: sa and za as given.
inline void int8_gemm(Int8Gemm g, const uint8_t* packed, bool dynamic, float sa, int za) {
    if (g.m == 0 || g.n == 0) return;
    const QKernels& kern = q_kernels();
    if (dynamic) dynamic_params(kern.range, g.a, g.lda, g.m, g.k, &sa, &za);
    g.kq = 4 * q_groups(g.k);
    std::vector<uint8_t>& aq = q_scratch<uint8_t>();
    aq.resize((size_t)(g.m * g.kq + g.m));
    uint8_t* bad = aq.data() + g.m * g.kq;
    quantize_rows(kern.quantize, g.a, g.lda, g.m, g.k, sa, za, aq.data(), g.kq, bad);
    g.aq = aq.data();
    int8_gemm_quantized(g, packed, sa, za);
    for (i64 i = 0; i < g.m; i++)
        if (bad[i]) for (i64 j = 0; j < g.n; j++) g.c[i * g.ldc + j] = NAN;
}

// ---- convolution: im2col of the quantised input, then the int8 GEMM -----------------------------------

// Rows of the im2col matrix: one per output position, its C*R*S input bytes in KCRS order (outside the
// image: z, the zero point), zero padding to kq. Each (c, r) tap row is one run of S bytes, copied without
// bounds checks where it lies inside the image (dilation 1).
inline void q_im2col(const ConvShape& g, const uint8_t* xq, uint8_t z, uint8_t* col, i64 kq) {
    const i64 oh = g.out_h(), ow = g.out_w();
    for (i64 oy = 0; oy < oh; oy++)
        for (i64 ox = 0; ox < ow; ox++) {
            uint8_t* row = col + (oy * ow + ox) * kq;
            const i64 ix0 = ox * g.stride_w - g.pad_w, last = ix0 + (g.s - 1) * g.dil_w;
            const bool inside = ix0 >= 0 && last < g.w && g.dil_w == 1;
            i64 t = 0;
            for (i64 c = 0; c < g.c; c++)
                for (i64 r = 0; r < g.r; r++, t += g.s) {
                    i64 iy = oy * g.stride_h - g.pad_h + r * g.dil_h;
                    if (iy < 0 || iy >= g.h) { for (i64 q = 0; q < g.s; q++) row[t + q] = z; continue; }
                    const uint8_t* src = xq + (c * g.h + iy) * g.w;
                    if (inside) { for (i64 q = 0; q < g.s; q++) row[t + q] = src[ix0 + q]; continue; }  // S is small: no memcpy call
                    for (i64 q = 0; q < g.s; q++) {
                        i64 ix = ix0 + q * g.dil_w;
                        row[t + q] = (ix >= 0 && ix < g.w) ? src[ix] : z;
                    }
                }
            for (; t < kq; t++) row[t] = 0;
        }
}

// An NCHW convolution (groups 1) with a weight packed as the [C*R*S, K] int8 matrix: per image, the input
// quantised once, its windows gathered into rows of C*R*S bytes (padding = the zero point, i.e. 0.0), the
// GEMM into a [P, K] block (P = OH*OW) with bias and activation, transposed into y's [K, P]. An image
// holding a NaN or an infinity gives NaN outputs.
inline void conv2d_int8(const ConvShape& g, const float* x, const uint8_t* packed, const float* bias, int act, float* y,
                        bool dynamic, float sa, int za) {
    const QKernels& kern = q_kernels();
    const i64 oh = g.out_h(), ow = g.out_w(), P = oh * ow, crs = g.c * g.r * g.s, img = g.c * g.h * g.w;
    if (g.n == 0 || g.k == 0 || P == 0) return;
    if (dynamic) dynamic_params(kern.range, x, 0, 1, g.n * img, &sa, &za);
    const i64 kq = 4 * q_groups(crs);
    std::vector<uint8_t>& xq = q_scratch<uint8_t>();
    xq.resize((size_t)(img + P * kq));
    uint8_t* col = xq.data() + img;
    std::vector<float>& tmp = conv_tmp();
    tmp.resize((size_t)(P * g.k));
    for (i64 b = 0; b < g.n; b++) {
        const float* xb = x + b * img;
        float* yb = y + b * g.k * P;
        bool bad = kern.quantize(xb, img, sa, (float)za, xq.data()) != 0;
        q_im2col(g, xq.data(), (uint8_t)za, col, kq);
        Int8Gemm m{};
        m.m = P; m.n = g.k; m.k = crs; m.kq = kq; m.aq = col;
        m.c = tmp.data(); m.ldc = g.k; m.act = OP_IDENTITY;
        int8_gemm_quantized(m, packed, sa, za);
        // bias and activation per output channel after the transpose: one long row each, not P short ones
        for (i64 p = 0; p < P; p++)
            for (i64 k = 0; k < g.k; k++) yb[k * P + p] = bad ? NAN : tmp[p * g.k + k];
        for (i64 k = 0; k < g.k; k++) {
            float* row = yb + k * P;
            if (bias) for (i64 p = 0; p < P; p++) row[p] += bias[k];
            epilogue_row<float>(row, P, nullptr, nullptr, act, 0.f);
        }
    }
}

}  // namespace engine
