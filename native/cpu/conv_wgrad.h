// Weight gradient of a convolution as a GEMM over output positions, with no im2col and no horizontal sums:
//   gw[k][ci][kr][ks] = sum over images b and outputs (oy, ox) of
//                       gy[b][k][oy][ox] * xpad[b][ci][oy*sh + kr*dh][ox*sw + ks]
// Filter row (ci, kr) is one pointer into the zero-padded input whose S taps are fixed displacements
// (column dilation 1), and gy is transposed once per chunk to positions x channels. A block of G filter
// rows x S taps x NV vectors of 16 output channels keeps every sum in registers over all positions of a
// chunk of images: each gy load serves G*S FMAs, each input value is broadcast once into NV FMAs.
// Sums are per chunk of images (fixed by the shape) and added in chunk order, so the result does not
// depend on the thread count.
#pragma once
#include "conv_packed.h"
#include <algorithm>
#include <cstring>
#include <vector>

namespace engine {

typedef float wgb_vec __attribute__((vector_size(64)));
typedef float wgb_vecu __attribute__((vector_size(64), aligned(4)));

// Filter widths the kernel is built for (taps as displacements need S known when compiling), and the
// shapes where it beats the wide kernel: strided, 32+ channels per group, or small output planes. Fewer
// than 16 channels per group would leave lanes of each 16-lane vector idle.
inline bool use_bcast_weight_grad(const ConvGeom& g) {
    if ((g.s != 3 && g.s != 5) || g.dw != 1 || g.oh <= 0 || g.ow <= 0 || g.kg() < 16) return false;
    return g.sh > 1 || g.sw > 1 || g.kg() >= 32 || g.ohw() <= 256;
}

struct BcastGeom {
    i64 H, W, plane;   // padded input plane
    i64 kpad;          // channels of the transposed gy, a multiple of 16 (zeros past kg)
    i64 xsize, bsize;  // floats of one image's padded group input and of its transposed gy
    i64 nb;            // images per chunk
};

inline BcastGeom bcast_geom(const ConvGeom& g) {
    BcastGeom q;
    q.H = g.h + 2 * g.ph;
    q.W = g.w + 2 * g.pw;
    q.plane = q.H * q.W;
    q.kpad = (g.kg() + 15) / 16 * 16;
    q.xsize = g.cg() * q.plane;
    q.bsize = g.ohw() * q.kpad;
    // a chunk's inputs and transposed gy about 256 KB, and at least 8 chunks when the batch allows (work
    // for every thread); both depend on the shape only
    const i64 by_size = std::max<i64>(1, (i64(1) << 16) / (q.xsize + q.bsize));
    q.nb = std::max<i64>(1, std::min(by_size, (g.n + 7) / 8));
    return q;
}

// Sums for G filter rows (pointers xp + goff[j]) x S taps x NV channel vectors from bt, over nimg images.
template <int S, int G, int NV>
ENGINE_INLINE void bcast_block(const ConvGeom& g, const BcastGeom& q, const float* xp, const i64* goff, const float* bt,
                               i64 nimg, float* out, i64 ldo, int cols) {
    wgb_vec acc[G][S][NV];
    for (int j = 0; j < G; j++) for (int s = 0; s < S; s++) for (int v = 0; v < NV; v++) acc[j][s][v] = wgb_vec{};
    const i64 sh = g.sh, sw = g.sw, ow = g.ow, kpad = q.kpad;
    for (i64 b = 0; b < nimg; b++) {
        const float* xb = xp + b * q.xsize;
        const float* bb = bt + b * q.bsize;
        for (i64 oy = 0; oy < g.oh; oy++) {
            const float* xr[G];
            for (int j = 0; j < G; j++) xr[j] = xb + goff[j] + oy * sh * q.W;
            const float* br = bb + oy * ow * kpad;
            for (i64 ox = 0; ox < ow; ox++) {
                wgb_vec bv[NV];
                for (int v = 0; v < NV; v++) bv[v] = *reinterpret_cast<const wgb_vecu*>(br + ox * kpad + v * 16);
                for (int j = 0; j < G; j++)
                    for (int s = 0; s < S; s++) {
                        const wgb_vec a = wgb_vec{} + xr[j][ox * sw + s];
                        for (int v = 0; v < NV; v++) acc[j][s][v] += a * bv[v];
                    }
            }
        }
    }
    for (int j = 0; j < G; j++)
        for (int s = 0; s < S; s++) {
            float* o = out + (j * S + s) * ldo;
            for (int v = 0; v < NV; v++) {
                const int n = std::min(16, cols - v * 16);
                if (n >= 16) *reinterpret_cast<wgb_vecu*>(o + v * 16) = acc[j][s][v];
                else for (int l = 0; l < n; l++) o[v * 16 + l] = acc[j][s][v][l];
            }
        }
}

// Largest G with G*S*NV sums (at most 24) and at most 8 row pointers.
template <int S, int NV> constexpr int bcast_max_rows() { return std::min(8, std::max(1, 24 / (S * NV))); }

template <int S, int NV, int G = bcast_max_rows<S, NV>()>
ENGINE_INLINE void bcast_rows(const ConvGeom& g, const BcastGeom& q, const float* xp, const i64* goff, int rows,
                              const float* bt, i64 nimg, float* out, i64 ldo, int cols) {
    if constexpr (G > 1) {
        if (rows < G) { bcast_rows<S, NV, G - 1>(g, q, xp, goff, rows, bt, nimg, out, ldo, cols); return; }
    }
    bcast_block<S, G, NV>(g, q, xp, goff, bt, nimg, out, ldo, cols);
}

// One chunk of images of one group: every filter row block x channel block, into c [crs][kg]. goff holds
// each filter row's (ci, kr) offset into an image's padded input.
template <int S>
ENGINE_INLINE void bcast_chunk(const ConvGeom& g, const BcastGeom& q, const i64* goff, const float* xp, const float* bt, i64 nimg, float* c) {
    const i64 kg = g.kg(), frows = g.cg() * g.r;
    for (i64 k0 = 0; k0 < kg;) {
        const i64 left = (kg - k0 + 15) / 16;
        const int nv = left >= 4 ? 4 : left >= 2 ? 2 : 1;
        const int cols = (int)std::min<i64>(nv * 16, kg - k0);
        const int gmax = nv == 4 ? bcast_max_rows<S, 4>() : nv == 2 ? bcast_max_rows<S, 2>() : bcast_max_rows<S, 1>();
        // blocks of equal size: 9 rows at most 8 a block go as 5 + 4, not 8 + 1
        const i64 blocks = (frows + gmax - 1) / gmax;
        for (i64 bi = 0; bi < blocks; bi++) {
            const i64 f0 = frows * bi / blocks, f1 = frows * (bi + 1) / blocks;
            const int rows = (int)(f1 - f0);
            float* out = c + f0 * S * kg + k0;
            const float* bk = bt + k0;
            switch (nv) {
                case 4: bcast_rows<S, 4>(g, q, xp, goff + f0, rows, bk, nimg, out, kg, cols); break;
                case 2: bcast_rows<S, 2>(g, q, xp, goff + f0, rows, bk, nimg, out, kg, cols); break;
                default: bcast_rows<S, 1>(g, q, xp, goff + f0, rows, bk, nimg, out, kg, cols); break;
            }
        }
        k0 += nv * 16;
    }
}

// gw [k][crs] (and gb [k] when not null) <- the weight (and bias) gradient; see use_bcast_weight_grad.
inline void conv_bwd_weight_bcast(const ConvGeom& g, const float* x, const float* gy, float* gw, float* gb) {
    const BcastGeom q = bcast_geom(g);
    const i64 kg = g.kg(), cg = g.cg(), crs = g.crs(), ohw = g.ohw(), nb = q.nb;
    const i64 chunks = (g.n + nb - 1) / nb, items = chunks * g.groups;
    std::vector<float> part((size_t)(items * kg * crs)), bpart((size_t)(items * kg));
    std::vector<i64> goff((size_t)(cg * g.r));  // filter row (ci, kr) -> its offset in the padded input
    for (i64 f = 0; f < cg * g.r; f++) goff[(size_t)f] = (f / g.r) * q.plane + (f % g.r) * g.dh * q.W;
    run_shares(threads_for(g.n * g.k * ohw * crs), items, [&](int t, int nt) {
        std::vector<float>& xp = conv_scratch(0);
        std::vector<float>& bt = conv_scratch(1);
        for (i64 it = items * t / nt, end = items * (t + 1) / nt; it < end; it++) {
            const i64 chunk = it / g.groups, gi = it % g.groups, b0 = chunk * nb, bn = std::min(nb, g.n - b0);
            xp.assign((size_t)(bn * q.xsize), 0.f);
            bt.resize((size_t)(bn * q.bsize));
            float* bsum = bpart.data() + it * kg;
            for (i64 kk = 0; kk < kg; kk++) bsum[kk] = 0.f;
            for (i64 b = 0; b < bn; b++) {
                copy_padded_planes(g, x + ((b0 + b) * g.c + gi * cg) * g.h * g.w, xp.data() + b * q.xsize, q.plane, q.W);
                float* bb = bt.data() + b * q.bsize;
                for (i64 kk = 0; kk < kg; kk++) {
                    const float* src = gy + ((b0 + b) * g.k + gi * kg + kk) * ohw;
                    float lanes[16] = {0};
                    i64 p = 0;
                    for (; p + 16 <= ohw; p += 16)
                        for (int l = 0; l < 16; l++) { bb[(p + l) * q.kpad + kk] = src[p + l]; lanes[l] += src[p + l]; }
                    for (; p < ohw; p++) { bb[p * q.kpad + kk] = src[p]; lanes[p & 15] += src[p]; }
                    float s = 0.f;
                    for (int l = 0; l < 16; l++) s += lanes[l];
                    bsum[kk] += s;
                }
                for (i64 p = 0; p < ohw; p++)
                    for (i64 kk = kg; kk < q.kpad; kk++) bb[p * q.kpad + kk] = 0.f;
            }
            float* c = part.data() + it * kg * crs;
            if (g.s == 3) bcast_chunk<3>(g, q, goff.data(), xp.data(), bt.data(), bn, c);
            else bcast_chunk<5>(g, q, goff.data(), xp.data(), bt.data(), bn, c);
        }
    });
    sum_weight_chunks(part.data(), bpart.data(), chunks, g.groups, kg, crs, 1, kg, gw, gb);
}

}  // namespace engine
