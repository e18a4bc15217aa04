// BF16 GEMM of a frozen model's linear layer: C = epilogue(bf16(A) bf16(B)) with F32 sums, where B is
// rounded to bf16 (round to nearest even) and packed once, and A (F32 activations) is rounded per call.
//
// Packed layout (uint16): ceil(n / 32) panels of 32 columns, each bf_stride(k) groups (k / 2 rounded up to
// a multiple of 16, zero-padded) of 32 columns x 2 consecutive k values, which is the operand order of
// vdpbf16ps (one 32-bit lane = the pair of one column) and, read as two 16-column halves with a 128-byte
// row stride, the B tile of AMX's tdpbf16ps. A's rows are rounded into the same pairs.
//
// Variants: AMX tiles (Intel; 6x the vdpbf16ps kernel at 64 x 784 x 512 where measured), vdpbf16ps
// (AVX512_BF16), and the widening fallback (AVX2 or baseline: each pair split into F32 values). In the
// vdpbf16ps and fallback kernels every element is one sequential chain over the k pairs, odd k value
// before even as vdpbf16ps adds them; a product of two bf16 values is exact in F32, so those variants
// round the same sums (up to denormal flushing). AMX sums inside the tile unit in its own order, so it
// may differ from them in the last bits. Within a variant the tiling never changes how an element is
// summed, so a row's result depends neither on the batch nor on the thread count.
#pragma once
#include "common.h"
#include "elementwise.h"
#include "packed_gemm.h"
#include "amx.h"
#include "../common/rounding.h"
#include <cstdlib>
#include <string>
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#include <immintrin.h>
#endif

#pragma GCC diagnostic ignored "-Wpsabi"

