// A stride-1 convolution, bias, ReLU and a 2x2 stride-2 max pool in one pass (a frozen model's
// conv -> relu -> maxpool chain): the full-resolution activation never reaches memory. Two kernels, both
// bit-identical to the unfused chain (same sums in the same order; ReLU leaves no NaN and no -0, so the
// order of the pool's maxes cannot matter):
//  * filter vectors (AVX-512, groups 1, K a multiple of 16): 16 filters fill one vector and a tile of 2
//    output rows x up to 12 columns stays in registers; each filter tap is one load of 16 weights and one
//    FMA per position with the input value broadcast from memory. No lane is wasted on padding columns,
//    which the direct kernel's wide planes spend a third of conv2's lanes on at LeNet's 8-wide rows.
//  * wide planes (any CPU, any K): the direct convolution (conv_direct.h) pooling on its copy-out.
#pragma once
#include "conv_direct.h"
#include "packed_gemm.h"
#include <cstring>
#include <vector>

namespace engine {

#pragma GCC diagnostic ignored "-Wpsabi"
typedef float pool_v16 __attribute__((vector_size(64)));
typedef int pool_i16 __attribute__((vector_size(64)));

ENGINE_INLINE pool_v16 relu_bias(pool_v16 v, pool_v16 b) {
    v += b;
    return v > pool_v16{} ? v : pool_v16{};
}

// ---- filter vectors -------------------------------------------------------------------------------

const int POOL_TILE_COLS = 12;  // output columns of one tile: 2 x 12 accumulators

// Output rows oy0, oy0 + 1 and CW columns from x0 (the input window's top-left, padded image) for 16
// filters wt ([C][R][S][16]); writes the CW/2 pooled vectors (16 filters each) to out.
template <int CW>
__attribute__((target("avx512f"), always_inline)) inline void pool_tile(const DirectGeom& g, const float* x0, i64 H, i64 W,
                                                                         const float* wt, pool_v16 bias, float* out) {
    pool_v16 acc[2 * CW];
    for (int j = 0; j < 2 * CW; j++) acc[j] = pool_v16{};
    for (i64 ci = 0; ci < g.c; ci++)
        for (i64 kr = 0; kr < g.r; kr++) {
            const float* row0 = x0 + (ci * H + kr * g.dh) * W;
            const float* row1 = row0 + W;
            const float* wr = wt + (ci * g.r + kr) * g.s * 16;
            for (i64 ks = 0; ks < g.s; ks++) {
                pool_v16 wv;
                std::memcpy(&wv, wr + ks * 16, sizeof wv);
                const float* a = row0 + ks * g.dw;
                const float* b = row1 + ks * g.dw;
                for (int j = 0; j < CW; j++) acc[j] += a[j] * wv;
                for (int j = 0; j < CW; j++) acc[CW + j] += b[j] * wv;
            }
        }
    for (int j = 0; j < CW; j += 2) {
        pool_v16 p = relu_bias(acc[j], bias), q = relu_bias(acc[j + 1], bias);
        pool_v16 r = relu_bias(acc[CW + j], bias), s = relu_bias(acc[CW + j + 1], bias);
        pool_v16 top = p > q ? p : q, bottom = r > s ? r : s;
        pool_v16 m = top > bottom ? top : bottom;
        std::memcpy(out + (j / 2) * 16, &m, sizeof m);
    }
}

// One image's pooled planes of 16 filters, position-major ([ph * pw][16]) in tile.
__attribute__((target("avx512f"), noinline)) inline void pool_image_filters(const DirectGeom& g, const float* xi, i64 H, i64 W,
                                                                             const float* wt, const float* bias16, float* tile) {
    pool_v16 bias = pool_v16{};
    if (bias16) std::memcpy(&bias, bias16, sizeof bias);
    const i64 ph = g.oh / 2, pw = g.ow / 2;
    for (i64 py = 0; py < ph; py++)
        for (i64 px0 = 0; px0 < pw; px0 += POOL_TILE_COLS / 2) {
            const float* x0 = xi + 2 * py * W + 2 * px0;
            float* o = tile + (py * pw + px0) * 16;
            switch ((int)std::min<i64>(POOL_TILE_COLS / 2, pw - px0)) {
                case 1: pool_tile<2>(g, x0, H, W, wt, bias, o); break;
                case 2: pool_tile<4>(g, x0, H, W, wt, bias, o); break;
                case 3: pool_tile<6>(g, x0, H, W, wt, bias, o); break;
                case 4: pool_tile<8>(g, x0, H, W, wt, bias, o); break;
                case 5: pool_tile<10>(g, x0, H, W, wt, bias, o); break;
                default: pool_tile<12>(g, x0, H, W, wt, bias, o); break;
            }
        }
}

// Where the F32 GEMM runs its AVX-512 kernel (so ENGINE_CPU_ISA=avx2 or baseline turns this one off too).
inline bool pool_filter_vectors(const DirectGeom& g) {
    static const bool runs = [] {
        const char* isa = nullptr;
        packed_range_f32(&isa);
        return std::string(isa) == "avx512";
    }();
    return runs && g.groups == 1 && g.k % 16 == 0;
}

// wts: the weights as [K/16][C*R*S][16] (the 16 filters of one tap are one vector), as a frozen model's
// packed weight keeps them.
inline void conv_relu_pool_filters(const DirectGeom& g, const float* x, const float* wts, const float* bias, float* y) {
    const i64 H = g.h + 2 * g.ph, W = g.w + 2 * g.pw, crs = g.c * g.r * g.s;
    const i64 phw = (g.oh / 2) * (g.ow / 2), blocks = g.k / 16;
    const bool padded_copy = g.ph || g.pw;
    run_shares(g.n > 1 ? threads_for(g.n * g.k * g.oh * g.ow * crs) : 1, g.n, [&](int t, int nt) {
        static thread_local std::vector<float> padded, tile;
        if (padded_copy) padded.assign((size_t)(g.c * H * W), 0.f);
        tile.resize((size_t)(phw * 16));
        for (i64 b = g.n * t / nt, bEnd = g.n * (t + 1) / nt; b < bEnd; b++) {
            const float* xi = x + b * g.c * g.h * g.w;
            if (padded_copy) {
                for (i64 ci = 0; ci < g.c; ci++)
                    for (i64 iy = 0; iy < g.h; iy++)
                        std::memcpy(&padded[(size_t)((ci * H + iy + g.ph) * W + g.pw)], xi + (ci * g.h + iy) * g.w, sizeof(float) * g.w);
                xi = padded.data();
            }
            for (i64 kb = 0; kb < blocks; kb++) {
                pool_image_filters(g, xi, H, W, wts + kb * crs * 16, bias ? bias + kb * 16 : nullptr, tile.data());
                float* yb = y + (b * g.k + kb * 16) * phw;
                for (int o = 0; o < 16; o++)
                    for (i64 q = 0; q < phw; q++) yb[o * phw + q] = tile[(size_t)(q * 16 + o)];
            }
        }
    });
}

// ---- wide planes ----------------------------------------------------------------------------------

// Pools one wide plane (rows W apart, 2 * pw + 32 floats readable from each row pair's start) into
// out (ph x pw, with room for 16 more floats): whole-vector stores in increasing order, each one's lanes
// past the row overwritten by the next.
ENGINE_INLINE void pool_wide_plane(const float* wo, i64 W, i64 ph, i64 pw, float bias, float* out) {
    const pool_v16 bv = pool_v16{} + bias;
    const pool_i16 even = {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30};
    const pool_i16 odd = even + 1;
    for (i64 py = 0; py < ph; py++) {
        const float* r0 = wo + 2 * py * W;
        const float* r1 = r0 + W;
        for (i64 px = 0; px < pw; px += 16) {
            pool_v16 a0, a1, b0, b1;
            std::memcpy(&a0, r0 + 2 * px, 64); std::memcpy(&a1, r0 + 2 * px + 16, 64);
            std::memcpy(&b0, r1 + 2 * px, 64); std::memcpy(&b1, r1 + 2 * px + 16, 64);
            a0 = relu_bias(a0, bv); a1 = relu_bias(a1, bv); b0 = relu_bias(b0, bv); b1 = relu_bias(b1, bv);
            pool_v16 v0 = a0 > b0 ? a0 : b0, v1 = a1 > b1 ? a1 : b1;
            pool_v16 e = __builtin_shuffle(v0, v1, even), o = __builtin_shuffle(v0, v1, odd);
            pool_v16 m = e > o ? e : o;
            std::memcpy(out + py * pw + px, &m, 64);
        }
    }
}

ENGINE_DISPATCH void conv_relu_pool_wide(const DirectGeom& g, const float* x, const float* w, const float* bias, float* y) {
    const i64 ph = g.oh / 2, pw = g.ow / 2;
    conv_direct_planes<float>(g, x, w, 64, [&](i64 b, i64 ko0, int kb, const float* wd, i64 len, i64 W) {
        static thread_local std::vector<float> plane;
        plane.resize((size_t)(ph * pw + 16));
        for (int o = 0; o < kb; o++) {
            const i64 ko = ko0 + o;
            pool_wide_plane(wd + o * len, W, ph, pw, bias ? bias[ko] : 0.f, plane.data());
            std::memcpy(y + (b * g.k + ko) * ph * pw, plane.data(), sizeof(float) * ph * pw);
        }
    });
}

// conv (stride 1, F32) + bias + ReLU + 2x2 stride-2 max pool (floor) into y [N][K][OH/2][OW/2]: the filter
// vectors where the weight comes as them too (vectors not null), else the wide planes of KCRS w.
inline void conv_relu_pool(const DirectGeom& g, const float* x, const float* w, const float* vectors, const float* bias, float* y) {
    if (vectors && pool_filter_vectors(g)) conv_relu_pool_filters(g, x, vectors, bias, y);
    else conv_relu_pool_wide(g, x, w, bias, y);
}

}  // namespace engine
