// Depthwise convolution (groups == input channels, one input plane per group: MobileNet's and EfficientNet's
// 3x3 and 5x5 layers). Each output plane is its input plane's own small convolution, so it runs plane by plane.
// A few FMAs per input element leave the kernel bound by its loads, shuffles and per-row overheads:
// - the common shapes (3x3, 5x5 and 7x7, stride 1 or 2) run tiles of four output rows by one to three 16-wide
//   vectors with the taps unrolled: each input vector loaded feeds every output row it touches, and the 4 to 12
//   independent sums hide the FMA latency;
// - a tile reads its input rows where they lie: per row one load per vector (and one more), its taps are those
//   shifted in registers (two aligned loads and a shuffle beat an unaligned load across a cache line), and at
//   stride 2 the even and odd columns are split in registers; at the plane's left and right edges the lanes
//   outside the row are masked to zero;
// - only tiles that reach into the top or bottom padding read copies: rows copied into a small zero-bordered
//   window in L1. Other shapes (strides, dilations) run a loop over the taps on such copies, each row split
//   into its stride's column phases so that every tap is a contiguous load;
// - ragged edges are recomputed, not masked: the last row tile moves back to end at the last row, and a row's
//   last vector is stored shifted to end at the row's end; rows narrower than one vector spill into the next
//   row of a scratch plane. Every store is a whole vector;
// - each shape's loop is its own dispatched function: one function holding them all spills its registers.
#pragma once
#include "common.h"
#include "elementwise.h"
#include <cstring>
#include <vector>

namespace engine {

struct DepthwiseGeom { i64 h, w, r, s, sh, sw, ph, pw, dh, dw, oh, ow; };

const int DW_LANES = 16;
typedef float dw_vec __attribute__((vector_size(DW_LANES * sizeof(float))));  // a zmm, or two ymm
typedef int dw_ivec __attribute__((vector_size(DW_LANES * sizeof(int))));

ENGINE_INLINE dw_vec dw_load(const float* p) { dw_vec v; std::memcpy(&v, p, sizeof v); return v; }
ENGINE_INLINE void dw_store(float* p, dw_vec v) { std::memcpy(p, &v, sizeof v); }
ENGINE_INLINE dw_ivec dw_lanes() { return dw_ivec{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}; }
// Lanes at or past n become zero (columns past the row's end).
ENGINE_INLINE dw_vec dw_first(dw_vec v, i64 n) { return dw_lanes() < (int)std::max<i64>(0, std::min<i64>(n, DW_LANES)) ? v : dw_vec{}; }
// Lanes k .. k + 15 of the pair (lo, hi).
ENGINE_INLINE dw_vec dw_shift(dw_vec lo, dw_vec hi, int k) { return __builtin_shuffle(lo, hi, dw_lanes() + k); }
// The even (odd) lanes of the pair (lo, hi): every other column.
ENGINE_INLINE dw_vec dw_evens(dw_vec lo, dw_vec hi) { return __builtin_shuffle(lo, hi, dw_lanes() * 2); }
ENGINE_INLINE dw_vec dw_odds(dw_vec lo, dw_vec hi) { return __builtin_shuffle(lo, hi, dw_lanes() * 2 + 1); }
// Values the compiler cannot see through: it would turn the short loops that zero or copy a row into memset
// and memcpy calls, which cost more than the few vectors they move.
template <typename V> ENGINE_INLINE V dw_opaque(V v) { asm("" : "+m"(v)); return v; }

// The window's rows. With one phase a row is the padded input row (padded column k at index k, input column
// k - pw). With sw phases (the generic loop) it holds sw phases of lp floats: phase q, index k is padded
// column q + sw * k, so output column ox's tap ks reads phase ks * dw % sw at index ox + ks * dw / sw.
struct DwLayout {
    i64 phases, lp, pitch;  // phases per row, floats per phase, per row
    i64 cap;                // rows in the window
    DwLayout(const DepthwiseGeom& g, i64 span, i64 phases_) : phases(phases_) {
        // what the taps read: the tiles' vectors (stride times as many columns) and one more, or the generic
        // loop's pairs of vectors and the kernel
        const i64 rounded = (g.ow + DW_LANES - 1) / DW_LANES * DW_LANES;
        const i64 reach = phases == 1 ? g.sw * rounded + 2 * DW_LANES : std::max<i64>(g.ow, 2 * DW_LANES) + (g.s - 1) * g.dw / g.sw;
        const i64 written = (g.pw + g.w) / phases + 2 * DW_LANES + 1;  // the copy's whole vectors past the row's end
        lp = (std::max(reach, written) + 2 * DW_LANES - 1) / DW_LANES * DW_LANES;
        pitch = phases * lp;
        const i64 rows = (g.oh - 1) * g.sh + (g.r - 1) * g.dh + 1;  // padded rows the plane reads
        // the tiles copy only the rows of the top and bottom tiles; the generic loop copies every row, in
        // about 24 KB (it stays in L1) so that rows move to the window's start only now and then
        cap = std::max(span, std::min(rows, phases == 1 ? 2 * span : std::max<i64>(2 * span, 6144 / pitch)));
    }
};

// Copies of input rows for one plane: rows [base, end) at buf + (row - base) * pitch, rows outside the plane
// as zeros. Rows are copied as the output reaches them; when the window is full, the rows still needed move
// to its start. The padding columns are zeroed once for all planes (see dw_planes): every row writes the same
// vectors, those that hold its columns.
struct DwWindow {
    const DepthwiseGeom& g;
    const DwLayout& L;
    const float* x;   // the input plane
    const float* xb;  // the input tensor, as far as these planes show it
    const float* xe;
    float* buf;
    i64 base, end;
    dw_vec z;     // zeros, and
    dw_ivec all;  // all lanes set, that the compiler cannot see (see dw_opaque)