namespace engine {

const int BPANEL = 32;                  // columns per panel
const int BSTEP = BPANEL;               // 32-bit words (column pairs) of one k group of a panel
const int BAMX_ROWS = 16;               // rows of an AMX tile

typedef uint32_t u16x32 __attribute__((vector_size(64)));            // 16 lanes of uint32
typedef uint32_t u16x32u __attribute__((vector_size(64), aligned(4)));

const int BKSTEP = 16;                  // pairs per AMX tile row block: panels and rows of A are padded to it

inline i64 bf_pairs(i64 k) { return (k + 1) / 2; }
// Pairs a panel (and a rounded row of A) holds: k / 2 rounded up to whole AMX k steps, the rest zero.
inline i64 bf_stride(i64 k) { return (bf_pairs(k) + BKSTEP - 1) / BKSTEP * BKSTEP; }
// 32-bit words of a packed k x n matrix.
inline i64 bf_packed_words(i64 k, i64 n) { return packed_panels(n) * bf_stride(k) * BSTEP; }

// The 16 bits of f rounded to bfloat16 (native/common/rounding.h's rule: nearest even, NaN stays a quiet NaN).
ENGINE_INLINE uint32_t bf16_bits(float f) { return engine_abi::bf16_encode(f); }

// Panels [p0, p1) of dst <- op(B) (k x n) in bf16 pairs: B row-major with row stride ldb, or (trans) B's
// transpose stored n x k. Each loop order reads its source along rows.
inline void pack_bf16_panels(const float* b, i64 ldb, bool trans, i64 k, i64 n, uint32_t* dst, i64 p0, i64 p1) {
    const i64 ks = bf_stride(k), kp = bf_pairs(k);
    for (i64 p = p0; p < p1; p++) {
        uint32_t* pp = dst + p * ks * BSTEP;
        const i64 j0 = p * BPANEL, cols = std::min<i64>(BPANEL, n - j0);
        std::memset(pp, 0, (size_t)(ks * BSTEP * 4));
        if (trans) {
            for (i64 jj = 0; jj < cols; jj++) {
                const float* col = b + (j0 + jj) * ldb;
                for (i64 s = 0; s < kp; s++)
                    pp[s * BSTEP + jj] = bf16_bits(col[2 * s]) | (2 * s + 1 < k ? bf16_bits(col[2 * s + 1]) << 16 : 0u);
            }
        } else {
            for (i64 s = 0; s < kp; s++) {
                const float* lo = b + 2 * s * ldb + j0;
                const float* hi = 2 * s + 1 < k ? lo + ldb : nullptr;
                uint32_t* d = pp + s * BSTEP;
                for (i64 jj = 0; jj < cols; jj++) d[jj] = bf16_bits(lo[jj]) | (hi ? bf16_bits(hi[jj]) << 16 : 0u);
            }
        }
    }
}

// dst <- b (k x n, row stride ldb) in bf16 pairs, panel by panel.
inline void pack_bf16(const float* b, i64 ldb, i64 k, i64 n, uint32_t* dst) {
    pack_bf16_panels(b, ldb, false, k, n, dst, 0, packed_panels(n));
}

struct Bf16Gemm {
    i64 m, n, kp, ks, ldc, ldr;         // kp: pairs of k; ks: pairs per row of A and per panel (padded)
    const uint32_t* a;                  // A rounded to bf16 pairs: rows of ks words
    const uint32_t* bp;                 // packed panels
    const float *bias, *res;
    float* c;
    float actParam;
    int act;
};

// Rows [0, m) of A (row stride lda, k values) -> bf16 pairs (kp words a row, the last one zero-padded).
// Sixteen pairs at a time in vector code (inlined into, and compiled for, each ISA's caller).
ENGINE_INLINE void bf16_rows(const float* a, i64 lda, i64 m, i64 k, uint32_t* dst) {
    const i64 kp = bf_pairs(k), ks = bf_stride(k);
    for (i64 i = 0; i < m; i++) {
        const float* row = a + i * lda;
        uint32_t* d = dst + i * ks;
        i64 s = 0;
        for (; 2 * s + 32 <= k; s += 16) {
            u16x32 lo, hi;  // even and odd k of 16 pairs
            for (int q = 0; q < 16; q++) {
                uint32_t e, o;
                std::memcpy(&e, row + 2 * (s + q), 4);
                std::memcpy(&o, row + 2 * (s + q) + 1, 4);
                lo[q] = e;
                hi[q] = o;
            }
            const u16x32 absmask = u16x32{} + 0x7fffffffu, inf = u16x32{} + 0x7f800000u;
            u16x32 rl = (lo + 0x7fffu + ((lo >> 16) & 1u)) >> 16, rh = (hi + 0x7fffu + ((hi >> 16) & 1u)) >> 16;
            rl = ((lo & absmask) > inf) ? ((lo >> 16) | 0x40u) : rl;
            rh = ((hi & absmask) > inf) ? ((hi >> 16) | 0x40u) : rh;
            *reinterpret_cast<u16x32u*>(d + s) = rl | (rh << 16);
        }
        for (; s < kp; s++) {
            uint32_t e = bf16_bits(row[2 * s]), o = 2 * s + 1 < k ? bf16_bits(row[2 * s + 1]) : 0u;
            d[s] = e | (o << 16);
        }
        for (; s < ks; s++) d[s] = 0;
    }
}

// Rows [0, m) of A stored transposed (A[i][kk] = at[kk * ldat + i]) -> bf16 pairs as bf16_rows writes them;
// reads two source rows at a time along i.
inline void bf16_rows_t(const float* at, i64 ldat, i64 m, i64 k, uint32_t* dst) {
    const i64 kp = bf_pairs(k), ks = bf_stride(k);
    for (i64 s = 0; s < ks; s++) {
        if (s >= kp) {
            for (i64 i = 0; i < m; i++) dst[i * ks + s] = 0;
            continue;
        }
        const float* lo = at + 2 * s * ldat;
        const float* hi = 2 * s + 1 < k ? lo + ldat : nullptr;
        for (i64 i = 0; i < m; i++) dst[i * ks + s] = bf16_bits(lo[i]) | (hi ? bf16_bits(hi[i]) << 16 : 0u);
    }
}

// ---- the widening fallback: each pair split into two F32 vectors, odd k multiplied and added first ------

// 8-lane vectors here: GCC lowers the 64-byte ones of packed_gemm.h badly for this mix of integer and
// float operations on AVX2 (the accumulators went through memory every step).
typedef float f8 __attribute__((vector_size(32)));
typedef uint32_t u8x8 __attribute__((vector_size(32)));
typedef uint32_t u8x8u __attribute__((vector_size(32), aligned(4)));

ENGINE_INLINE float bf_odd1(uint32_t w) { w &= 0xffff0000u; float f; std::memcpy(&f, &w, 4); return f; }
ENGINE_INLINE float bf_even1(uint32_t w) { w <<= 16; float f; std::memcpy(&f, &w, 4); return f; }

// R rows x the first `groups` 8-column groups of one panel.
template <int R, int GROUPS>
ENGINE_INLINE void bf_tile_wide(const Bf16Gemm& g, i64 i, const uint32_t* bp, i64 j0, int cols) {
    f8 acc[R][GROUPS];
    #pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
        #pragma GCC unroll 8
        for (int q = 0; q < GROUPS; q++) acc[r][q] = f8{};
    }
    const uint32_t* a = g.a + i * g.ks;
    for (i64 s = 0; s < g.kp; s++, bp += BSTEP) {
        float ao[R], ae[R];
        #pragma GCC unroll 8
        for (int r = 0; r < R; r++) { ao[r] = bf_odd1(a[r * g.ks + s]); ae[r] = bf_even1(a[r * g.ks + s]); }
        #pragma GCC unroll 8
        for (int q = 0; q < GROUPS; q++) {
            u8x8 w = *reinterpret_cast<const u8x8u*>(bp + 8 * q);
            f8 bo = (f8)(w & 0xffff0000u), be = (f8)(w << 16);
            #pragma GCC unroll 8
            for (int r = 0; r < R; r++) {
                acc[r][q] += ao[r] * bo;
                acc[r][q] += ae[r] * be;
            }
        }
    }
    #pragma GCC unroll 8
    for (int r = 0; r < R; r++) {
        alignas(32) float t[32];
        #pragma GCC unroll 8
        for (int q = 0; q < GROUPS; q++) *reinterpret_cast<f8*>(t + 8 * q) = acc[r][q];
        float* c = g.c + (i + r) * g.ldc + j0;
        for (int j = 0; j < cols; j++) c[j] = t[j];
    }
}

