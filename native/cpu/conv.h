// Conv2d as im2col + one OpenBLAS GEMM per group over a chunk of the batch, and its two gradients.
#pragma once
#include "common.h"
#include "elementwise.h"
#include "gemm.h"
#include "conv_direct.h"
#include "conv_pool.h"
#include "pool.h"
#include "conv_packed.h"
#include "conv_vectors.h"
#include "conv_depthwise.h"
#include "conv_wgrad.h"
#include <new>
#include <stdexcept>

namespace engine {

template <typename T>
inline void gemm_rm(bool ta, bool tb, i64 m, i64 n, i64 k, T alpha, const T* a, i64 lda, const T* b, i64 ldb, T beta, T* c, i64 ldc) {
    blas_gemm_rm<T>(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

inline ConvGeom read_geom(const ConvShape& q) {
    return ConvGeom{q.n, q.c, q.h, q.w, q.k, q.r, q.s, q.stride_h, q.stride_w, q.pad_h, q.pad_w, q.dil_h, q.dil_w, q.groups,
                    q.out_h(), q.out_w()};
}

template <typename T> std::vector<T>& scratch(int slot) {
    static thread_local std::vector<T> buf[3];
    return buf[slot];
}

// Largest batch chunk whose im2col matrix stays under ~16M elements.
inline i64 batch_chunk(const ConvGeom& g) {
    i64 per = std::max<i64>(1, g.crs() * g.ohw());
    return std::max<i64>(1, std::min<i64>(g.n, (16 << 20) / per));
}

// col[(ci*r+kr)*s+ks][b*ohw + oy*ow + ox] for images n0..n0+nb of group gi
template <typename T>
static void im2col(const ConvGeom& g, const T* x, i64 n0, i64 nb, i64 gi, T* col) {
    i64 cols = nb * g.ohw();
    parallel_for(g.crs(), threads_for(g.crs() * cols), [&](i64 row) {
        i64 ci = row / (g.r * g.s), kr = (row / g.s) % g.r, ks = row % g.s;
        T* dst = col + row * cols;
        for (i64 b = 0; b < nb; b++) {
            const T* plane = x + ((n0 + b) * g.c + gi * g.cg() + ci) * g.h * g.w;
            for (i64 oy = 0; oy < g.oh; oy++) {
                i64 iy = oy * g.sh - g.ph + kr * g.dh;
                T* d = dst + b * g.ohw() + oy * g.ow;
                if (iy < 0 || iy >= g.h) { for (i64 ox = 0; ox < g.ow; ox++) d[ox] = 0; continue; }
                for (i64 ox = 0; ox < g.ow; ox++) {
                    i64 ix = ox * g.sw - g.pw + ks * g.dw;
                    d[ox] = (ix >= 0 && ix < g.w) ? plane[iy * g.w + ix] : T(0);
                }
            }
        }
    });
}

template <typename T>
static void col2im_add(const ConvGeom& g, const T* col, i64 n0, i64 nb, i64 gi, T* gx) {
    i64 cols = nb * g.ohw();
    // parallel over input channels: rows of one channel touch only that channel's plane
    parallel_for(g.cg(), threads_for(g.crs() * cols), [&](i64 ci) {
        for (i64 kr = 0; kr < g.r; kr++) for (i64 ks = 0; ks < g.s; ks++) {
            const T* src = col + ((ci * g.r + kr) * g.s + ks) * cols;
            for (i64 b = 0; b < nb; b++) {
                T* plane = gx + ((n0 + b) * g.c + gi * g.cg() + ci) * g.h * g.w;
                for (i64 oy = 0; oy < g.oh; oy++) {
                    i64 iy = oy * g.sh - g.ph + kr * g.dh;
                    if (iy < 0 || iy >= g.h) continue;
                    const T* sr = src + b * g.ohw() + oy * g.ow;
                    for (i64 ox = 0; ox < g.ow; ox++) {
                        i64 ix = ox * g.sw - g.pw + ks * g.dw;
                        if (ix >= 0 && ix < g.w) plane[iy * g.w + ix] += sr[ox];
                    }
                }
            }
        }
    });
}

// Stride-1 convolutions with a filter larger than 1x1 run directly (see conv_direct.h) in batches of 8 or
// more images (one image per thread at a time, so smaller batches would leave threads idle), and at any
// batch when small; the rest, and every 1x1 filter, through im2col tiles. Measured per shape in NOTES
// (2026-12-06): the direct kernel needs no im2col, which is what the tiles spend most on at few channels.
inline bool use_direct(const ConvGeom& g) {
    if (g.sh != 1 || g.sw != 1 || g.oh < 1 || g.ow < 1) return false;
    if (g.r * g.s == 1) return false;
    if (g.n >= 8) return true;
    double macs = (double)g.k * g.ohw() * g.crs();  // per image: the direct kernel runs images in parallel
    return macs <= (double)DIRECT_CONV_MAX_MACS;
}

inline DirectGeom direct_geom(const ConvGeom& g) {
    return DirectGeom{g.n, g.c, g.h, g.w, g.k, g.r, g.s, g.ph, g.pw, g.dh, g.dw, g.groups, g.oh, g.ow};
}

inline void conv_direct(const ConvGeom& g, const float* x, const float* w, const float* b, int act, float* y) { conv_direct_f32(direct_geom(g), x, w, b, act, y); }
inline void conv_direct(const ConvGeom& g, const double* x, const double* w, const double* b, int act, double* y) { conv_direct_f64(direct_geom(g), x, w, b, act, y); }

inline void conv_fwd_tiles(const ConvGeom& g, const float* x, const float* wt, const float* bias, int act, float* y) {
    switch (conv_tile_rows()) {
        case 8: conv_fwd_packed<8>(g, x, wt, bias, act, y); break;
        case 3: conv_fwd_packed<3>(g, x, wt, bias, act, y); break;
        default: conv_fwd_packed<2>(g, x, wt, bias, act, y); break;
    }
}
inline void conv_fwd_tiles(const ConvGeom&, const double*, const double*, const double*, int, double*) {}

// Depthwise layers (one input channel per group, any channel multiplier): plane by plane (conv_depthwise.h).
inline bool use_depthwise(const ConvGeom& g) { return g.groups > 1 && g.groups == g.c && g.k % g.c == 0 && g.oh > 0 && g.ow > 0; }

inline void conv_depthwise(const ConvGeom& g, const float* x, const float* w, const float* b, int act, float* y) {
    const DepthwiseGeom d{g.h, g.w, g.r, g.s, g.sh, g.sw, g.ph, g.pw, g.dh, g.dw, g.oh, g.ow};
    const i64 planes = g.n * g.k;
    run_shares(threads_for(planes * g.ohw() * g.r * g.s), planes, [&](int t, int nt) {
        depthwise_planes_f32(d, x, w, b, act, y, planes * t / nt, planes * (t + 1) / nt, g.c, g.k / g.c);
    });
}

template <typename T>
static void conv_fwd(const ConvGeom& g, const T* x, const T* wt, const T* bias, int act, T* y) {
    if (sizeof(T) == 4 && use_depthwise(g)) { conv_depthwise(g, reinterpret_cast<const float*>(x), reinterpret_cast<const float*>(wt),
                                                             reinterpret_cast<const float*>(bias), act, reinterpret_cast<float*>(y)); return; }
    if (use_direct(g)) { conv_direct(g, x, wt, bias, act, y); return; }
    if (sizeof(T) == 4) { conv_fwd_tiles(g, x, wt, bias, act, y); return; }
    i64 chunk = batch_chunk(g);
    for (i64 n0 = 0; n0 < g.n; n0 += chunk) {
        i64 nb = std::min(chunk, g.n - n0), cols = nb * g.ohw();
        std::vector<T>& col = scratch<T>(0);
        std::vector<T>& out = scratch<T>(1);
        col.resize((size_t)(g.crs() * cols));
        out.resize((size_t)(g.kg() * cols));
        for (i64 gi = 0; gi < g.groups; gi++) {
            im2col(g, x, n0, nb, gi, col.data());
            gemm_rm(false, false, g.kg(), cols, g.crs(), T(1), wt + gi * g.kg() * g.crs(), g.crs(), col.data(), cols, T(0), out.data(), cols);
            // scatter [kg][nb*ohw] into y[n][k][ohw] adding bias and applying the activation
            parallel_for(g.kg(), threads_for(g.kg() * cols), [&](i64 kk) {
                i64 ko = gi * g.kg() + kk;
                T bv = bias ? bias[ko] : T(0);
                for (i64 b = 0; b < nb; b++) {
                    T* dst = y + ((n0 + b) * g.k + ko) * g.ohw();
                    const T* src = out.data() + kk * cols + b * g.ohw();
                    for (i64 i = 0; i < g.ohw(); i++) dst[i] = src[i] + bv;
                    if (act != OP_IDENTITY) {
                        for (i64 i = 0; i < g.ohw(); i += BLOCK) {
                            int len = (int)std::min<i64>(BLOCK, g.ohw() - i);
                            run_instruction<T>(act, dst + i, dst + i, dst + i, dst + i, T(0.01), len);
                        }
                    }
                }
            });
        }
    }
}

// gather gy[n0..n0+nb][group channels] into [kg][nb*ohw]
template <typename T>
static void gather_gy(const ConvGeom& g, const T* gy, i64 n0, i64 nb, i64 gi, T* out) {
    i64 cols = nb * g.ohw();
    for (i64 kk = 0; kk < g.kg(); kk++)
        for (i64 b = 0; b < nb; b++)
            std::memcpy(out + kk * cols + b * g.ohw(), gy + ((n0 + b) * g.k + gi * g.kg() + kk) * g.ohw(), sizeof(T) * g.ohw());
}

// The input gradient of a stride-1 convolution is the forward convolution of gy with the weights flipped
// in both spatial axes and input/output channels swapped (per group), padded by dil*(r-1)-pad.
inline void conv_bwd_input_f32(const ConvGeom& g, const float* gy, const float* w, float* gx);

template <typename T>
static void conv_bwd_input(const ConvGeom& g, const T* gy, const T* wt, T* gx) {
    if (sizeof(T) == 4) { conv_bwd_input_f32(g, reinterpret_cast<const float*>(gy), reinterpret_cast<const float*>(wt), reinterpret_cast<float*>(gx)); return; }
    std::memset(gx, 0, sizeof(T) * g.n * g.c * g.h * g.w);
    i64 chunk = batch_chunk(g);
    for (i64 n0 = 0; n0 < g.n; n0 += chunk) {
        i64 nb = std::min(chunk, g.n - n0), cols = nb * g.ohw();
        std::vector<T>& col = scratch<T>(0);
        std::vector<T>& gyc = scratch<T>(1);
        col.resize((size_t)(g.crs() * cols));
        gyc.resize((size_t)(g.kg() * cols));
        for (i64 gi = 0; gi < g.groups; gi++) {
            gather_gy(g, gy, n0, nb, gi, gyc.data());
            gemm_rm(true, false, g.crs(), cols, g.kg(), T(1), wt + gi * g.kg() * g.crs(), g.crs(), gyc.data(), cols, T(0), col.data(), cols);
            col2im_add(g, col.data(), n0, nb, gi, gx);
        }
    }
}

inline void conv_bwd_weight_f32(const ConvGeom& g, const float* x, const float* gy, float* gw, float* gb) {
    if (use_bcast_weight_grad(g)) { conv_bwd_weight_bcast(g, x, gy, gw, gb); return; }
    if (use_wide_weight_grad(g)) { conv_bwd_weight_wide(g, x, gy, gw, gb); return; }
    switch (conv_tile_rows()) {
        case 8: conv_bwd_weight_packed<8>(g, x, gy, gw, gb); break;
        case 3: conv_bwd_weight_packed<3>(g, x, gy, gw, gb); break;
        default: conv_bwd_weight_packed<2>(g, x, gy, gw, gb); break;
    }
}

template <typename T>
static void conv_bwd_weight(const ConvGeom& g, const T* x, const T* gy, T* gw, T* gb) {
    if (sizeof(T) == 4) {
        conv_bwd_weight_f32(g, reinterpret_cast<const float*>(x), reinterpret_cast<const float*>(gy), reinterpret_cast<float*>(gw), reinterpret_cast<float*>(gb));
        return;
    }
    std::memset(gw, 0, sizeof(T) * g.k * g.crs());
    if (gb) {
        for (i64 ko = 0; ko < g.k; ko++) {
            double s = 0;
            for (i64 b = 0; b < g.n; b++) { const T* p = gy + (b * g.k + ko) * g.ohw(); for (i64 i = 0; i < g.ohw(); i++) s += p[i]; }
            gb[ko] = (T)s;
        }
    }
    i64 chunk = batch_chunk(g);
    for (i64 n0 = 0; n0 < g.n; n0 += chunk) {
        i64 nb = std::min(chunk, g.n - n0), cols = nb * g.ohw();
        std::vector<T>& col = scratch<T>(0);
        std::vector<T>& gyc = scratch<T>(1);
        col.resize((size_t)(g.crs() * cols));
        gyc.resize((size_t)(g.kg() * cols));
        for (i64 gi = 0; gi < g.groups; gi++) {
            im2col(g, x, n0, nb, gi, col.data());
            gather_gy(g, gy, n0, nb, gi, gyc.data());
            gemm_rm(false, true, g.kg(), g.crs(), cols, T(1), gyc.data(), cols, col.data(), cols, T(1), gw + gi * g.kg() * g.crs(), g.crs());
        }
    }
}

inline void conv_bwd_input_f32(const ConvGeom& g, const float* gy, const float* w, float* gx) {
    const i64 fph = g.dh * (g.r - 1) - g.ph, fpw = g.dw * (g.s - 1) - g.pw;
    if (g.sh == 1 && g.sw == 1 && fph >= 0 && fpw >= 0) {
        const i64 cg = g.cg(), kg = g.kg(), rs = g.r * g.s;
        std::vector<float>& wf = scratch<float>(2);
        wf.resize((size_t)(g.k * g.crs()));
        for (i64 gi = 0; gi < g.groups; gi++)
            for (i64 kk = 0; kk < kg; kk++)
                for (i64 ci = 0; ci < cg; ci++)
                    for (i64 t = 0; t < rs; t++)
                        wf[(size_t)(((gi * cg + ci) * kg + kk) * rs + (rs - 1 - t))] = w[((gi * kg + kk) * cg + ci) * rs + t];
        ConvGeom f{g.n, g.k, g.oh, g.ow, g.c, g.r, g.s, 1, 1, fph, fpw, g.dh, g.dw, g.groups, g.h, g.w};
        conv_fwd<float>(f, gy, wf.data(), nullptr, OP_IDENTITY, gx);
        return;
    }
    switch (conv_tile_rows()) {
        case 8: conv_bwd_input_gemm<8>(g, gy, w, gx); break;
        case 3: conv_bwd_input_gemm<3>(g, gy, w, gx); break;
        default: conv_bwd_input_gemm<2>(g, gy, w, gx); break;
    }
}

}  // namespace engine

// Each entry point returns a status (native/common/abi.h): STATUS_OUT_OF_MEMORY when the im2col scratch
// could not be allocated.

// meta: ConvForwardArgs
inline int engine_conv2d_forward(long long metaAddress) {
    return engine::guarded([&] {
        using namespace engine;
        const ConvForwardArgs& q = *ptr<ConvForwardArgs>(metaAddress);
        ConvGeom g = read_geom(q.g);
        if (q.dtype == F32) conv_fwd<float>(g, ptr<float>(q.x), ptr<float>(q.w), ENGINE_P(float, q.bias), (int)q.act, ptr<float>(q.y));
        else conv_fwd<double>(g, ptr<double>(q.x), ptr<double>(q.w), ENGINE_P(double, q.bias), (int)q.act, ptr<double>(q.y));
    });
}

// meta: ConvPoolArgs (F32): a frozen model's convolution, w_vectors its weight as filter vectors or 0 (see
// Backend.packConvWeight). The filter-vector tiles where they run, else as engine_conv2d_forward.
inline int engine_conv2d_forward_packed(long long metaAddress) {
    return engine::guarded([&] {
        using namespace engine;
        const ConvPoolArgs& q = *ptr<ConvPoolArgs>(metaAddress);
        ConvGeom g = read_geom(q.g);
        const float* vectors = ENGINE_P(float, q.w_vectors);
        if (vectors && !use_depthwise(g) && use_vectors(g))
            conv_fwd_vectors(g, ptr<float>(q.x), vectors, ENGINE_P(float, q.bias), (int)q.act, ptr<float>(q.y));
        else
            conv_fwd<float>(g, ptr<float>(q.x), ptr<float>(q.w), ENGINE_P(float, q.bias), (int)q.act, ptr<float>(q.y));
    });
}

// meta: ConvPoolArgs (F32, act ReLU), y the pooled [N][K][OH/2][OW/2]: conv + bias + ReLU + 2x2 stride-2
// max pool (floor) in one pass where the convolution runs directly (stride 1); otherwise the convolution
// (filter vectors or im2col tiles, every thread on few large images) into scratch, then the pool.
inline int engine_conv2d_relu_maxpool(long long metaAddress) {
    return engine::guarded([&] {
        using namespace engine;
        const ConvPoolArgs& q = *ptr<ConvPoolArgs>(metaAddress);
        ConvGeom g = read_geom(q.g);
        const float* x = ptr<float>(q.x);
        const float* w = ptr<float>(q.w);
        const float* bias = ENGINE_P(float, q.bias);
        float* y = ptr<float>(q.y);
        if (use_direct(g)) { conv_relu_pool(direct_geom(g), x, w, ENGINE_P(float, q.w_vectors), bias, y); return; }
        static thread_local std::vector<float> full;
        full.resize((size_t)(g.n * g.k * g.ohw()));
        const float* vectors = ENGINE_P(float, q.w_vectors);
        if (vectors && use_vectors(g)) conv_fwd_vectors(g, x, vectors, bias, OP_RELU, full.data());
        else conv_fwd<float>(g, x, w, bias, OP_RELU, full.data());
        max_pool_fwd<float>(PoolGeom{g.n * g.k, g.oh, g.ow, 2, 2, 2, 2, 0, 0, 0, g.oh / 2, g.ow / 2}, full.data(), y, nullptr);
    });
}

// meta: ConvBackwardInputArgs
inline int engine_conv2d_backward_input(long long metaAddress) {
    return engine::guarded([&] {
        using namespace engine;
        const ConvBackwardInputArgs& q = *ptr<ConvBackwardInputArgs>(metaAddress);
        ConvGeom g = read_geom(q.g);
        if (q.dtype == F32) conv_bwd_input<float>(g, ptr<float>(q.gy), ptr<float>(q.w), ptr<float>(q.gx));
        else conv_bwd_input<double>(g, ptr<double>(q.gy), ptr<double>(q.w), ptr<double>(q.gx));
    });
}

// meta: ConvBackwardWeightArgs
inline int engine_conv2d_backward_weight(long long metaAddress) {
    return engine::guarded([&] {
        using namespace engine;
        const ConvBackwardWeightArgs& q = *ptr<ConvBackwardWeightArgs>(metaAddress);
        ConvGeom g = read_geom(q.g);
        if (q.dtype == F32) conv_bwd_weight<float>(g, ptr<float>(q.x), ptr<float>(q.gy), ptr<float>(q.gw), ENGINE_P(float, q.gb));
        else conv_bwd_weight<double>(g, ptr<double>(q.x), ptr<double>(q.gy), ptr<double>(q.gw), ENGINE_P(double, q.gb));
    });
}