    // Input rows iy0 .. iy0 + n - 1 (iy0 never decreasing from call to call), the first at the result.
    ENGINE_INLINE const float* rows(i64 iy0, i64 n) {
        if (iy0 + n - base > L.cap) {
            const i64 keep = std::max<i64>(0, end - iy0);
            if (keep > 0) std::memmove(buf, buf + (iy0 - base) * L.pitch, sizeof(float) * (size_t)(keep * L.pitch));
            base = iy0;
            end = iy0 + keep;
        }
        end = std::max(end, iy0);  // rows skipped by a stride longer than the kernel are never read
        for (; end < iy0 + n; end++) fill(end >= 0 && end < g.h ? x + end * g.w : nullptr, buf + (end - base) * L.pitch);
        return buf + (iy0 - base) * L.pitch;
    }

    // Columns j .. j + 15 of input row src, zero past column n, read without touching memory outside the
    // plane: the plane's last row reads its end backwards and shifts it into place.
    ENGINE_INLINE dw_vec cols(const float* src, i64 j, i64 n) {
        const float* last = x + g.h * g.w;
        if (last - (src + j) >= DW_LANES) return dw_first(dw_load(src + j), n - j);
        const i64 k = std::min<i64>(n - j, DW_LANES);
        if (k <= 0) return z;
        if (src + j + k - DW_LANES >= x) return dw_shift(dw_load(src + j + k - DW_LANES), z, (int)(DW_LANES - k));
        float t[DW_LANES] = {};  // a plane of fewer than 16 floats
        for (i64 i = 0; i < k; i++) t[i] = src[j + i];
        return dw_load(t);
    }