template <int R>
ENGINE_INLINE void bf_tile_cols(const Bf16Gemm& g, i64 i, const uint32_t* bp, i64 j0, int cols) {
    switch ((cols + 7) / 8) {
        case 4: bf_tile_wide<R, 4>(g, i, bp, j0, cols); break;
        case 3: bf_tile_wide<R, 3>(g, i, bp, j0, cols); break;
        case 2: bf_tile_wide<R, 2>(g, i, bp, j0, cols); break;
        default: bf_tile_wide<R, 1>(g, i, bp, j0, cols); break;
    }
}

template <int RMAX>
ENGINE_INLINE void bf_block_wide(const Bf16Gemm& g, i64 i0, i64 i1, i64 p0, i64 p1) {
    for (i64 p = p0; p < p1; p++) {
        i64 j0 = p * BPANEL;
        int cols = (int)std::min<i64>(BPANEL, g.n - j0);
        const uint32_t* bp = g.bp + p * g.ks * BSTEP;
        for (i64 i = i0; i < i1;) {
            if (i1 - i >= RMAX) {
                bf_tile_cols<RMAX>(g, i, bp, j0, cols);
                i += RMAX;
            } else {
                bf_tile_cols<1>(g, i, bp, j0, cols);
                i++;
            }
        }
    }
}

typedef void (*BfBlock)(const Bf16Gemm&, i64, i64, i64, i64);
typedef void (*BfRows)(const float*, i64, i64, i64, uint32_t*);

