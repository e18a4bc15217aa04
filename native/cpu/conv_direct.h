// Direct convolution for stride-1 problems (see use_direct in conv.h), where building an im2col matrix
// costs more than the arithmetic. Each output plane is computed "wide": as if it were as
// wide as the (padded) input, so that every filter tap is one contiguous run
//   wide[p] += w[ci][kr][ks] * x[ci][p + kr*dh*W + ks*dw]      for p in [0, (oh-1)*W + ow)
// which vectorises well even when the output rows are only 8 wide; the ow valid columns of each wide row
// are then copied out with bias and activation. Padding is materialised once into a zeroed copy.
#pragma once
#include "common.h"
#include "elementwise.h"
#include <vector>

namespace engine {

const i64 DIRECT_CONV_MAX_MACS = 1 << 21;  // k*ohw*crs (one image) at or below this run directly

struct DirectGeom { i64 n, c, h, w, k, r, s, ph, pw, dh, dw, groups, oh, ow; };

const int DIRECT_VEC = 16;   // lanes of one vector
// DIRECT_VEC lanes of T as one GCC vector (a zmm for float under AVX-512, two ymm under AVX2).
template <typename T> struct Lanes { typedef T type __attribute__((vector_size(sizeof(T) * DIRECT_VEC))); };
#pragma GCC diagnostic ignored "-Wpsabi"
template <typename T> ENGINE_INLINE typename Lanes<T>::type load_lanes(const T* p) { typename Lanes<T>::type v; std::memcpy(&v, p, sizeof v); return v; }
template <typename T> ENGINE_INLINE void store_lanes(T* p, const typename Lanes<T>::type& v) { std::memcpy(p, &v, sizeof v); }

const int DIRECT_NV = 6;     // vectors of one chunk of the wide plane
const int DIRECT_KB = 4;     // output channels computed together
const i64 DIRECT_CHUNK = DIRECT_VEC * DIRECT_NV;
// 5 or 6 channels left go as one block over chunks of 4 vectors (24 sums, as 4 x 6), not as 4 + 1 or
// 4 + 2: each input load then serves every channel
const int DIRECT_KB_WIDE = 6, DIRECT_NV_WIDE = 4;

// For KB output channels from ko0 and one chunk [p0, p0 + DIRECT_CHUNK) of their wide planes, keeps all
// KB x NV accumulators in registers over every filter tap: one unaligned load of the input serves KB FMAs.
template <typename T, int KB, int NV = DIRECT_NV>
ENGINE_INLINE void conv_chunk(const DirectGeom& g, const T* xg, i64 H, i64 W, const T* wk, i64 crs, i64 p0, T* wide, i64 len) {
    typedef typename Lanes<T>::type V;
    V acc[KB][NV];
    for (int o = 0; o < KB; o++) for (int v = 0; v < NV; v++) acc[o][v] = V{} ;
    const i64 cg = g.c / g.groups;
    for (i64 ci = 0; ci < cg; ci++) {
        const T* plane = xg + ci * H * W + p0;
        for (i64 kr = 0; kr < g.r; kr++) {
            const T* row = plane + kr * g.dh * W;
            const T* wrow = wk + (ci * g.r + kr) * g.s;
            for (i64 ks = 0; ks < g.s; ks++) {
                const T* xs = row + ks * g.dw;
                T wv[KB];
                for (int o = 0; o < KB; o++) wv[o] = wrow[o * crs + ks];
                for (int v = 0; v < NV; v++) {
                    V xv = load_lanes(xs + v * DIRECT_VEC);
                    for (int o = 0; o < KB; o++) acc[o][v] += wv[o] * xv;
                }
            }
        }
    }
    for (int o = 0; o < KB; o++) for (int v = 0; v < NV; v++) store_lanes(wide + o * len + p0 + v * DIRECT_VEC, acc[o][v]);
}

// The chunk at p0 of KB channels' wide planes: whole chunks of NV vectors, and a last chunk of only the
// vectors the plane still needs (a 668-wide plane is 41.75 vectors: 7 chunks of 6 and one of 0.75 -> 1,
// not two more chunks' worth of padding).
template <typename T, int KB, int NV = DIRECT_NV>
ENGINE_INLINE void conv_chunk_any(const DirectGeom& g, const T* xg, i64 H, i64 W, const T* wk, i64 crs, i64 p0, T* wide, i64 len, i64 used) {
    static_assert(NV == 4 || NV == 6, "chunks of 4 or 6 vectors");
    switch ((int)std::min<i64>(NV, (used - p0 + DIRECT_VEC - 1) / DIRECT_VEC)) {
        case 1: conv_chunk<T, KB, 1>(g, xg, H, W, wk, crs, p0, wide, len); break;
        case 2: conv_chunk<T, KB, 2>(g, xg, H, W, wk, crs, p0, wide, len); break;
        case 3: conv_chunk<T, KB, 3>(g, xg, H, W, wk, crs, p0, wide, len); break;
        case 4: conv_chunk<T, KB, 4>(g, xg, H, W, wk, crs, p0, wide, len); break;
        case 5: conv_chunk<T, KB, (NV > 4 ? 5 : 4)>(g, xg, H, W, wk, crs, p0, wide, len); break;
        default: conv_chunk<T, KB, NV>(g, xg, H, W, wk, crs, p0, wide, len); break;
    }
}

// Runs the direct convolution's wide planes image by image (images split over threads, each with its own
// scratch) and hands each block of kb output channels to out(b, ko0, kb, wide, len, W): channel ko0 + o's
// wide plane starts at wide + o * len, its output row oy at + oy * W. The wide scratch has `slack` floats
// (zeros) past the last plane, for copy-outs that read whole vectors.
template <typename T, typename Out>
ENGINE_INLINE void conv_direct_planes(const DirectGeom& g, const T* x, const T* wt, i64 slack_out, Out&& out) {
    const i64 cg = g.c / g.groups, kg = g.k / g.groups, crs = cg * g.r * g.s, ohw = g.oh * g.ow;
    const i64 H = g.h + 2 * g.ph, W = g.w + 2 * g.pw;
    const i64 used = (g.oh - 1) * W + g.ow;  // wide positions that hold an output
    const i64 len = (used + DIRECT_CHUNK - 1) / DIRECT_CHUNK * DIRECT_CHUNK;
    // padded input planes are copied (zero-padded) into scratch with slack after the last plane, so the
    // rounded-up chunks read zeros, never past the buffer. Unpadded images are read in place: the chunks
    // past an image's end read the next images (lanes no output keeps); the last ones, whose slack would
    // reach past x, are copied.
    const i64 slack = len - ((g.oh - 1) * W + g.ow) + DIRECT_VEC;
    const i64 image = g.c * g.h * g.w;
    const bool in_place = g.ph == 0 && g.pw == 0;
    const i64 copied_from = in_place ? std::max<i64>(0, g.n - (slack + image - 1) / image) : 0;
    // images are independent: each part a contiguous range, each thread its own scratch
    run_shares(g.n > 1 ? threads_for(g.n * g.k * ohw * crs) : 1, g.n, [&](int t, int nt) {
    static thread_local std::vector<T> padded, wide;
    if ((i64)wide.size() < DIRECT_KB_WIDE * len + slack_out) wide.assign((size_t)(DIRECT_KB_WIDE * len + slack_out), T(0));
    const i64 bEnd = g.n * (t + 1) / nt;
    if (!in_place || bEnd > copied_from) padded.assign((size_t)(g.c * H * W + slack), T(0));
    for (i64 b = g.n * t / nt; b < bEnd; b++) {
        const T* xsrc = x + b * image;
        const T* xb = xsrc;
        if (in_place && b >= copied_from) {
            std::memcpy(padded.data(), xsrc, sizeof(T) * image);
            xb = padded.data();
        } else if (!in_place) {
            for (i64 ci = 0; ci < g.c; ci++)
                for (i64 iy = 0; iy < g.h; iy++)
                    std::memcpy(&padded[(size_t)((ci * H + iy + g.ph) * W + g.pw)], xsrc + (ci * g.h + iy) * g.w, sizeof(T) * g.w);
            xb = padded.data();
        }
        for (i64 gi = 0; gi < g.groups; gi++) {
            const T* xg = xb + gi * cg * H * W;
            for (i64 kk = 0; kk < kg;) {
                const i64 ko0 = gi * kg + kk;
                const i64 left = kg - kk;
                const int kb = (int)(left == 5 || left == 6 ? left : std::min<i64>(DIRECT_KB, left));
                const i64 step = DIRECT_VEC * (kb > DIRECT_KB ? DIRECT_NV_WIDE : DIRECT_NV);
                T* wd = wide.data();
                const T* wk = wt + ko0 * crs;
                for (i64 p0 = 0; p0 < used; p0 += step) {
                    switch (kb) {
                        case 6: conv_chunk_any<T, 6, DIRECT_NV_WIDE>(g, xg, H, W, wk, crs, p0, wd, len, used); break;
                        case 5: conv_chunk_any<T, 5, DIRECT_NV_WIDE>(g, xg, H, W, wk, crs, p0, wd, len, used); break;
                        case 4: conv_chunk_any<T, 4>(g, xg, H, W, wk, crs, p0, wd, len, used); break;
                        case 3: conv_chunk_any<T, 3>(g, xg, H, W, wk, crs, p0, wd, len, used); break;
                        case 2: conv_chunk_any<T, 2>(g, xg, H, W, wk, crs, p0, wd, len, used); break;
                        default: conv_chunk_any<T, 1>(g, xg, H, W, wk, crs, p0, wd, len, used); break;
                    }
                }
                out(b, ko0, kb, (const T*)wd, len, W);
                kk += kb;
            }
        }
    }
    });
}

template <typename T>
ENGINE_INLINE void conv_direct_body(const DirectGeom& g, const T* x, const T* wt, const T* bias, int act, T* y) {
    const i64 ohw = g.oh * g.ow;
    conv_direct_planes<T>(g, x, wt, 0, [&](i64 b, i64 ko0, int kb, const T* wd, i64 len, i64 W) {
        for (int o = 0; o < kb; o++) {
            const i64 ko = ko0 + o;
            const T bv = bias ? bias[ko] : T(0);
            T* yp = y + (b * g.k + ko) * ohw;
            const T* wo = wd + o * len;
            for (i64 oy = 0; oy < g.oh; oy++) {
                T* yr = yp + oy * g.ow;
                const T* wr = wo + oy * W;
                for (i64 ox = 0; ox < g.ow; ox++) yr[ox] = wr[ox] + bv;
            }
            if (act != OP_IDENTITY)
                for (i64 i = 0; i < ohw; i += BLOCK) {
                    int n = (int)std::min<i64>(BLOCK, ohw - i);
                    run_instruction<T>(act, yp + i, yp + i, yp + i, yp + i, T(0.01), n);
                }
        }
    });
}

ENGINE_DISPATCH void conv_direct_f32(const DirectGeom& g, const float* x, const float* wt, const float* bias, int act, float* y) {
    conv_direct_body<float>(g, x, wt, bias, act, y);
}
ENGINE_DISPATCH void conv_direct_f64(const DirectGeom& g, const double* x, const double* wt, const double* bias, int act, double* y) {
    conv_direct_body<double>(g, x, wt, bias, act, y);
}

}  // namespace engine
