// F32 convolution with the weight as filter vectors ([K/16][C/groups*R*S][16], the layout a frozen model's
// packed weight keeps, see conv_pool.h): a tile of NV vectors (16 NV filters) x NP consecutive output
// positions keeps its sums in registers; each filter tap is NV loads of weights, NP broadcasts of input
// values and NV x NP fused multiply-adds. No im2col panel is built: at 64 filters packing the panels cost
// about as much as the products. The positions of a tile run in raster order across output rows, each
// with its own input pointer, so no lane and no tile is spent on a row's end.
// Every output is one sequential fused multiply-add chain over its filter's taps in (c, r, s) order from
// zero, then the bias and activation: the same sums in the same order as the im2col tiles (conv_packed.h).
// Padded inputs are read from a zero-bordered window of the rows one work item's positions need, which the
// thread fills itself (a copy of the whole image made first and read by the other thread cost 10 % at two
// threads). Channels are taken in chunks
// whose weights stay in L2 while every tile of a range of positions passes over them (ResNet's 512-channel
// layers hold 9 MB of weights); the partial sums of such a range wait in a per-thread buffer.
#pragma once
#include "conv_packed.h"
#include <cstring>
#include <vector>

namespace engine {

#pragma GCC diagnostic ignored "-Wpsabi"
typedef float cv_v16 __attribute__((vector_size(64)));

const i64 CV_CHUNK_WEIGHT_BYTES = 160 << 10;  // one block's weights for one chunk of channels: in L2
const i64 CV_RANGE_POSITIONS = 252;           // positions per work item when channels come in several chunks

struct CvPlan {
    i64 nv, np;        // vectors per tile and positions per tile
    i64 blocks;        // tiles' filter blocks per group (kg / (16 nv))
    i64 chunk;         // channels per chunk
    i64 range;         // positions per work item
    i64 ranges;        // work items per image and block
    bool windowed;     // padded: each item reads a zero-bordered window of its rows
    i64 pitch, plane;  // floats between rows and between channels of what the taps read (x or a window)
    i64 rows;          // the tallest window
};

// Vectors per tile for a group of kg filters: the tallest of these shapes (NV vectors x NP positions, at
// most 28 sums and one register left for the broadcast) that divides the group's filters; 0 when only one
// vector would (its 24 positions' pointers do not fit the registers: the im2col tiles are faster).
inline int cv_vectors_per_tile(i64 kg) {
    if (kg % 16 != 0) return 0;
    const i64 m = kg / 16;
    for (int nv : {4, 3, 2})
        if (m % nv == 0) return nv;
    return 0;
}

inline int cv_positions_per_tile(int nv) { return nv == 4 ? 6 : nv == 3 ? 8 : 12; }

// Whether the filter vectors run g: on the AVX-512 GEMM kernel's CPUs (ENGINE_CPU_ISA=avx2 or baseline
// turns them off too), filters that fill whole tiles, and more than a handful of taps per filter: with a
// 1x1 filter over fewer than 64 channels the transposed store of each tile costs more than its sums, and
// the im2col tiles (a copy of each channel's row) are faster.
inline bool use_vectors(const ConvGeom& g) {
    static const bool avx512 = [] {
        const char* isa = nullptr;
        packed_range_f32(&isa);
        return std::string(isa) == "avx512";
    }();
    return avx512 && cv_vectors_per_tile(g.kg()) > 0 && g.oh > 0 && g.ow > 0 && (g.r * g.s > 1 || g.crs() >= 64);
}

// Sums of an NV x NP tile over taps [t0, t1) of the filters (c, r, s order): px[j] is position j's input at
// tap (0, 0, 0) of the group's channel 0, tap t reads it at offset off[t]; w the block's first vector at tap
// t0 (vector v at w + v * vstride). One flat loop over the taps: a 3-wide filter row would otherwise end
// the innermost loop every third tap.
template <int NV, int NP>
__attribute__((target("avx512f"), always_inline)) inline void cv_sums(const float* const* px, const i64* off, const float* w, i64 vstride,
                                                                       i64 t0, i64 t1, cv_v16 (&acc)[NV][NP]) {
    const float* p[NP];
    for (int j = 0; j < NP; j++) p[j] = px[j];
    for (i64 t = t0; t < t1; t++, w += 16) {
        const i64 o = off[t];
        cv_v16 wv[NV];
        for (int v = 0; v < NV; v++) std::memcpy(&wv[v], w + v * vstride, sizeof(cv_v16));
        for (int j = 0; j < NP; j++) {
            const float xv = p[j][o];
            for (int v = 0; v < NV; v++) acc[v][j] += xv * wv[v];
        }
    }
}

// Where each tap (c, r, s) of a group's filter reads, from its output position's tap (0, 0, 0).
inline void cv_tap_offsets(const ConvGeom& g, const CvPlan& pl, std::vector<i64>& off) {
    off.resize((size_t)g.crs());
    i64 t = 0;
    for (i64 c = 0; c < g.cg(); c++)
        for (i64 kr = 0; kr < g.r; kr++)
            for (i64 ks = 0; ks < g.s; ks++) off[(size_t)t++] = c * pl.plane + kr * g.dh * pl.pitch + ks * g.dw;
}

// Padded rows [iy0, iy0 + rows) (padded row i is input row i - ph) of the group's channels xg into win:
// channel c's row i at win + c * plane + i * pitch, zero where it reads padding.
__attribute__((target("avx512f"))) inline void cv_fill_window(const ConvGeom& g, const CvPlan& pl, const float* xg, i64 iy0, i64 rows, float* win) {
    const i64 wp = pl.pitch;
    for (i64 c = 0; c < g.cg(); c++)
        for (i64 i = 0; i < rows; i++) {
            float* d = win + c * pl.plane + i * wp;
            const i64 iy = iy0 + i - g.ph;
            if (iy < 0 || iy >= g.h) {
                for (i64 j = 0; j < wp; j++) d[j] = 0.f;
                continue;
            }
            const float* src = xg + (c * g.h + iy) * g.w;
            for (i64 j = 0; j < g.pw; j++) d[j] = 0.f;
            for (i64 j = 0; j < g.w; j++) d[g.pw + j] = src[j];
            for (i64 j = g.pw + g.w; j < wp; j++) d[j] = 0.f;
        }
}

// Output rows [first, last] of positions [q0, q1), and the padded input rows their taps read.
inline void cv_rows(const ConvGeom& g, i64 q0, i64 q1, i64& first, i64& rows) {
    first = q0 / g.ow;
    rows = ((q1 - 1) / g.ow - first) * g.sh + (g.r - 1) * g.dh + 1;
}

// Bias, activation and the transposed store of a finished tile: filter f of the tile at y + f * ohw, for
// its first `valid` positions.
template <int NV, int NP>
__attribute__((target("avx512f"), always_inline)) inline void cv_finish(cv_v16 (&acc)[NV][NP], const float* bias, int act, i64 ohw, int valid,
                                                                         float* y) {
    alignas(64) float t[NP][16 * NV];
    for (int v = 0; v < NV; v++) {
        cv_v16 b = cv_v16{};
        if (bias) std::memcpy(&b, bias + 16 * v, sizeof b);
        for (int j = 0; j < NP; j++) {
            cv_v16 s = acc[v][j] + b;
            if (act == OP_RELU || act == OP_RELU6) s = s < 0.f ? cv_v16{} : s;
            if (act == OP_RELU6) s = s > 6.f ? cv_v16{} + 6.f : s;
            std::memcpy(&t[j][16 * v], &s, sizeof s);
        }
    }
    if (act != OP_IDENTITY && act != OP_RELU && act != OP_RELU6) run_instruction<float>(act, &t[0][0], &t[0][0], &t[0][0], &t[0][0], 0.01f, NP * 16 * NV);
    for (int f = 0; f < 16 * NV; f++)
        for (int j = 0; j < valid; j++) y[f * ohw + j] = t[j][f];
}

// One work item: filters [f0, f0 + 16 NV) of one group, output positions [q0, q1) of one image; xin the
// group's input as the plan's taps read it, position (oy, ox) at xin + (oy - oy0) * sh * pitch + ox * sw.
template <int NV, int NP>
__attribute__((target("avx512f"), noinline)) void cv_item(const ConvGeom& g, const CvPlan& pl, const float* xin, i64 oy0, const float* w,
                                                          const i64* off, const float* bias, int act, float* yb, i64 q0, i64 q1,
                                                          std::vector<float>& partial) {
    const i64 ohw = g.ohw(), cg = g.cg(), vstride = g.crs() * 16, rs = g.r * g.s;
    const bool chunked = pl.chunk < cg;
    if (chunked) partial.resize((size_t)((q1 - q0 + NP) * 16 * NV));
    for (i64 c0 = 0; c0 < cg; c0 += pl.chunk) {
        const i64 c1 = std::min(cg, c0 + pl.chunk);
        for (i64 q = q0; q < q1; q += NP) {
            const int valid = (int)std::min<i64>(NP, q1 - q);
            const float* px[NP];
            for (int j = 0; j < NP; j++) {
                const i64 pos = q + std::min(j, valid - 1), oy = pos / g.ow, ox = pos % g.ow;
                px[j] = xin + (oy - oy0) * g.sh * pl.pitch + ox * g.sw;
            }
            cv_v16 acc[NV][NP];
            float* part = chunked ? partial.data() + (q - q0) * 16 * NV : nullptr;
            if (c0 == 0) {
                for (int v = 0; v < NV; v++) for (int j = 0; j < NP; j++) acc[v][j] = cv_v16{};
            } else {
                for (int v = 0; v < NV; v++) for (int j = 0; j < NP; j++) std::memcpy(&acc[v][j], part + (j * NV + v) * 16, sizeof(cv_v16));
            }
            cv_sums<NV, NP>(px, off, w + c0 * rs * 16, vstride, c0 * rs, c1 * rs, acc);
            if (c1 == cg) cv_finish<NV, NP>(acc, bias, act, ohw, valid, yb + q);
            else for (int v = 0; v < NV; v++) for (int j = 0; j < NP; j++) std::memcpy(part + (j * NV + v) * 16, &acc[v][j], sizeof(cv_v16));
        }
    }
}

inline CvPlan cv_plan(const ConvGeom& g, int nt) {
    CvPlan p{};
    p.nv = cv_vectors_per_tile(g.kg());
    p.np = cv_positions_per_tile((int)p.nv);
    p.blocks = g.kg() / (16 * p.nv);
    p.chunk = std::max<i64>(1, std::min<i64>(g.cg(), CV_CHUNK_WEIGHT_BYTES / (16 * p.nv * g.r * g.s * (i64)sizeof(float))));
    const i64 ohw = g.ohw(), perImage = g.groups * p.blocks;
    // enough items for every thread to get several (one image of ResNet's early layers is one block),
    // whole tiles each; with several chunks, few enough positions that their partial sums stay near
    i64 ranges = std::max<i64>(1, (4 * nt + g.n * perImage - 1) / (g.n * perImage));
    if (p.chunk < g.cg()) ranges = std::max(ranges, (ohw + CV_RANGE_POSITIONS - 1) / CV_RANGE_POSITIONS);
    const i64 tiles = (ohw + p.np - 1) / p.np;
    p.range = (tiles + ranges - 1) / ranges * p.np;
    p.ranges = (ohw + p.range - 1) / p.range;
    const i64 hp = std::max(g.ph + g.h, (g.oh - 1) * g.sh + (g.r - 1) * g.dh + 1);
    const i64 wp = std::max(g.pw + g.w, (g.ow - 1) * g.sw + (g.s - 1) * g.dw + 1);
    p.windowed = g.ph != 0 || g.pw != 0 || hp != g.h || wp != g.w;
    p.pitch = p.windowed ? wp : g.w;
    p.rows = 0;
    for (i64 r = 0; r < p.ranges; r++) {
        i64 first, rows;
        cv_rows(g, r * p.range, std::min(ohw, (r + 1) * p.range), first, rows);
        p.rows = std::max(p.rows, rows);
    }
    p.plane = p.windowed ? p.rows * wp : g.h * g.w;
    return p;
}

// y <- conv(x, w) + bias, activation, with w the filter vectors (use_vectors(g) must hold).
inline void conv_fwd_vectors(const ConvGeom& g, const float* x, const float* wv, const float* bias, int act, float* y) {
    static thread_local std::vector<i64> off;
    const int nt = threads_for(g.n * g.k * g.ohw() * g.crs());
    const CvPlan pl = cv_plan(g, nt);
    cv_tap_offsets(g, pl, off);
    const i64* offs = off.data();  // the calling thread's: workers see their own thread_locals
    // items in (image, group, range, block) order: consecutive ones share a window; a part takes whole ranges'
    // worth of them where it can, so a window is filled about once per range
    const i64 items = g.n * g.groups * pl.ranges * pl.blocks;
    const int parts = (int)std::max<i64>(1, std::min<i64>(items, (i64)nt * std::min<i64>(4, g.n * g.groups * pl.ranges)));
    run_parts(nt, parts, [&](int part) {
        static thread_local std::vector<float> partial, window;
        i64 filled = -1;  // the (image, group, range) whose window this part holds
        for (i64 it = items * part / parts, end = items * (part + 1) / parts; it < end; it++) {
            const i64 blk = it % pl.blocks, span = it / pl.blocks, r = span % pl.ranges, gi = span / pl.ranges % g.groups;
            const i64 b = span / (pl.ranges * g.groups);
            const i64 q0 = r * pl.range, q1 = std::min(g.ohw(), q0 + pl.range), f0 = gi * g.kg() + blk * 16 * pl.nv;
            const float* xg = x + (b * g.c + gi * g.cg()) * g.h * g.w;
            const float* xin = xg;
            i64 oy0 = 0;
            if (pl.windowed) {
                i64 rows;
                cv_rows(g, q0, q1, oy0, rows);
                if (filled != span) {
                    window.resize((size_t)(g.cg() * pl.plane));
                    cv_fill_window(g, pl, xg, oy0 * g.sh, rows, window.data());
                    filled = span;
                }
                xin = window.data();
            }
            const float* w = wv + f0 * g.crs();  // filter f0's block of vectors starts there
            const float* bb = bias ? bias + f0 : nullptr;
            float* yb = y + (b * g.k + f0) * g.ohw();
            switch (pl.nv) {
                case 4: cv_item<4, 6>(g, pl, xin, oy0, w, offs, bb, act, yb, q0, q1, partial); break;
                case 3: cv_item<3, 8>(g, pl, xin, oy0, w, offs, bb, act, yb, q0, q1, partial); break;
                default: cv_item<2, 12>(g, pl, xin, oy0, w, offs, bb, act, yb, q0, q1, partial); break;
            }
        }
    });
}

}  // namespace engine
