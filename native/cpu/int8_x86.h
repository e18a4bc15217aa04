// The x86 int8 kernels of int8_pack.h's packed layout: AVX-512 VNNI, AMX and AVX2 (each compiled for its
// instruction set and picked at run time in int8_gemm.h).
#pragma once
#include "int8_pack.h"
#include "amx.h"

namespace engine {

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

}  // namespace engine
