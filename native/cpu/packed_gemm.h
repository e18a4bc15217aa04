// GEMM against B packed into column panels (once for a frozen model's weights, per call for eager F32
// products, see gemm.h): C = alpha A B + beta C, then bias, residual and ReLU in each full tile's registers
// (other activations, and a last partial panel, on each finished block while it is still in L1).
//
// Packed layout: ceil(n / PANEL) panels of PANEL columns, each k rows of PANEL floats (the last panel
// zero-padded), so the kernel streams B strictly sequentially. A tile of a few rows x one panel keeps
// its sums in vector registers; a single row (batch 1) walks several panels at once so that enough
// independent sums are in flight. Every output element is one sequential fused multiply-add
// chain over k, whatever the tile, so a row's result does not depend on the batch it came in.
#pragma once
#include "common.h"
#include "elementwise.h"
#include "thread_pool.h"
#include <cstdlib>
#include <string>

// 64-byte vector types in the baseline build only change the ABI of these always-inlined helpers.
#pragma GCC diagnostic ignored "-Wpsabi"

namespace engine {

const int PANEL = 32;          // columns per packed panel: two 16-float vectors
const int TILE_ROWS = 8;       // the tallest register tile (AVX-512: 8 rows x 2 accumulators)
const i64 K_BLOCK = 256;       // steps of k per chunk: a panel's chunk is 32 KB, in L1 beside A's tile
const i64 ROW_BLOCK = 128;     // rows per block of A kept hot while a panel group streams past
const i64 PACKED_PARALLEL_MACS = 1 << 16;  // below this many multiply-adds one thread is faster

typedef float v16 __attribute__((vector_size(64)));
typedef float v16u __attribute__((vector_size(64), aligned(4)));  // unaligned view for loads/stores

inline i64 packed_panels(i64 n) { return (n + PANEL - 1) / PANEL; }
inline i64 packed_size(i64 k, i64 n) { return packed_panels(n) * k * PANEL; }

ENGINE_INLINE v16 load16(const float* p) { return *reinterpret_cast<const v16u*>(p); }
ENGINE_INLINE void store16(float* p, v16 v) { *reinterpret_cast<v16u*>(p) = v; }

// Panels [p0, p1) of dst (packed) <- op(b), k x n: b[kk * ldb + j], or b[j * ldb + kk] when transposed.
inline void pack_b_panels(const float* b, i64 ldb, bool trans, i64 k, i64 n, i64 p0, i64 p1, float* dst) {
    for (i64 p = p0; p < p1; p++) {
        i64 j0 = p * PANEL, cols = std::min<i64>(PANEL, n - j0);
        float* pp = dst + p * k * PANEL;
        if (!trans) {
            for (i64 kk = 0; kk < k; kk++) {
                const float* src = b + kk * ldb + j0;
                float* d = pp + kk * PANEL;
                for (i64 j = 0; j < cols; j++) d[j] = src[j];
                for (i64 j = cols; j < PANEL; j++) d[j] = 0.f;
            }
        } else {
            if (cols < PANEL) for (i64 kk = 0; kk < k; kk++) for (i64 j = cols; j < PANEL; j++) pp[kk * PANEL + j] = 0.f;
            for (i64 j = 0; j < cols; j++) {  // one contiguous row of b per packed column
                const float* src = b + (j0 + j) * ldb;
                for (i64 kk = 0; kk < k; kk++) pp[kk * PANEL + j] = src[kk];
            }
        }
    }
}

// dst (packed) <- b [k][n] with row stride ldb.
inline void pack_b_f32(const float* b, i64 ldb, i64 k, i64 n, float* dst) { pack_b_panels(b, ldb, false, k, n, 0, packed_panels(n), dst); }

// Writes alpha * acc (+ beta * old C) for `cols` columns of one output row.
ENGINE_INLINE void store_row(float* c, int cols, v16 lo, v16 hi, float alpha, float beta) {
    if (cols == PANEL && alpha == 1.f && beta == 0.f) {  // the common case: straight from the registers
        store16(c, lo);
        store16(c + 16, hi);
        return;
    }
    alignas(64) float t[PANEL];
    store16(t, lo * alpha);
    store16(t + 16, hi * alpha);
    if (beta == 0.f) {
        if (cols == PANEL) { store16(c, load16(t)); store16(c + 16, load16(t + 16)); }
        else for (int j = 0; j < cols; j++) c[j] = t[j];
    } else {
        for (int j = 0; j < cols; j++) c[j] = t[j] + beta * c[j];
    }
}

// `cols` floats of one output row into two vectors (zero past cols).
ENGINE_INLINE void load_row(const float* c, int cols, v16& lo, v16& hi) {
    if (cols == PANEL) { lo = load16(c); hi = load16(c + 16); return; }
    alignas(64) float t[PANEL] = {};
    for (int j = 0; j < cols; j++) t[j] = c[j];
    lo = load16(t);
    hi = load16(t + 16);
}

// Bias, residual and ReLU applied to a full tile in its registers before the store (packed_block fuses them
// there: as a separate pass over C they cost a fifth of a 512x128x512 product). Same additions in the same
// order as epilogue_row, so the same bits. bias and res point at the tile's first column (res at its first row).
// A convolution's bias is one value per row (output channel) instead: row_bias points at the tile's first row's,
// and ReLU6 clamps as CLAMP_MIN 0 then CLAMP_MAX 6 do (NaN stays NaN).
struct TileEpilogue { const float* bias; const float* res; i64 ldr; bool relu; const float* row_bias; bool relu6; };

ENGINE_INLINE v16 relu6_v16(v16 v) {
    v = v < 0.f ? v16{} : v;
    return v > 6.f ? v16{} + 6.f : v;
}

ENGINE_INLINE void apply_tile_epilogue(const TileEpilogue& e, int r, v16& lo, v16& hi) {
    if (e.row_bias) { lo += e.row_bias[r]; hi += e.row_bias[r]; }
    if (e.bias) { lo += load16(e.bias); hi += load16(e.bias + 16); }
    if (e.res) { lo += load16(e.res + r * e.ldr); hi += load16(e.res + r * e.ldr + 16); }
    if (e.relu) { lo = lo > 0.f ? lo : v16{}; hi = hi > 0.f ? hi : v16{}; }
    if (e.relu6) { lo = relu6_v16(lo); hi = relu6_v16(hi); }
}

// R rows of A x one panel; with WIDE false only the panel's first 16 columns (a last panel of at most 16
// real columns, e.g. the 10 logits of a classifier, need not multiply the zero padding). With PACKED_A the
// tile of A is k-major (row r of step kk at a[kk * R + r], see pack_a_tile) and lda, acs are unused.
// With `resume` the sums start from C (a later chunk of k, see packed_block) instead of zero. With `epi` (a
// full panel, alpha 1, beta 0) its bias, residual and ReLU are applied before the store.
template <int R, bool WIDE = true, bool PACKED_A = false>
ENGINE_INLINE void tile_rows(const float* a, i64 lda, i64 acs, const float* bp, i64 k, float* c, i64 ldc, int cols, float alpha, float beta,
                             bool resume = false, const TileEpilogue* epi = nullptr) {
    v16 lo[R], hi[R];
    if (resume) for (int r = 0; r < R; r++) load_row(c + r * ldc, cols, lo[r], hi[r]);
    else for (int r = 0; r < R; r++) { lo[r] = v16{}; hi[r] = v16{}; }
    for (i64 kk = 0; kk < k; kk++, bp += PANEL) {
        v16 b0 = load16(bp);
        v16 b1 = WIDE ? load16(bp + 16) : v16{};
        for (int r = 0; r < R; r++) {
            float av = PACKED_A ? a[kk * R + r] : a[r * lda + kk * acs];
            lo[r] += av * b0;
            if (WIDE) hi[r] += av * b1;
        }
    }
    if (epi)
        for (int r = 0; r < R; r++) apply_tile_epilogue(*epi, r, lo[r], hi[r]);
    for (int r = 0; r < R; r++) store_row(c + r * ldc, cols, lo[r], hi[r], alpha, beta);
}

// One row of A x P consecutive panels.
template <int P>
ENGINE_INLINE void row_panels(const float* a, i64 acs, const float* bp, i64 k, float* c, i64 n, i64 j0, float alpha, float beta) {
    v16 lo[P], hi[P];
    for (int q = 0; q < P; q++) { lo[q] = v16{}; hi[q] = v16{}; }
    const i64 stride = k * PANEL;
    for (i64 kk = 0; kk < k; kk++, bp += PANEL) {
        float av = a[kk * acs];
        for (int q = 0; q < P; q++) {
            lo[q] += av * load16(bp + q * stride);
            hi[q] += av * load16(bp + q * stride + 16);
        }
    }
    for (int q = 0; q < P; q++) {
        i64 j = j0 + q * PANEL;
        store_row(c + j, (int)std::min<i64>(PANEL, n - j), lo[q], hi[q], alpha, beta);
    }
}

// A's element (i, kk) is a[i * lda + kk * acs]: acs = 1 for row-major A, acs = its ld (and lda = 1) for
// a transposed one.
struct PackedGemm {
    i64 m, n, k, lda, ldc, ldr;
    i64 acs = 1;
    const float *a, *bp, *bias, *res;
    float *c, alpha, beta, actParam;
    int act;
    bool resume = false;  // the sums continue from C (a later chunk of k)
};

// bias, residual and activation on rows [i0, i1) x columns [j0, j1) of C (of the F32 product, or of an int8 /
// bf16 one: their argument structs share these fields).
template <typename G>
ENGINE_INLINE void packed_epilogue(const G& g, i64 i0, i64 i1, i64 j0, i64 j1) {
    if (!g.bias && !g.res && g.act == OP_IDENTITY) return;
    for (i64 i = i0; i < i1; i++)
        epilogue_row<float>(g.c + i * g.ldc + j0, j1 - j0, g.bias ? g.bias + j0 : nullptr, g.res ? g.res + i * g.ldr + j0 : nullptr, g.act, g.actParam);
}

// A tile of `rows` (<= R) rows of A starting at `a` x one panel: A in place (g.lda, g.acs), or with PACKED_A
// packed by pack_a_tile.
template <int R, bool WIDE, bool PACKED_A>
ENGINE_INLINE void tile_rows_any(const PackedGemm& g, const float* a, int rows, const float* bp, float* c, int cols, const TileEpilogue* epi) {
    static_assert(R <= TILE_ROWS, "tile taller than the switch below");
    switch (rows) {
        case 8: tile_rows<8, WIDE, PACKED_A>(a, g.lda, g.acs, bp, g.k, c, g.ldc, cols, g.alpha, g.beta, g.resume, epi); break;
        case 7: tile_rows<7, WIDE, PACKED_A>(a, g.lda, g.acs, bp, g.k, c, g.ldc, cols, g.alpha, g.beta, g.resume, epi); break;
        case 6: tile_rows<6, WIDE, PACKED_A>(a, g.lda, g.acs, bp, g.k, c, g.ldc, cols, g.alpha, g.beta, g.resume, epi); break;
        case 5: tile_rows<5, WIDE, PACKED_A>(a, g.lda, g.acs, bp, g.k, c, g.ldc, cols, g.alpha, g.beta, g.resume, epi); break;
        case 4: tile_rows<4, WIDE, PACKED_A>(a, g.lda, g.acs, bp, g.k, c, g.ldc, cols, g.alpha, g.beta, g.resume, epi); break;
        case 3: tile_rows<3, WIDE, PACKED_A>(a, g.lda, g.acs, bp, g.k, c, g.ldc, cols, g.alpha, g.beta, g.resume, epi); break;
        case 2: tile_rows<2, WIDE, PACKED_A>(a, g.lda, g.acs, bp, g.k, c, g.ldc, cols, g.alpha, g.beta, g.resume, epi); break;
        default: tile_rows<1, WIDE, PACKED_A>(a, g.lda, g.acs, bp, g.k, c, g.ldc, cols, g.alpha, g.beta, g.resume, epi); break;
    }
}

template <int R, bool PACKED_A>
ENGINE_INLINE void tile_rows_width(const PackedGemm& g, const float* a, int rows, const float* bp, float* c, int cols, const TileEpilogue* epi) {
    if (cols > 16) tile_rows_any<R, true, PACKED_A>(g, a, rows, bp, c, cols, epi);
    else tile_rows_any<R, false, PACKED_A>(g, a, rows, bp, c, cols, epi);
}

// Rows [i, min(i + R, end)) of A in place: a tile never crosses the end of its row range, which another
// thread may own.
template <int R>
ENGINE_INLINE void tile_any(const PackedGemm& g, i64 i, i64 end, const float* bp, float* c, int cols, const TileEpilogue* epi) {
    tile_rows_width<R, false>(g, g.a + i * g.lda, (int)std::min<i64>(R, end - i), bp, c, cols, epi);
}

// A tile of `rows` rows of A packed by pack_a_tile.
template <int R>
ENGINE_INLINE void tile_packed(const PackedGemm& g, const float* ap, int rows, const float* bp, float* c, int cols, const TileEpilogue* epi) {
    tile_rows_width<R, true>(g, ap, rows, bp, c, cols, epi);
}

// Rows [i, i + rows) of A to dst, k-major: dst[kk * rows + r] = A(i + r, kk).
template <int R>
ENGINE_INLINE void pack_a_tile(const PackedGemm& g, i64 i, int rows, float* dst) {
    const float* a = g.a + i * g.lda;
    for (i64 kk = 0; kk < g.k; kk++)
        for (int r = 0; r < rows; r++) dst[kk * rows + r] = a[r * g.lda + kk * g.acs];
}

// This thread's buffer for packed tiles of A, grown to `floats` (kept for the thread's life, at most
// ROW_BLOCK x k); null when it cannot grow, and the caller reads A in place instead.
inline float* packed_a_scratch(i64 floats) {
    static thread_local std::vector<float> buf;
    if ((i64)buf.size() < floats) {
        try { buf.resize((size_t)floats); } catch (const std::bad_alloc&) { return nullptr; }
    }
    return buf.data();
}

// Packing a transposed A (acs != 1: each step of a tile reads R far-apart floats) costs one pass over its
// block and pays once the block meets this many panels. Row-major A is read in place: packing it measured
// no faster.
const i64 PACK_A_MIN_PANELS = 3;

// Panels [p0, p1) for rows [i0, i1) with R-row tiles, or P panels at a time for a single row.
template <int R, int P>
ENGINE_INLINE void packed_block(const PackedGemm& g, i64 i0, i64 i1, i64 p0, i64 p1) {
    const i64 stride = g.k * PANEL;
    if (i1 - i0 == 1) {
        for (i64 p = p0; p < p1; p += P) {
            const float* a = g.a + i0 * g.lda;
            float* c = g.c + i0 * g.ldc;
            const float* bp = g.bp + p * stride;
            switch ((int)std::min<i64>(P, p1 - p)) {
                case 4: row_panels<4>(a, g.acs, bp, g.k, c, g.n, p * PANEL, g.alpha, g.beta); break;
                case 3: row_panels<3>(a, g.acs, bp, g.k, c, g.n, p * PANEL, g.alpha, g.beta); break;
                case 2: row_panels<2>(a, g.acs, bp, g.k, c, g.n, p * PANEL, g.alpha, g.beta); break;
                default: row_panels<1>(a, g.acs, bp, g.k, c, g.n, p * PANEL, g.alpha, g.beta); break;
            }
            packed_epilogue(g, i0, i1, p * PANEL, std::min(g.n, std::min<i64>(p + P, p1) * PANEL));
        }
        return;
    }
    // A transposed A meeting enough panels: each R-row tile is packed k-major once and read through one
    // pointer for every panel.
    float* ap = g.acs != 1 && p1 - p0 >= PACK_A_MIN_PANELS ? packed_a_scratch((i1 - i0) * g.k) : nullptr;
    if (ap)
        for (i64 i = i0; i < i1; i += R) pack_a_tile<R>(g, i, (int)std::min<i64>(R, i1 - i), ap + (i - i0) * g.k);
    // Long sums run in chunks of K_BLOCK steps, so that a panel's chunk stays in L1 while the row tiles pass;
    // a later chunk resumes each sum from C, so every element is still one sequential chain.
    const i64 kc = g.k > K_BLOCK && g.alpha == 1.f && g.beta == 0.f ? K_BLOCK : g.k;
    const bool fusable = g.alpha == 1.f && g.beta == 0.f && (g.act == OP_IDENTITY || g.act == OP_RELU);
    for (i64 k0 = 0;; k0 += kc) {  // at least once: with k = 0 the tiles write zeros
        PackedGemm q = g;
        q.k = std::min(kc, g.k - k0);
        q.a = g.a + k0 * g.acs;
        q.resume = k0 > 0;
        const bool last = k0 + q.k == g.k;
        for (i64 p = p0; p < p1; p++) {
            i64 j0 = p * PANEL;
            int cols = (int)std::min<i64>(PANEL, g.n - j0);
            const float* bp = g.bp + p * stride + k0 * PANEL;
            // the last chunk of a full panel applies bias, residual and ReLU in registers
            const bool fused = last && fusable && cols == PANEL;
            for (i64 i = i0; i < i1; i += R) {
                int rows = (int)std::min<i64>(R, i1 - i);
                TileEpilogue e{g.bias ? g.bias + j0 : nullptr, g.res ? g.res + i * g.ldr + j0 : nullptr, g.ldr, g.act == OP_RELU};
                if (ap) tile_packed<R>(q, ap + (i - i0) * g.k + k0 * rows, rows, bp, g.c + i * g.ldc + j0, cols, fused ? &e : nullptr);
                else tile_any<R>(q, i, i1, bp, g.c + i * g.ldc + j0, cols, fused ? &e : nullptr);
            }
            if (last && !fused) packed_epilogue(g, i0, i1, j0, j0 + cols);
        }
        if (last) break;
    }
}

// How a packed product is shared between threads: by rows (in whole tiles) or by panels, in `parts`
// contiguous pieces that the threads claim as they come free (see run_parts).
struct PackedSplit { bool rows; int parts; };

// Split rows when every thread gets at least two tiles (each streams all of B, but only its own rows of A
// and C: faster at every shape measured, see NOTES); otherwise panels. Rows go in up to 4 parts per thread
// of at least two tiles, so a thread that the host stalls costs a fraction of a part; panels go in one
// part per thread unless each of 4 per thread still gets 4 panels (a single row walks 4 panels at once).
inline PackedSplit packed_split(i64 m, i64 panels, int nt) {
    const i64 tiles = (m + TILE_ROWS - 1) / TILE_ROWS;
    if (m >= 2 * TILE_ROWS * nt || (panels < nt && m >= 2 * TILE_ROWS))
        return {true, (int)std::max<i64>(1, std::min<i64>(tiles / 2, 4 * nt))};
    return {false, panels >= 16 * nt ? 4 * nt : nt};
}

// Part `part` of `parts` of a product split as `rows` says.
template <int R, int P>
ENGINE_INLINE void packed_range(const PackedGemm& g, bool rows, int part, int parts) {
    i64 panels = packed_panels(g.n);
    if (!rows) {
        i64 p0 = panels * part / parts, p1 = panels * (part + 1) / parts;
        for (i64 i = 0; i < g.m; i += ROW_BLOCK) packed_block<R, P>(g, i, std::min(g.m, i + ROW_BLOCK), p0, p1);
    } else {
        i64 tiles = (g.m + TILE_ROWS - 1) / TILE_ROWS;
        i64 r0 = std::min(g.m, tiles * part / parts * TILE_ROWS), r1 = std::min(g.m, tiles * (part + 1) / parts * TILE_ROWS);
        for (i64 i = r0; i < r1; i += ROW_BLOCK) packed_block<R, P>(g, i, std::min(r1, i + ROW_BLOCK), 0, panels);
    }
}

typedef void (*PackedRange)(const PackedGemm&, bool, int, int);
inline void packed_range_base(const PackedGemm& g, bool rows, int part, int parts) { packed_range<2, 1>(g, rows, part, parts); }
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
__attribute__((target("avx512f"))) inline void packed_range_avx512(const PackedGemm& g, bool rows, int part, int parts) { packed_range<8, 4>(g, rows, part, parts); }
__attribute__((target("avx2,fma"))) inline void packed_range_avx2(const PackedGemm& g, bool rows, int part, int parts) { packed_range<3, 2>(g, rows, part, parts); }
#endif

// The widest kernel this CPU runs, chosen once; ENGINE_CPU_ISA=avx2 or baseline picks a narrower one (so
// the tests can run every variant on an AVX-512 machine). Also reports the name of the choice.
inline PackedRange packed_range_f32(const char** name = nullptr) {
    struct Pick { PackedRange fn; const char* name; };
    static const Pick pick = [] {
        const char* want = std::getenv("ENGINE_CPU_ISA");
        std::string w = want ? want : "";
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
        __builtin_cpu_init();
        bool avx2 = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
        if (w != "avx2" && w != "baseline" && __builtin_cpu_supports("avx512f")) return Pick{packed_range_avx512, "avx512"};
        if (w != "baseline" && avx2) return Pick{packed_range_avx2, "avx2"};
#endif
        return Pick{packed_range_base, "baseline"};
    }();
    if (name) *name = pick.name;
    return pick.fn;
}

inline void packed_gemm_f32(const PackedGemm& g) {
    if (g.m == 0 || g.n == 0) return;
    int nt = (double)g.m * g.n * g.k < PACKED_PARALLEL_MACS ? 1 : thread_count().load(std::memory_order_relaxed);
    PackedRange range = packed_range_f32();
    if (nt <= 1) { range(g, true, 0, 1); return; }
    const PackedSplit split = packed_split(g.m, packed_panels(g.n), nt);
    run_parts(nt, split.parts, [&](int p) { range(g, split.rows, p, split.parts); });
}

// Thread t's share of an int8 or bf16 packed product (panels of PANEL columns): by panels when every thread
// gets one, else by rows in whole tiles (one static share per thread: their blocks are AMX's 32-row tiles);
// block(g, i0, i1, p0, p1) computes rows [i0, i1) x panels [p0, p1), then their epilogue runs.
template <typename G, typename Block>
inline void product_range(const G& g, Block block, int t, int nt) {
    i64 panels = packed_panels(g.n);
    auto run = [&](i64 i0, i64 i1, i64 p0, i64 p1) {
        for (i64 i = i0; i < i1; i += ROW_BLOCK) {
            i64 e = std::min(i1, i + ROW_BLOCK);
            block(g, i, e, p0, p1);
            packed_epilogue(g, i, e, p0 * PANEL, std::min(g.n, p1 * PANEL));
        }
    };
    if (panels >= nt || g.m < 2 * TILE_ROWS) {
        i64 p0 = panels * t / nt, p1 = panels * (t + 1) / nt;
        if (p1 > p0) run(0, g.m, p0, p1);
    } else {
        i64 tiles = (g.m + TILE_ROWS - 1) / TILE_ROWS;
        i64 r0 = std::min(g.m, tiles * t / nt * TILE_ROWS), r1 = std::min(g.m, tiles * (t + 1) / nt * TILE_ROWS);
        if (r1 > r0) run(r0, r1, 0, panels);
    }
}

}  // namespace engine