inline void bf_block_base(const Bf16Gemm& g, i64 i0, i64 i1, i64 p0, i64 p1) { bf_block_wide<1>(g, i0, i1, p0, p1); }
inline void bf_rows_base(const float* a, i64 lda, i64 m, i64 k, uint32_t* d) { bf16_rows(a, lda, m, k, d); }

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ENGINE_X86_BF16 1
__attribute__((target("avx2,fma"))) inline void bf_block_avx2(const Bf16Gemm& g, i64 i0, i64 i1, i64 p0, i64 p1) { bf_block_wide<2>(g, i0, i1, p0, p1); }
__attribute__((target("avx2,fma"))) inline void bf_rows_avx2(const float* a, i64 lda, i64 m, i64 k, uint32_t* d) { bf16_rows(a, lda, m, k, d); }

// ---- AVX512_BF16: vdpbf16ps, R rows x one or two panels, or one row x P panels -------------------------
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512bf16")

// acc += pairs a x pairs b. Inline asm, not _mm512_dpbf16_ps: GCC 12 copies accumulators around such
// builtins (see int8_gemm.h).
#define BF_DP(acc, a, b) __asm__("vdpbf16ps %2, %1, %0" : "+v"(acc) : "v"(a), "v"(b))

inline void bf_store16(float* c, v16 v, int cols) {
    if (cols >= 16) store16(c, v);
    else if (cols > 0) _mm512_mask_storeu_ps(c, (__mmask16)((1u << cols) - 1), (__m512)v);
}

inline v16 bf_bcast(uint32_t w) { return (v16)(u16x32{} + w); }

// R rows x two adjacent panels: 4 loads of B and R broadcasts feed 4R vdpbf16ps.
template <int R>
inline void bf_tile2_avx512(const Bf16Gemm& g, i64 i, i64 p) {
    v16 acc[R][4];
    #pragma GCC unroll 32
    for (int r = 0; r < R; r++) { acc[r][0] = v16{}; acc[r][1] = v16{}; acc[r][2] = v16{}; acc[r][3] = v16{}; }
    const uint32_t* a = g.a + i * g.ks;
    const i64 pw = g.ks * BSTEP;
    const uint32_t* b0 = g.bp + p * pw;
    const uint32_t* b1 = b0 + pw;
    for (i64 s = 0; s < g.kp; s++, b0 += BSTEP, b1 += BSTEP) {
        v16 w0 = load16(reinterpret_cast<const float*>(b0)), w1 = load16(reinterpret_cast<const float*>(b0 + 16));
        v16 w2 = load16(reinterpret_cast<const float*>(b1)), w3 = load16(reinterpret_cast<const float*>(b1 + 16));
        #pragma GCC unroll 32
        for (int r = 0; r < R; r++) {
            v16 va = bf_bcast(a[r * g.ks + s]);
            BF_DP(acc[r][0], va, w0);
            BF_DP(acc[r][1], va, w1);
            BF_DP(acc[r][2], va, w2);
            BF_DP(acc[r][3], va, w3);
        }
    }
    i64 j0 = p * BPANEL;
    int cols = (int)std::min<i64>(2 * BPANEL, g.n - j0);
    #pragma GCC unroll 32
    for (int r = 0; r < R; r++) {
        float* c = g.c + (i + r) * g.ldc + j0;
        bf_store16(c, acc[r][0], cols);
        bf_store16(c + 16, acc[r][1], cols - 16);
        bf_store16(c + 32, acc[r][2], cols - 32);
        bf_store16(c + 48, acc[r][3], cols - 48);
    }
}