    // Writes the vectors given to put, one after another from d + off, with aligned stores: each store is
    // the previous vector's tail and the next one's head. An unaligned store costs about two aligned ones.
    struct Aligned {
        float* d;
        int off;
        dw_vec prev;
        ENGINE_INLINE void put(dw_vec v) {
            dw_store(d, off ? dw_shift(prev, v, DW_LANES - off) : v);
            prev = v;
            d += DW_LANES;
        }
        ENGINE_INLINE void finish(dw_vec z) { if (off) dw_store(d, dw_shift(prev, z, DW_LANES - off)); }
    };

    // Row d from input row src, or zeros for a null src (the same vectors: see DwWindow).
    ENGINE_INLINE void fill(const float* src, float* d) {
        const i64 w = g.w, pw = g.pw, lp = L.lp;
        if (L.phases == 1 && pw < DW_LANES) {
            Aligned o{d, (int)pw, z};
            i64 j = 0;
            for (; j + DW_LANES <= w; j += DW_LANES) o.put(src ? (all ? dw_load(src + j) : z) : z);
            if (j < w) o.put(src ? cols(src, j, w) : z);
            o.finish(z);
        } else if (L.phases == 2 && pw < 2 * DW_LANES) {
            // source column c is padded column c + pw: index (c + pw) / 2 of phase (c + pw) % 2
            Aligned ev{d + (pw & 1) * lp, (int)(pw >> 1), z};             // source columns 0, 2, 4 ..
            Aligned od{d + (1 - (pw & 1)) * lp, (int)((pw + 1) >> 1), z};  // source columns 1, 3, 5 ..
            for (i64 j = 0; j < w; j += 2 * DW_LANES) {
                dw_vec a = z, b = z;
                if (!src) {
                } else if (j + 2 * DW_LANES <= w) {
                    a = dw_load(src + j), b = dw_load(src + j + DW_LANES);
                } else {
                    a = cols(src, j, w), b = cols(src, j + DW_LANES, w);
                }
                ev.put(dw_evens(a, b));
                od.put(dw_odds(a, b));
            }
            ev.finish(z);
            od.finish(z);
        } else if (!src) {
            for (i64 k = 0; k < L.pitch; k += DW_LANES) dw_store(d + k, z);
        } else {  // wider padding than any layer has, or a longer stride
            for (i64 j = 0; j < w; j++) { const i64 c = j + pw; d[(c % L.phases) * lp + c / L.phases] = src[j]; }
        }
    }
};

ENGINE_INLINE dw_vec dw_finish(dw_vec a, bool relu) { return relu ? (a > 0.f ? a : dw_vec{}) : a; }

// Writes a vector of outputs at y, never past the plane's end: a narrow plane's last row writes the plane's
// last 16 floats instead, the earlier ones as they are (they are final: rows are written in order).
ENGINE_INLINE void dw_put(float* y, dw_vec v, const float* begin, float* end) {
    const i64 n = end - y;
    if (n >= DW_LANES) {
        dw_store(y, v);
    } else if (end - begin >= DW_LANES) {
        const dw_vec before = dw_load(end - DW_LANES);
        dw_store(end - DW_LANES, dw_lanes() < (int)(DW_LANES - n) ? before : dw_shift(dw_vec{}, v, (int)n));
    } else {
        for (i64 j = 0; j < n; j++) y[j] = v[j];
    }
}

// Where a tile of output rows reads and writes. Input row i of the tile is row row0 + i at in + (row0 + i) *
// pitch: the input plane itself (direct), or the window's padded copies. Only rows [ilo, ihi) of the tile lie
// in the plane; the others are the zero padding, skipped.
struct DwTileRows {
    const float* in;
    i64 row0, pitch;
    int ilo, ihi;
    bool direct;       // reading the plane: lanes outside columns [0, w) are masked
    float* y;          // the tile's first output row
    const float* yb;   // the output plane
    float* ye;
};

// OR output rows (row pitch ow) by NB consecutive vectors from output column x0 of a kernel R x S at stride
// SH x SW, dilation 1. c0: the first input column the block reads (padded column in the window). MASK
// zeroes the lanes outside the row (the plane's left and right edges). tail > 0: the block's last vector is
// written shifted to end tail columns into it, at the row's end.
template <int R, int S, int SH, int SW, int OR, int NB, bool MASK>
ENGINE_INLINE void dw_tile(const DwTileRows& t, i64 c0, i64 x0, const DepthwiseGeom& g, const float* wk, float bias, bool relu, int tail) {
    constexpr int NIN = (OR - 1) * SH + R;
    constexpr int NR = SW * NB + 1;  // vectors loaded per row: the block's columns and the taps past them
    static_assert(SW <= 2 && (S - 1) / SW < DW_LANES, "the taps past a block fit one vector");
    // all bits set in the lanes whose column lies in [0, w), none in the others: integer arithmetic, not a
    // compare, whose mask the compiler may build lane by lane without AVX-512DQ
    dw_ivec keep[NR];
    if (MASK)
        for (int k = 0; k < NR; k++) {
            const dw_ivec col = dw_lanes() + (int)(c0 + k * DW_LANES);
            keep[k] = ~((col | ((int)g.w - 1 - col)) >> 31);
        }
    dw_vec acc[OR][NB];
#pragma GCC unroll 16
    for (int o = 0; o < OR; o++)
#pragma GCC unroll 16
        for (int b = 0; b < NB; b++) acc[o][b] = dw_vec{} + bias;
    const float* in = t.in + t.row0 * t.pitch + c0;
    const i64 pitch = t.pitch;
    const int ilo = t.ilo, ihi = t.ihi;
#pragma GCC unroll 64
    for (int i = 0; i < NIN; i++) {
        if (i < ilo || i >= ihi) continue;
        const float* p = in + i * pitch;
        dw_vec raw[NR];
#pragma GCC unroll 16
        for (int k = 0; k < NR; k++) {
            raw[k] = dw_load(p + k * DW_LANES);
            if (MASK) raw[k] = (dw_vec)((dw_ivec)raw[k] & keep[k]);
        }
#pragma GCC unroll 4
        for (int q = 0; q < SW; q++) {
            // taps q, q + SW, q + 2 SW .. read the columns of phase q at lane shifts 0, 1, 2 ..
            dw_vec ph[NB + 1];
#pragma GCC unroll 16
            for (int b = 0; b <= NB; b++) {
                if (SW == 1) ph[b] = raw[b];
                else if (b < NB) ph[b] = q ? dw_odds(raw[2 * b], raw[2 * b + 1]) : dw_evens(raw[2 * b], raw[2 * b + 1]);
                else ph[b] = q ? dw_odds(raw[2 * b], raw[2 * b]) : dw_evens(raw[2 * b], raw[2 * b]);  // its first lanes
            }
#pragma GCC unroll 8
            for (int k = 0; q + k * SW < S; k++)
#pragma GCC unroll 16
                for (int b = 0; b < NB; b++) {
                    const dw_vec v = k ? dw_shift(ph[b], ph[b + 1], k) : ph[b];
                    const int ks = q + k * SW;
#pragma GCC unroll 16
                    for (int o = 0; o < OR; o++) {
                        const int kr = i - o * SH;
                        if (kr >= 0 && kr < R) acc[o][b] += wk[kr * S + ks] * v;
                    }
                }
        }
    }
    // rows in order: a row narrower than a vector spills into the next one, which is written after it
    float* y = t.y + x0;
#pragma GCC unroll 16
    for (int o = 0; o < OR; o++)
#pragma GCC unroll 16
        for (int b = 0; b < NB; b++) {
            if (NB >= 2 && b == NB - 1 && tail)
                dw_store(y + o * g.ow + (b - 1) * DW_LANES + tail, dw_shift(dw_finish(acc[o][b - 1], relu), dw_finish(acc[o][b], relu), tail));
            else if (NB == 1)  // the row may be narrower than the vector
                dw_put(y + o * g.ow + b * DW_LANES, dw_finish(acc[o][b], relu), t.yb, t.ye);
            else
                dw_store(y + o * g.ow + b * DW_LANES, dw_finish(acc[o][b], relu));
        }
}

// Activations other than ReLU, on finished output rows.
ENGINE_INLINE void dw_activate(int act, float* y, i64 n) {
    for (i64 j = 0; j < n; j += BLOCK) run_instruction<float>(act, y + j, y + j, y + j, y + j, 0.01f, (int)std::min<i64>(BLOCK, n - j));
}

// One block of a tile: NB vectors from output column x0.
template <int R, int S, int SH, int SW, int OR, int NB>
ENGINE_INLINE void dw_block(const DwTileRows& t, i64 x0, const DepthwiseGeom& g, const float* wk, float bias, bool relu, int tail) {
    const i64 c0 = SW * x0 - (t.direct ? g.pw : 0);
    if (t.direct && (c0 < 0 || c0 + DW_LANES * (SW * NB + 1) > g.w))
        dw_tile<R, S, SH, SW, OR, NB, true>(t, c0, x0, g, wk, bias, relu, tail);
    else
        dw_tile<R, S, SH, SW, OR, NB, false>(t, c0, x0, g, wk, bias, relu, tail);
}

// One plane of an unrolled shape: rows in tiles of OR (the last moved back to end at the last row), columns
// in blocks of three, then two, consecutive vectors (one when that is the whole row). A tile reads the input
// plane itself, its vectors running over the row's ends into the neighbouring rows (masked), unless they would
// leave the input tensor: then the window's padded copies.
template <int R, int S, int SH, int SW, int OR>
ENGINE_INLINE void dw_plane_tiled(DwWindow& win, const float* wk, float bias, int act, float* y) {
    constexpr int NIN = (OR - 1) * SH + R;
    const DepthwiseGeom& g = win.g;
    const bool relu = act == OP_RELU;
    const i64 ow = g.ow, w = g.w, nv = (ow + DW_LANES - 1) / DW_LANES;
    const i64 n2 = nv == 1 ? 0 : (3 - nv % 3) % 3, n3 = nv == 1 ? 0 : (nv - 2 * n2) / 3;
    const int tail = (int)(ow % DW_LANES);
    // the columns a tile's input row reads, from its start: the first block's first, past the last block's last
    const i64 lo = -g.pw, hi = SW * DW_LANES * nv - g.pw + DW_LANES;
    const i64 plane = win.x - win.xb, tensor = win.xe - win.xb;
    for (i64 t = 0; t < g.oh; t += OR) {
        const i64 oy0 = std::min(t, g.oh - OR), iy0 = oy0 * SH - g.ph;
        DwTileRows rows{win.x, iy0, w, (int)std::max<i64>(0, -iy0), (int)std::min<i64>(NIN, g.h - iy0), true, y + oy0 * ow, y, y + g.oh * ow};
        if (rows.ilo < rows.ihi && (plane + (iy0 + rows.ilo) * w + lo < 0 || plane + (iy0 + rows.ihi - 1) * w + hi > tensor))
            rows = DwTileRows{win.rows(iy0, NIN), 0, win.L.pitch, 0, NIN, false, rows.y, rows.yb, rows.ye};
        if (nv == 1) dw_block<R, S, SH, SW, OR, 1>(rows, 0, g, wk, bias, relu, 0);
        for (i64 j = 0; j < n3; j++) dw_block<R, S, SH, SW, OR, 3>(rows, 3 * DW_LANES * j, g, wk, bias, relu, n2 == 0 && j == n3 - 1 ? tail : 0);
        for (i64 j = 0; j < n2; j++) dw_block<R, S, SH, SW, OR, 2>(rows, DW_LANES * (3 * n3 + 2 * j), g, wk, bias, relu, j == n2 - 1 ? tail : 0);
        if (act != OP_IDENTITY && !relu) dw_activate(act, rows.y, OR * ow);
    }
}

// Rows of one vector: more rows per tile keep as many sums in flight as wider rows' blocks (at 7 rows, the
// whole plane in one tile).
template <int R, int S, int SH, int SW>
ENGINE_INLINE void dw_plane_tiled(DwWindow& win, const float* wk, float bias, int act, float* y) {
    if (win.g.ow > DW_LANES || win.g.oh < 7) dw_plane_tiled<R, S, SH, SW, 4>(win, wk, bias, act, y);
    else if (win.g.oh == 7) dw_plane_tiled<R, S, SH, SW, 7>(win, wk, bias, act, y);
    else dw_plane_tiled<R, S, SH, SW, 8>(win, wk, bias, act, y);
}

// Any other shape: one output row at a time, two vectors at a time (the last pair moved back to end at the
// row's end, or spilling into the next row when it is the whole row), the taps in loops.
ENGINE_INLINE void dw_plane_generic(DwWindow& win, const float* wk, float bias, int act, float* y) {
    const DepthwiseGeom& g = win.g;
    const DwLayout& L = win.L;
    const bool relu = act == OP_RELU;
    const i64 ow = g.ow, span = (g.r - 1) * g.dh + 1;
    for (i64 oy = 0; oy < g.oh; oy++) {
        const float* in = win.rows(oy * g.sh - g.ph, span);
        float* yr = y + oy * ow;
        for (i64 x = 0; x < ow; x += 2 * DW_LANES) {
            const i64 x0 = std::max<i64>(0, std::min(x, ow - 2 * DW_LANES));
            dw_vec a0 = dw_vec{} + bias, a1 = a0;
            for (i64 kr = 0; kr < g.r; kr++)
                for (i64 ks = 0; ks < g.s; ks++) {
                    const float* p = in + kr * g.dh * L.pitch + ks * g.dw % g.sw * L.lp + ks * g.dw / g.sw + x0;
                    const float wt = wk[kr * g.s + ks];
                    a0 += wt * dw_load(p);
                    a1 += wt * dw_load(p + DW_LANES);
                }
            dw_store(yr + x0, dw_finish(a0, relu));
            dw_store(yr + x0 + DW_LANES, dw_finish(a1, relu));
        }
        if (act != OP_IDENTITY && !relu) dw_activate(act, yr, ow);
    }
}

struct DwScratch {
    std::vector<float> buf;
    i64 zeroed[5] = {};  // the layout whose padding the window holds zeroed: w, pw, phases, lp, cap
};
inline DwScratch& dw_scratch() { static thread_local DwScratch s; return s; }

// Planes [p0, p1) of one shape (R == 0: the generic loop).
template <int R, int S, int SH, int SW>
ENGINE_INLINE void dw_planes(const DepthwiseGeom& g, const float* x, const float* w, const float* bias, int act, float* y,
                             i64 p0, i64 p1, i64 c, i64 mult) {
    const i64 span = R ? 7 * SH + R : (g.r - 1) * g.dh + 1;  // input rows one tile (or one output row) reads
    const DwLayout L(g, span, R ? 1 : g.sw);
    // the generic loop's rows narrower than its pairs of vectors spill into the next: it writes a scratch plane
    const bool spill = R == 0 && g.ow < 2 * DW_LANES;
    const i64 n = g.oh * g.ow;
    DwScratch& scratch = dw_scratch();
    std::vector<float>& buf = scratch.buf;
    const size_t need = (size_t)(L.cap * L.pitch + (spill ? n + 4 * DW_LANES : 0) + DW_LANES);
    const i64 layout[5] = {g.w, g.pw, L.phases, L.lp, L.cap};
    if (buf.size() < need) buf.resize(need), scratch.zeroed[0] = 0;
    float* win_buf = buf.data() + (DW_LANES - (reinterpret_cast<uintptr_t>(buf.data()) / sizeof(float)) % DW_LANES) % DW_LANES;
    float* spill_buf = win_buf + L.cap * L.pitch;
    if (!std::equal(layout, layout + 5, scratch.zeroed)) {  // rows copied since leave the padding zero
        std::fill(win_buf, win_buf + L.cap * L.pitch, 0.f);
        std::copy(layout, layout + 5, scratch.zeroed);
    }
    const dw_vec zeros = dw_opaque(dw_vec{});
    const dw_ivec all = dw_opaque(dw_ivec{} - 1);
    // the input tensor holds the images of planes [p0, p1) at least
    const float* xe = x + ((p1 - 1) / (c * mult) + 1) * c * g.h * g.w;
    // plane p = image * k + output channel; output channel o reads input channel o / mult
    const i64 k = c * mult;
    i64 b = p0 / k, o = p0 % k;
    for (i64 p = p0; p < p1; p++, o = o + 1 == k ? (b++, 0) : o + 1) {
        DwWindow win{g, L, x + (b * c + o / mult) * g.h * g.w, x, xe, win_buf, -g.ph, -g.ph, zeros, all};
        const float* wk = w + o * g.r * g.s;
        const float bo = bias ? bias[o] : 0.f;
        float* yp = y + p * n;
        if constexpr (R == 0) {
            float* out = spill ? spill_buf : yp;
            dw_plane_generic(win, wk, bo, act, out);
            if (spill) {
                i64 j = 0;
                for (; j + DW_LANES <= n; j += DW_LANES) dw_store(yp + j, dw_load(out + j));
                if (j < n && n >= DW_LANES) dw_store(yp + n - DW_LANES, dw_load(out + n - DW_LANES));
                else for (; j < n; j++) yp[j] = out[j];
            }
        } else {
            dw_plane_tiled<R, S, SH, SW>(win, wk, bo, act, yp);
        }
    }
}

#define ENGINE_DW_SHAPE(name, R, S, SH, SW)                                                                            \
    ENGINE_DISPATCH void name(const DepthwiseGeom& g, const float* x, const float* w, const float* bias, int act, float* y, \
                              i64 p0, i64 p1, i64 c, i64 mult) {                                                     \
        dw_planes<R, S, SH, SW>(g, x, w, bias, act, y, p0, p1, c, mult);                                             \
    }
ENGINE_DW_SHAPE(depthwise_3x3s1, 3, 3, 1, 1)
ENGINE_DW_SHAPE(depthwise_3x3s2, 3, 3, 2, 2)
ENGINE_DW_SHAPE(depthwise_5x5s1, 5, 5, 1, 1)
ENGINE_DW_SHAPE(depthwise_5x5s2, 5, 5, 2, 2)
ENGINE_DW_SHAPE(depthwise_7x7s1, 7, 7, 1, 1)
ENGINE_DW_SHAPE(depthwise_any, 0, 0, 0, 0)
#undef ENGINE_DW_SHAPE

inline void depthwise_planes_f32(const DepthwiseGeom& g, const float* x, const float* w, const float* bias, int act, float* y,
                                 i64 p0, i64 p1, i64 c, i64 mult) {
    const bool square = g.r == g.s && g.sh == g.sw && g.dh == 1 && g.dw == 1 && g.oh >= 4;
    const auto run = !square ? depthwise_any
                     : g.r == 3 && g.sh == 1 ? depthwise_3x3s1
                     : g.r == 3 && g.sh == 2 ? depthwise_3x3s2
                     : g.r == 5 && g.sh == 1 ? depthwise_5x5s1
                     : g.r == 5 && g.sh == 2 ? depthwise_5x5s2
                     : g.r == 7 && g.sh == 1 ? depthwise_7x7s1
                     : depthwise_any;
    run(g, x, w, bias, act, y, p0, p1, c, mult);
}

}  // namespace engine
