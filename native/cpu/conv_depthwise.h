// Depthwise convolution (groups == input channels, one input plane per group: MobileNet's and EfficientNet's
// 3x3 and 5x5 layers). Each output plane is its input plane's own small convolution, so it runs plane by plane,
// tap by tap over whole output rows (contiguous loads at stride 1), instead of as one-row products on register
// tiles built for eight rows or more, or as im2col of a single channel.
#pragma once
#include "common.h"
#include "elementwise.h"
#include <cstring>
#include <vector>

namespace engine {

struct DepthwiseGeom { i64 h, w, r, s, sh, sw, ph, pw, dh, dw, oh, ow; };

// Columns of output computed together: their sums stay in registers over all the taps.
const i64 DW_BLOCK = 16;

// One plane: its rows copied once into a zero-bordered buffer (pad rows and columns, plus slack so every block
// of DW_BLOCK outputs reads whole), at stride 2 split into even and odd columns, so each tap of a block of
// outputs is one contiguous read and the block's sums stay in registers; bias first, then the taps, then the
// activation. buf holds depthwise_buffer(g) floats.
inline i64 depthwise_padded_w(const DepthwiseGeom& g) { return g.w + 2 * g.pw + g.sw * 2 * DW_BLOCK + g.s * g.dw; }
inline i64 depthwise_buffer(const DepthwiseGeom& g) { return (g.h + 2 * g.ph + g.r * g.dh) * (depthwise_padded_w(g) + 2 * DW_BLOCK); }

typedef float dw_vec __attribute__((vector_size(DW_BLOCK * sizeof(float))));  // one block of sums (a zmm, or two ymm)

ENGINE_INLINE dw_vec dw_load(const float* p) { dw_vec v; std::memcpy(&v, p, sizeof v); return v; }

ENGINE_INLINE void depthwise_plane(const DepthwiseGeom& g, const float* xp, const float* wk, float bias, int act, float* yp, float* buf) {
    const i64 pw = depthwise_padded_w(g), ph = g.h + 2 * g.ph;
    const bool split = g.sw == 2;
    const i64 half = (pw + 1) / 2;  // even (then odd) columns of a padded row, when split
    for (i64 i = 0; i < ph * pw; i++) buf[i] = 0.f;
    for (i64 iy = 0; iy < g.h; iy++) {
        float* row = buf + (iy + g.ph) * pw;
        const float* src = xp + iy * g.w;
        if (!split) std::memcpy(row + g.pw, src, sizeof(float) * (size_t)g.w);
        else for (i64 j = 0; j < g.w; j++) { const i64 c = g.pw + j; row[(c & 1) * half + (c >> 1)] = src[j]; }
    }
    const i64 stride = split ? 1 : g.sw;  // column step of one output in the (split) buffer
    for (i64 oy = 0; oy < g.oh; oy++) {
        float* yr = yp + oy * g.ow;
        // two blocks at a time: two independent chains of sums hide the FMA latency
        for (i64 ox0 = 0; ox0 < g.ow; ox0 += 2 * DW_BLOCK) {
            dw_vec a0 = {}, a1 = {};
            a0 += bias;
            a1 += bias;
            for (i64 kr = 0; kr < g.r; kr++) {
                const float* row = buf + (oy * g.sh + kr * g.dh) * pw;
                const float* wr = wk + kr * g.s;
                for (i64 ks = 0; ks < g.s; ks++) {
                    const i64 c = ox0 * g.sw + ks * g.dw;  // padded column of the first output
                    const float* in = split ? row + (c & 1) * half + (c >> 1) : row + c;
                    if (stride == 1) {
                        a0 += wr[ks] * dw_load(in);
                        a1 += wr[ks] * dw_load(in + DW_BLOCK);
                    } else {
                        dw_vec v0, v1;
                        for (i64 j = 0; j < DW_BLOCK; j++) { v0[j] = in[j * stride]; v1[j] = in[(j + DW_BLOCK) * stride]; }
                        a0 += wr[ks] * v0;
                        a1 += wr[ks] * v1;
                    }
                }
            }
            float out[2 * DW_BLOCK];
            std::memcpy(out, &a0, sizeof a0);
            std::memcpy(out + DW_BLOCK, &a1, sizeof a1);
            const i64 n = std::min(2 * DW_BLOCK, g.ow - ox0);
            std::memcpy(yr + ox0, out, sizeof(float) * (size_t)n);
        }
        if (act != OP_IDENTITY)
            for (i64 j = 0; j < g.ow; j += BLOCK) run_instruction<float>(act, yr + j, yr + j, yr + j, yr + j, 0.01f, (int)std::min<i64>(BLOCK, g.ow - j));
    }
}

ENGINE_DISPATCH void depthwise_planes_f32(const DepthwiseGeom& g, const float* x, const float* w, const float* bias, int act, float* y,
                                          i64 p0, i64 p1, i64 c, i64 mult) {
    std::vector<float> buf((size_t)depthwise_buffer(g));
    for (i64 p = p0; p < p1; p++) {  // plane p = image * k + output channel; output channel o reads input channel o / mult
        const i64 b = p / (c * mult), o = p % (c * mult);
        depthwise_plane(g, x + (b * c + o / mult) * g.h * g.w, w + o * g.r * g.s, bias ? bias[o] : 0.f, act, y + p * g.oh * g.ow, buf.data());
    }
}

}  // namespace engine