template <int R, bool WIDE>
inline void bf_tile_avx512(const Bf16Gemm& g, i64 i, i64 p) {
    v16 lo[R], hi[R];
    #pragma GCC unroll 32
    for (int r = 0; r < R; r++) { lo[r] = v16{}; hi[r] = v16{}; }
    const uint32_t* a = g.a + i * g.ks;
    const uint32_t* bp = g.bp + p * g.ks * BSTEP;
    for (i64 s = 0; s < g.kp; s++, bp += BSTEP) {
        v16 b0 = load16(reinterpret_cast<const float*>(bp)), b1 = WIDE ? load16(reinterpret_cast<const float*>(bp + 16)) : v16{};
        #pragma GCC unroll 32
        for (int r = 0; r < R; r++) {
            v16 va = bf_bcast(a[r * g.ks + s]);
            BF_DP(lo[r], va, b0);
            if (WIDE) BF_DP(hi[r], va, b1);
        }
    }
    i64 j0 = p * BPANEL;
    int cols = (int)std::min<i64>(BPANEL, g.n - j0);
    #pragma GCC unroll 32
    for (int r = 0; r < R; r++) {
        float* c = g.c + (i + r) * g.ldc + j0;
        bf_store16(c, lo[r], cols);
        if (WIDE) bf_store16(c + 16, hi[r], cols - 16);
    }
}

// One row x P consecutive panels (batch 1: enough independent sums in flight while B streams past).
template <int P>
inline void bf_row_avx512(const Bf16Gemm& g, i64 i, i64 p) {
    v16 acc[2 * P];
    #pragma GCC unroll 32
    for (int q = 0; q < 2 * P; q++) acc[q] = v16{};
    const uint32_t* a = g.a + i * g.ks;
    const i64 pw = g.ks * BSTEP;
    const uint32_t* bp = g.bp + p * pw;
    for (i64 s = 0; s < g.kp; s++, bp += BSTEP) {
        v16 va = bf_bcast(a[s]);
        #pragma GCC unroll 32
        for (int q = 0; q < P; q++) {
            BF_DP(acc[2 * q], va, load16(reinterpret_cast<const float*>(bp + q * pw)));
            BF_DP(acc[2 * q + 1], va, load16(reinterpret_cast<const float*>(bp + q * pw + 16)));
        }
    }
    #pragma GCC unroll 32
    for (int q = 0; q < P; q++) {
        i64 j0 = (p + q) * BPANEL;
        int cols = (int)std::min<i64>(BPANEL, g.n - j0);
        float* c = g.c + i * g.ldc + j0;
        bf_store16(c, acc[2 * q], cols);
        bf_store16(c + 16, acc[2 * q + 1], cols - 16);
    }
}

inline void bf_rows2_avx512(const Bf16Gemm& g, i64 i, i64 end, i64 p) {
    switch ((int)std::min<i64>(6, end - i)) {
        case 6: bf_tile2_avx512<6>(g, i, p); break;
        case 5: bf_tile2_avx512<5>(g, i, p); break;
        case 4: bf_tile2_avx512<4>(g, i, p); break;
        case 3: bf_tile2_avx512<3>(g, i, p); break;
        case 2: bf_tile2_avx512<2>(g, i, p); break;
        default: bf_tile2_avx512<1>(g, i, p); break;
    }
}

template <bool WIDE>
inline void bf_rows1_avx512(const Bf16Gemm& g, i64 i, i64 end, i64 p) {
    switch ((int)std::min<i64>(8, end - i)) {
        case 8: bf_tile_avx512<8, WIDE>(g, i, p); break;
        case 7: bf_tile_avx512<7, WIDE>(g, i, p); break;
        case 6: bf_tile_avx512<6, WIDE>(g, i, p); break;
        case 5: bf_tile_avx512<5, WIDE>(g, i, p); break;
        case 4: bf_tile_avx512<4, WIDE>(g, i, p); break;
        case 3: bf_tile_avx512<3, WIDE>(g, i, p); break;
        case 2: bf_tile_avx512<2, WIDE>(g, i, p); break;
        default: bf_tile_avx512<1, WIDE>(g, i, p); break;
    }
}

