// Direct convolution for small stride-1 problems (LeNet-sized layers at batch 1), where im2col plus an
// OpenBLAS call costs more than the arithmetic. Each output plane is computed "wide": as if it were as
// wide as the (padded) input, so that for every filter tap the update is one long contiguous loop
//   wide[p] += w[ci][kr][0..s) . x[ci][p + kr*dh*W + ks*dw]      for p in [0, (oh-1)*W + ow)
// which vectorises well even when the output rows are only 8 wide; the ow valid columns of each wide row
// are then copied out with bias and activation. Padding is materialised once into a zeroed copy.
#pragma once
#include "common.h"
#include "elementwise.h"
#include <vector>

namespace engine {

const i64 DIRECT_CONV_MAX_MACS = 1 << 21;  // n*k*ohw*crs at or below this run directly

struct DirectGeom { i64 n, c, h, w, k, r, s, ph, pw, dh, dw, groups, oh, ow; };

// wide[0..len) += sum_ks wr[ks] * xr[ks*dw + p]; the tap count is a template argument for the common
// 3x3 and 5x5 filters, so one load/store of the accumulator serves all taps of a filter row.
const int DIRECT_VEC = 16;  // len is rounded up to this; the scratch planes carry the slack

// wide[0..len) += sum_ks wr[ks] * xr[ks*dw + p], len a multiple of DIRECT_VEC; the tap count is a
// template argument for the common 3x3 and 5x5 filters, so one load/store of the accumulator serves all
// taps of a filter row.
// DIRECT_VEC lanes of T as one GCC vector (a zmm for float under AVX-512, two ymm under AVX2).
template <typename T> struct Lanes { typedef T type __attribute__((vector_size(sizeof(T) * DIRECT_VEC))); };
#pragma GCC diagnostic ignored "-Wpsabi"
template <typename T> ENGINE_INLINE typename Lanes<T>::type load_lanes(const T* p) { typename Lanes<T>::type v; std::memcpy(&v, p, sizeof v); return v; }
template <typename T> ENGINE_INLINE void store_lanes(T* p, const typename Lanes<T>::type& v) { std::memcpy(p, &v, sizeof v); }

// wide[0..len) += sum_ks wr[ks] * xr[ks*dw + p], len a multiple of DIRECT_VEC; the tap count is a
// template argument for the common 3x3 and 5x5 filters, so one load/store of the accumulator serves all
// taps of a filter row.
template <typename T, int S>
ENGINE_INLINE void taps(T* __restrict wide, const T* __restrict xr, const T* wr, i64 s, i64 dw, i64 len) {
    typedef typename Lanes<T>::type V;
    if (S > 0) {
        T wv[S > 0 ? S : 1];
        for (int t = 0; t < S; t++) wv[t] = wr[t];
        for (i64 p0 = 0; p0 < len; p0 += DIRECT_VEC) {
            V acc = load_lanes(wide + p0);
            for (int t = 0; t < S; t++) acc += wv[t] * load_lanes(xr + t * dw + p0);
            store_lanes(wide + p0, acc);
        }
    } else {
        for (i64 t = 0; t < s; t++) {
            const T wv = wr[t];
            const T* xs = xr + t * dw;
            for (i64 p0 = 0; p0 < len; p0 += DIRECT_VEC) store_lanes(wide + p0, load_lanes(wide + p0) + wv * load_lanes(xs + p0));
        }
    }
}

template <typename T, int S>
ENGINE_INLINE void conv_direct_body(const DirectGeom& g, const T* x, const T* wt, const T* bias, int act, T* y) {
    const i64 cg = g.c / g.groups, kg = g.k / g.groups, crs = cg * g.r * g.s, ohw = g.oh * g.ow;
    const i64 H = g.h + 2 * g.ph, W = g.w + 2 * g.pw;
    const i64 len = ((g.oh - 1) * W + g.ow + DIRECT_VEC - 1) / DIRECT_VEC * DIRECT_VEC;
    // every input plane is copied (zero-padded) into scratch with slack after the last plane, so the
    // rounded-up loops read zeros, never past the buffer
    const i64 slack = len - ((g.oh - 1) * W + g.ow) + DIRECT_VEC;
    static thread_local std::vector<T> padded, wide;
    wide.resize((size_t)len);
    padded.assign((size_t)(g.c * H * W + slack), T(0));
    for (i64 b = 0; b < g.n; b++) {
        const T* xsrc = x + b * g.c * g.h * g.w;
        for (i64 ci = 0; ci < g.c; ci++)
            for (i64 iy = 0; iy < g.h; iy++)
                std::memcpy(&padded[(size_t)((ci * H + iy + g.ph) * W + g.pw)], xsrc + (ci * g.h + iy) * g.w, sizeof(T) * g.w);
        const T* xb = padded.data();
        for (i64 ko = 0; ko < g.k; ko++) {
            const i64 gi = ko / kg;
            const T* wk = wt + ko * crs;
            T* wd = wide.data();
            for (i64 p = 0; p < len; p++) wd[p] = T(0);
            for (i64 ci = 0; ci < cg; ci++) {
                const T* plane = xb + (gi * cg + ci) * H * W;
                for (i64 kr = 0; kr < g.r; kr++)
                    taps<T, S>(wd, plane + kr * g.dh * W, wk + (ci * g.r + kr) * g.s, g.s, g.dw, len);
            }
            const T bv = bias ? bias[ko] : T(0);
            T* yp = y + (b * g.k + ko) * ohw;
            for (i64 oy = 0; oy < g.oh; oy++) {
                T* yr = yp + oy * g.ow;
                const T* wr = wd + oy * W;
                for (i64 ox = 0; ox < g.ow; ox++) yr[ox] = wr[ox] + bv;
            }
            if (act != OP_IDENTITY)
                for (i64 i = 0; i < ohw; i += BLOCK) {
                    int n = (int)std::min<i64>(BLOCK, ohw - i);
                    run_instruction<T>(act, yp + i, yp + i, yp + i, yp + i, T(0.01), n);
                }
        }
    }
}

template <typename T>
ENGINE_INLINE void conv_direct_any(const DirectGeom& g, const T* x, const T* wt, const T* bias, int act, T* y) {
    if (g.s == 5) conv_direct_body<T, 5>(g, x, wt, bias, act, y);
    else if (g.s == 3) conv_direct_body<T, 3>(g, x, wt, bias, act, y);
    else conv_direct_body<T, 0>(g, x, wt, bias, act, y);
}

ENGINE_DISPATCH void conv_direct_f32(const DirectGeom& g, const float* x, const float* wt, const float* bias, int act, float* y) {
    conv_direct_any<float>(g, x, wt, bias, act, y);
}
ENGINE_DISPATCH void conv_direct_f64(const DirectGeom& g, const double* x, const double* wt, const double* bias, int act, double* y) {
    conv_direct_any<double>(g, x, wt, bias, act, y);
}

}  // namespace engine