inline void bf_block_avx512(const Bf16Gemm& g, i64 i0, i64 i1, i64 p0, i64 p1) {
    if (i1 - i0 == 1) {
        for (i64 p = p0; p < p1; p += 4) {
            switch ((int)std::min<i64>(4, p1 - p)) {
                case 4: bf_row_avx512<4>(g, i0, p); break;
                case 3: bf_row_avx512<3>(g, i0, p); break;
                case 2: bf_row_avx512<2>(g, i0, p); break;
                default: bf_row_avx512<1>(g, i0, p); break;
            }
        }
        return;
    }
    i64 p = p0;
    for (; p + 1 < p1; p += 2)
        for (i64 i = i0; i < i1; i += 6) bf_rows2_avx512(g, i, i1, p);
    for (; p < p1; p++) {
        bool wide = g.n - p * BPANEL > 16;
        for (i64 i = i0; i < i1; i += 8) {
            if (wide) bf_rows1_avx512<true>(g, i, i1, p);
            else bf_rows1_avx512<false>(g, i, i1, p);
        }
    }
}

inline void bf_rows_avx512(const float* a, i64 lda, i64 m, i64 k, uint32_t* d) { bf16_rows(a, lda, m, k, d); }
#undef BF_DP
#pragma GCC pop_options

// ---- AMX-BF16: tdpbf16ps on 16 x 16 F32 tiles; 32 rows x one 32-column panel per block (four C tiles) ------
// A tile: 16 rows x 16 pairs of A (row stride ks words); B tile: 16 pairs x 16 columns of a panel (the packed
// layout as is, row stride one k group = 128 bytes). Needs the kernel's permission (arch_prctl) once per process
// and the tile configuration on every thread that runs it.
#pragma GCC push_options
#pragma GCC target("amx-tile,amx-bf16,avx512f,avx512bw,avx512vl,avx512bf16")

// Tiles 0-3: C; 4, 5: A; 6, 7: B. `rows` (1-16) rows in tiles 0, 1 and 4, the ones a block of at most 16 rows
// uses: fewer rows are fewer passes through the tile unit (a batch-1 product need not compute 15 padding rows),
// and each row is summed as in a full tile.
ENGINE_INLINE void bf_amx_configure(int rows) {  // always inlined into its caller of the same target
    AmxConfig c;
    std::memset(&c, 0, sizeof c);
    c.palette = 1;
    for (int t = 0; t < 8; t++) { c.rows[t] = 16; c.colsb[t] = 64; }
    c.rows[0] = c.rows[1] = c.rows[4] = (uint8_t)rows;
    amx_load_config(c);
}

// The 16 x 16 F32 tile T into rows [i, i + rows) x columns [j, j + cols) of C.
#define BF_AMX_STORE(T, i, j, rows, cols)                                                                   \
    do {                                                                                                   \
        if ((rows) == 16 && (cols) == 16) { _tile_stored(T, g.c + (i) * g.ldc + (j), g.ldc * 4); break; }  \
        alignas(64) float t_[256];                                                                         \
        _tile_stored(T, t_, 64);                                                                           \
        for (int r_ = 0; r_ < (rows); r_++)                                                                \
            for (int c_ = 0; c_ < (cols); c_++) g.c[((i) + r_) * g.ldc + (j) + c_] = t_[r_ * 16 + c_];      \
    } while (0)

inline void bf_block_amx(const Bf16Gemm& g, i64 i0, i64 i1, i64 p0, i64 p1) {
    int configured = 16;
    bf_amx_configure(configured);
    const i64 pw = g.ks * BSTEP, astride = g.ks * 4;
    for (i64 p = p0; p < p1; p++) {
        const i64 j0 = p * BPANEL;
        const int cols = (int)std::min<i64>(BPANEL, g.n - j0);
        const uint32_t* bp = g.bp + p * pw;
        for (i64 i = i0; i < i1; i += 32) {
            const int rows = (int)std::min<i64>(32, i1 - i);
            const int want = std::min(rows, 16);
            if (want != configured) bf_amx_configure(configured = want);
            const uint32_t* a = g.a + i * g.ks;
            _tile_zero(0); _tile_zero(1); _tile_zero(2); _tile_zero(3);
            for (i64 s = 0; s < g.ks; s += BKSTEP) {
                _tile_loadd(6, bp + s * BSTEP, BSTEP * 4);
                _tile_loadd(7, bp + s * BSTEP + 16, BSTEP * 4);
                _tile_loadd(4, a + s, astride);
                _tile_dpbf16ps(0, 4, 6);
                _tile_dpbf16ps(1, 4, 7);
                if (rows > 16) {
                    _tile_loadd(5, a + 16 * g.ks + s, astride);
                    _tile_dpbf16ps(2, 5, 6);
                    _tile_dpbf16ps(3, 5, 7);
                }
            }
            const int r0 = std::min(rows, 16), c1 = std::max(0, cols - 16);
            BF_AMX_STORE(0, i, j0, r0, std::min(cols, 16));
            if (c1 > 0) BF_AMX_STORE(1, i, j0 + 16, r0, c1);
            if (rows > 16) {
                BF_AMX_STORE(2, i + 16, j0, rows - 16, std::min(cols, 16));
                if (c1 > 0) BF_AMX_STORE(3, i + 16, j0 + 16, rows - 16, c1);
            }
        }
    }
    _tile_release();
}
#undef BF_AMX_STORE
#pragma GCC pop_options

#endif

// One ISA's bf16 kernels: the product and the rounding of A.
struct BfKernels {
    BfBlock block;
    BfRows rows;
    const char* name;
};

// The widest bf16 kernels this CPU runs, chosen once: "amx" (where the CPU has AMX-BF16 and Linux grants the
// tile state), "avx512bf16", "avx2" (widening + FMA) or "baseline". ENGINE_CPU_ISA=avx512bf16, avx2 or baseline
// narrows the choice, as for the F32 and int8 kernels.
inline const BfKernels& bf_kernels(const char** name = nullptr) {
    static const BfKernels pick = [] {
        const char* want = std::getenv("ENGINE_CPU_ISA");
        std::string w = want ? want : "";
#ifdef ENGINE_X86_BF16
        __builtin_cpu_init();
        bool bf16 = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
                && __builtin_cpu_supports("avx512bf16");
        bool narrowed = w == "avx512bf16" || w == "avx2" || w == "baseline";
        if (!narrowed && bf16 && __builtin_cpu_supports("amx-tile") && __builtin_cpu_supports("amx-bf16") && amx_tile_permission())
            return BfKernels{bf_block_amx, bf_rows_avx512, "amx"};
        if (w != "avx2" && w != "baseline" && bf16) return BfKernels{bf_block_avx512, bf_rows_avx512, "avx512bf16"};
        if (w != "baseline" && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return BfKernels{bf_block_avx2, bf_rows_avx2, "avx2"};
#endif
        return BfKernels{bf_block_base, bf_rows_base, "baseline"};
    }();
    if (name) *name = pick.name;
    return pick;
}

// The rounded rows of A, per thread (the pool's jobs only read them).
inline std::vector<uint32_t>& bf_scratch() {
    static thread_local std::vector<uint32_t> buf;
    return buf;
}

// The whole call: A (m x k, row stride lda; or stored k x m when trans_a) rounded to bf16 pairs, then the
// product on the pool.
inline void bf16_gemm(Bf16Gemm g, const float* a, i64 lda, i64 k, bool trans_a = false) {
    if (g.m == 0 || g.n == 0) return;
    const BfKernels& kern = bf_kernels();
    g.kp = bf_pairs(k);
    g.ks = bf_stride(k);
    std::vector<uint32_t>& aq = bf_scratch();
    aq.resize((size_t)((g.m + BAMX_ROWS) * std::max<i64>(1, g.ks)));  // AMX loads whole 16-row tiles: rows past m are read, never stored
    if (trans_a) bf16_rows_t(a, lda, g.m, k, aq.data());
    else kern.rows(a, lda, g.m, k, aq.data());
    g.a = aq.data();
    int nt = (double)g.m * g.n * k < 2 * PACKED_PARALLEL_MACS ? 1 : thread_count().load(std::memory_order_relaxed);
    if (nt <= 1) product_range(g, kern.block, 0, 1);
    else run_on_threads(nt, [&](int t, int n) { product_range(g, kern.block, t, n); });
}

}  // namespace engine
