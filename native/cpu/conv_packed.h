// F32 convolution and its two gradients on the packed-panel GEMM tiles of packed_gemm.h, without a full
// im2col matrix:
//  - forward: each thread packs the im2col of 32 output positions of one image straight into a panel
//    (crs x 32, L1/L2-sized) and runs the weight rows over it as register tiles; bias, ReLU and ReLU6 are
//    applied in the tiles' registers, other activations to the panel's outputs while they are in L1;
//  - input gradient, stride 1: the forward convolution of gy with the flipped, transposed weights (so it
//    also takes the direct kernel when small); other strides: W^T gy per image on the tiles, then col2im;
//  - weight gradient: per fixed chunk of images, gw^T (crs x kg) = im2col (crs x positions) x gy^T packed
//    in panels of 32 output channels; chunk results are summed in chunk order at the end. The chunking
//    depends only on the shape, so the result is the same for any thread count, and no thread writes
//    another's sums (no atomics). The bias gradient comes from the same pass over gy.
#pragma once
#include "common.h"
#include "elementwise.h"
#include "packed_gemm.h"
#include <vector>

namespace engine {

struct ConvGeom {
    i64 n, c, h, w, k, r, s, sh, sw, ph, pw, dh, dw, groups, oh, ow;
    i64 cg() const { return c / groups; }
    i64 kg() const { return k / groups; }
    i64 crs() const { return cg() * r * s; }
    i64 ohw() const { return oh * ow; }
};

// Rows of the register tiles for the packed kernel this CPU runs (see packed_range_f32).
inline int conv_tile_rows() {
    const char* name;
    packed_range_f32(&name);
    return name[3] == '5' ? 8 : name[3] == '2' ? 3 : 2;  // "avx512", "avx2", "baseline"
}

// Rows [row0, row1) of the im2col of one image's group channels xg ([cg][h][w]) for the output positions
// [j0, j0 + cols), written at dst[(row - row0) * ld + j]; positions outside the padding read 0.
ENGINE_INLINE void im2col_span(const ConvGeom& g, const float* xg, i64 row0, i64 row1, i64 j0, i64 cols, float* dst, i64 ld) {
    const i64 rs = g.r * g.s;
    for (i64 row = row0; row < row1; row++) {
        const i64 ci = row / rs, kr = (row / g.s) % g.r, ks = row % g.s;
        const float* plane = xg + ci * g.h * g.w;
        float* d = dst + (row - row0) * ld;
        i64 oy = j0 / g.ow, ox = j0 % g.ow;
        for (i64 j = 0; j < cols;) {
            const i64 run = std::min(cols - j, g.ow - ox);
            const i64 iy = oy * g.sh - g.ph + kr * g.dh;
            if (iy < 0 || iy >= g.h) {
                for (i64 t = 0; t < run; t++) d[j + t] = 0.f;
            } else {
                // positions t in [lo, hi) of the run read inside the row; the others are padding
                const i64 sw = g.sw, ix0 = ox * sw - g.pw + ks * g.dw;
                const i64 lo = std::min(run, ix0 >= 0 ? i64(0) : (sw - 1 - ix0) / sw);
                const i64 hi = std::max(lo, std::min(run, ix0 < g.w ? (g.w - 1 - ix0) / sw + 1 : i64(0)));
                const float* src = plane + iy * g.w + ix0;
                float* dj = d + j;
                for (i64 t = 0; t < lo; t++) dj[t] = 0.f;
                if (sw == 1) for (i64 t = lo; t < hi; t++) dj[t] = src[t];
                else for (i64 t = lo; t < hi; t++) dj[t] = src[t * sw];
                for (i64 t = hi; t < run; t++) dj[t] = 0.f;
            }
            j += run;
            ox += run;
            if (ox == g.ow) { ox = 0; oy++; }
        }
    }
}

// C rows [0, m) x one panel (cols columns) <- A(i, kk) over kk < k times the panel, in R-row tiles; with
// row_bias (beta 0) each row's bias is added, and ReLU / ReLU6 applied, in the tile's registers.
template <int R>
ENGINE_INLINE void rows_times_panel(const float* a, i64 lda, i64 acs, i64 m, const float* bp, i64 k, float* c, i64 ldc, int cols, float beta,
                                    const float* row_bias = nullptr, int act = OP_IDENTITY) {
    PackedGemm q{};
    q.a = a; q.lda = lda; q.acs = acs; q.k = k; q.ldc = ldc; q.alpha = 1.f; q.beta = beta;
    const bool epi = row_bias || act == OP_RELU || act == OP_RELU6;
    for (i64 i = 0; i < m; i += R) {
        const TileEpilogue e{nullptr, nullptr, 0, act == OP_RELU, row_bias ? row_bias + i : nullptr, act == OP_RELU6};
        tile_any<R>(q, i, m, bp, c + i * ldc, cols, epi ? &e : nullptr);
    }
}

// One panel of the im2col matrix of one image's group channels xg ([cg][h][w]): dst[row][j] for the PANEL
// output positions from j0 (those from cols on are 0). The split of the panel's positions into output-row
// runs, and which of them read padding, depends only on the filter tap, so it is worked out once per tap
// for all channels; a 1x1 filter at stride 1 without padding reads each channel's positions contiguously.
ENGINE_INLINE void im2col_panel(const ConvGeom& g, const float* xg, i64 j0, int cols, float* dst) {
    const i64 rs = g.r * g.s, hw = g.h * g.w, cg = g.cg();
    if (rs == 1 && g.sh == 1 && g.sw == 1 && g.ph == 0 && g.pw == 0 && g.oh == g.h && g.ow == g.w) {
        for (i64 ci = 0; ci < cg; ci++) {
            float* d = dst + ci * PANEL;
            std::memcpy(d, xg + ci * hw + j0, sizeof(float) * (size_t)cols);
            for (int j = cols; j < PANEL; j++) d[j] = 0.f;
        }
        return;
    }
    // a run of the panel's positions within one output row: [j, lo) and [hi, end) read padding, [lo, hi)
    // read the input at src + t * stride (t the panel column)
    struct Run { i64 j, lo, hi, end, src; };
    Run run[PANEL];
    for (i64 kr = 0; kr < g.r; kr++)
        for (i64 ks = 0; ks < g.s; ks++) {
            int runs = 0;
            i64 oy = j0 / g.ow, ox = j0 % g.ow;
            for (i64 j = 0; j < cols; ox = 0, oy++) {
                const i64 len = std::min<i64>(cols - j, g.ow - ox), iy = oy * g.sh - g.ph + kr * g.dh;
                Run u{j, j + len, j + len, j + len, 0};
                if (iy >= 0 && iy < g.h) {
                    const i64 sw = g.sw, ix0 = ox * sw - g.pw + ks * g.dw;
                    const i64 lo = std::min(len, ix0 >= 0 ? i64(0) : (sw - 1 - ix0) / sw);
                    const i64 hi = std::max(lo, std::min(len, ix0 < g.w ? (g.w - 1 - ix0) / sw + 1 : i64(0)));
                    u = Run{j, j + lo, j + hi, j + len, iy * g.w + ix0 - j * sw};
                }
                run[runs++] = u;
                j += len;
            }
            for (i64 ci = 0; ci < cg; ci++) {
                float* d = dst + (ci * rs + kr * g.s + ks) * PANEL;
                const float* plane = xg + ci * hw;
                for (int q = 0; q < runs; q++) {
                    const Run& u = run[q];
                    const float* src = plane + u.src;
                    for (i64 t = u.j; t < u.lo; t++) d[t] = 0.f;
                    if (g.sw == 1) for (i64 t = u.lo; t < u.hi; t++) d[t] = src[t];
                    else for (i64 t = u.lo; t < u.hi; t++) d[t] = src[t * g.sw];
                    for (i64 t = u.hi; t < u.end; t++) d[t] = 0.f;
                }
                for (int t = cols; t < PANEL; t++) d[t] = 0.f;
            }
        }
}

inline std::vector<float>& conv_scratch(int slot) {
    static thread_local std::vector<float> buf[3];
    return buf[slot];
}

// y <- conv(x, w) + bias, activation; wt is [groups][kg][crs].
// Panels fewer than threads (one small image: ResNet's last stages at batch 1) split their output channels too,
// so every thread streams its share of the weights; each split packs the panel it needs.
template <int R>
void conv_fwd_packed(const ConvGeom& g, const float* x, const float* wt, const float* bias, int act, float* y) {
    const i64 ohw = g.ohw(), panels = packed_panels(ohw), kg = g.kg(), crs = g.crs();
    const int nt0 = threads_for(g.n * g.k * ohw * crs);
    const i64 panelItems = g.n * g.groups * panels;
    const i64 splits = std::max<i64>(1, std::min<i64>((nt0 + panelItems - 1) / panelItems, kg / (4 * R)));
    const i64 items = panelItems * splits;
    run_shares(nt0, items, [&](int t, int nt) {
        std::vector<float>& panel = conv_scratch(0);
        panel.resize((size_t)(crs * PANEL));
        for (i64 it = items * t / nt, end = items * (t + 1) / nt; it < end; it++) {
            const i64 sp = it % splits, pi = it / splits;
            const i64 p = pi % panels, gi = (pi / panels) % g.groups, b = pi / (panels * g.groups);
            const i64 j0 = p * PANEL, r0 = kg * sp / splits / R * R, r1 = sp + 1 == splits ? kg : kg * (sp + 1) / splits / R * R;
            const int cols = (int)std::min<i64>(PANEL, ohw - j0);
            im2col_panel(g, x + (b * g.c + gi * g.cg()) * g.h * g.w, j0, cols, panel.data());
            float* c = y + (b * g.k + gi * kg + r0) * ohw + j0;
            rows_times_panel<R>(wt + (gi * kg + r0) * crs, crs, 1, r1 - r0, panel.data(), crs, c, ohw, cols, 0.f,
                                bias ? bias + gi * kg + r0 : nullptr, act);
            if (act == OP_IDENTITY || act == OP_RELU || act == OP_RELU6) continue;
            for (i64 i = 0; i < r1 - r0; i++) run_instruction<float>(act, c + i * ohw, c + i * ohw, c + i * ohw, c + i * ohw, 0.01f, cols);
        }
    });
}

// col2im of one image's group: gx channels += the columns of gcol ([crs][ohw]).
ENGINE_INLINE void col2im_image(const ConvGeom& g, const float* gcol, float* gxg) {
    const i64 ohw = g.ohw();
    for (i64 ci = 0; ci < g.cg(); ci++) {
        float* plane = gxg + ci * g.h * g.w;
        for (i64 kr = 0; kr < g.r; kr++) for (i64 ks = 0; ks < g.s; ks++) {
            const float* src = gcol + ((ci * g.r + kr) * g.s + ks) * ohw;
            // outputs ox in [lo, hi) land inside the row
            const i64 sw = g.sw, ix0 = ks * g.dw - g.pw;
            const i64 lo = std::min(g.ow, ix0 >= 0 ? i64(0) : (sw - 1 - ix0) / sw);
            const i64 hi = std::max(lo, std::min(g.ow, ix0 < g.w ? (g.w - 1 - ix0) / sw + 1 : i64(0)));
            for (i64 oy = 0; oy < g.oh; oy++) {
                const i64 iy = oy * g.sh - g.ph + kr * g.dh;
                if (iy < 0 || iy >= g.h) continue;
                const float* sr = src + oy * g.ow;
                float* dr = plane + iy * g.w + ix0;
                if (sw == 1) for (i64 ox = lo; ox < hi; ox++) dr[ox] += sr[ox];
                else for (i64 ox = lo; ox < hi; ox++) dr[ox * sw] += sr[ox];
            }
        }
    }
}

// gx <- the input gradient by W^T gy per image and group on the tiles, then col2im (any stride).
template <int R>
void conv_bwd_input_gemm(const ConvGeom& g, const float* gy, const float* w, float* gx) {
    const i64 ohw = g.ohw(), panels = packed_panels(ohw), kg = g.kg(), crs = g.crs();
    const i64 items = g.n * g.groups;
    run_shares(threads_for(g.n * g.k * ohw * crs), items, [&](int t, int nt) {
        std::vector<float>& bp = conv_scratch(0);
        std::vector<float>& gcol = conv_scratch(1);
        bp.resize((size_t)packed_size(kg, ohw));
        gcol.resize((size_t)(crs * ohw));
        for (i64 it = items * t / nt, end = items * (t + 1) / nt; it < end; it++) {
            const i64 gi = it % g.groups, b = it / g.groups;
            float* gxg = gx + (b * g.c + gi * g.cg()) * g.h * g.w;
            std::memset(gxg, 0, sizeof(float) * g.cg() * g.h * g.w);
            pack_b_panels(gy + (b * g.k + gi * kg) * ohw, ohw, false, kg, ohw, 0, panels, bp.data());
            for (i64 p = 0; p < panels; p++) {
                const i64 j0 = p * PANEL;
                rows_times_panel<R>(w + gi * kg * crs, 1, crs, crs, bp.data() + p * kg * PANEL, kg, gcol.data() + j0, ohw,
                                    (int)std::min<i64>(PANEL, ohw - j0), 0.f);
            }
            col2im_image(g, gcol.data(), gxg);
        }
    });
}

// Images per chunk of the weight gradient: im2col of a chunk about 512 KB (L2). Depends on the shape only.
// The weight (and bias) gradient: per-chunk partial sums added in chunk order, so the result is the same
// whatever thread computed which chunk. part holds chunks x groups blocks of kg x crs values, element
// (kk, row) of a block at kk * kk_stride + row * row_stride; bpart chunks x groups x kg.
inline void sum_weight_chunks(const float* part, const float* bpart, i64 chunks, i64 groups, i64 kg, i64 crs,
                              i64 kk_stride, i64 row_stride, float* gw, float* gb) {
    for (i64 gi = 0; gi < groups; gi++)
        for (i64 kk = 0; kk < kg; kk++) {
            float* dst = gw + (gi * kg + kk) * crs;
            for (i64 row = 0; row < crs; row++) {
                float s = 0.f;
                for (i64 chunk = 0; chunk < chunks; chunk++)
                    s += part[(size_t)((chunk * groups + gi) * kg * crs + kk * kk_stride + row * row_stride)];
                dst[row] = s;
            }
            if (gb) {
                float s = 0.f;
                for (i64 chunk = 0; chunk < chunks; chunk++) s += bpart[(size_t)((chunk * groups + gi) * kg + kk)];
                gb[gi * kg + kk] = s;
            }
        }
}

inline i64 weight_grad_chunk(const ConvGeom& g) {
    return std::max<i64>(1, std::min<i64>(g.n, (i64(1) << 17) / std::max<i64>(1, g.crs() * g.ohw())));
}

// gw [k][crs] (and gb [k] when not null) <- the weight (and bias) gradient.
template <int R>
void conv_bwd_weight_packed(const ConvGeom& g, const float* x, const float* gy, float* gw, float* gb) {
    const i64 ohw = g.ohw(), kg = g.kg(), crs = g.crs(), kpanels = packed_panels(kg);
    const i64 nb = weight_grad_chunk(g), chunks = (g.n + nb - 1) / nb, items = chunks * g.groups;
    std::vector<float> part((size_t)(items * crs * kg)), bpart((size_t)(items * kg));
    run_shares(threads_for(g.n * g.k * ohw * crs), items, [&](int t, int nt) {
        std::vector<float>& col = conv_scratch(0);
        std::vector<float>& bt = conv_scratch(1);
        for (i64 it = items * t / nt, end = items * (t + 1) / nt; it < end; it++) {
            const i64 chunk = it / g.groups, gi = it % g.groups, b0 = chunk * nb, bn = std::min(nb, g.n - b0), cols = bn * ohw;
            col.resize((size_t)(crs * cols));
            bt.resize((size_t)packed_size(cols, kg));
            for (i64 b = 0; b < bn; b++)
                im2col_span(g, x + ((b0 + b) * g.c + gi * g.cg()) * g.h * g.w, 0, crs, 0, ohw, col.data() + b * ohw, cols);
            // gy^T in panels of 32 channels (rows = positions of the chunk), and each channel's sum
            float* bsum = bpart.data() + it * kg;
            for (i64 q = 0; q < kpanels; q++) {
                float* pp = bt.data() + q * cols * PANEL;
                const int used = (int)std::min<i64>(PANEL, kg - q * PANEL);
                if (used < PANEL)
                    for (i64 kk = 0; kk < cols; kk++) for (int j = used; j < PANEL; j++) pp[kk * PANEL + j] = 0.f;
                for (int j = 0; j < used; j++) {
                    const i64 ch = q * PANEL + j;
                    float lanes[16] = {0};
                    for (i64 b = 0; b < bn; b++) {
                        const float* src = gy + ((b0 + b) * g.k + gi * kg + ch) * ohw;
                        float* d = pp + b * ohw * PANEL + j;
                        for (i64 i = 0; i < ohw; i++) d[i * PANEL] = src[i];
                        i64 i = 0;
                        for (; i + 16 <= ohw; i += 16) for (int l = 0; l < 16; l++) lanes[l] += src[i + l];
                        for (; i < ohw; i++) lanes[i & 15] += src[i];
                    }
                    float s = 0.f;
                    for (int l = 0; l < 16; l++) s += lanes[l];
                    bsum[ch] = s;
                }
            }
            float* c = part.data() + it * crs * kg;
            for (i64 q = 0; q < kpanels; q++)
                rows_times_panel<R>(col.data(), cols, 1, crs, bt.data() + q * cols * PANEL, cols, c + q * PANEL, kg,
                                    (int)std::min<i64>(PANEL, kg - q * PANEL), 0.f);
        }
    });
    sum_weight_chunks(part.data(), bpart.data(), chunks, g.groups, kg, crs, 1, kg, gw, gb);
}

}  // namespace engine

namespace engine {

// ---- weight gradient of stride-1 convolutions, computed "wide" -----------------------------------------
// With gy copied into planes as wide as the padded input (zeros in the columns past ow), every filter tap
// is one dot product of contiguous runs:
//   gw[k][ci][kr][ks] = sum_p gyw[k][p] * xpad[ci][p + kr*dh*W + ks*dw]
// so no im2col is needed: a block of KB channels x TB taps keeps KB*TB vector sums in registers, each
// x load serving KB FMAs and each gy load TB. Sums run over a fixed chunk of images and are reduced in
// chunk order, as in the packed version above.

const int WG_KB = 4, WG_TB = 5;  // 20 accumulators + 4 gy vectors + 1 x vector of 32 registers
typedef float wg_vec __attribute__((vector_size(64)));
typedef float wg_vecu __attribute__((vector_size(64), aligned(4)));

struct WideGeom {
    i64 H, W, plane, P;       // padded input, its plane size, wide positions per image (a multiple of 16)
    i64 xsize, gsize;         // floats of one image's padded group input (with slack) and its wide gy
    std::vector<i64> off;     // per tap (kr, ks): its offset in the padded plane
};

inline WideGeom wide_geom(const ConvGeom& g) {
    WideGeom q;
    q.H = g.h + 2 * g.ph;
    q.W = g.w + 2 * g.pw;
    q.plane = q.H * q.W;
    q.P = (g.oh * q.W + 15) / 16 * 16;
    for (i64 kr = 0; kr < g.r; kr++) for (i64 ks = 0; ks < g.s; ks++) q.off.push_back(kr * g.dh * q.W + ks * g.dw);
    const i64 reach = q.P + q.off.back();  // the furthest read of the last plane
    q.xsize = (g.cg() - 1) * q.plane + std::max(q.plane, reach) + 16;
    q.gsize = g.kg() * q.P;
    return q;
}

// One image's cg group channels ([cg][h][w] at src) into dst, zeroed planes of plane floats and W columns,
// at row ph and column pw (the padding stays zero).
ENGINE_INLINE void copy_padded_planes(const ConvGeom& g, const float* src, float* dst, i64 plane, i64 W) {
    for (i64 ci = 0; ci < g.cg(); ci++)
        for (i64 iy = 0; iy < g.h; iy++)
            std::memcpy(dst + ci * plane + (iy + g.ph) * W + g.pw, src + (ci * g.h + iy) * g.w, sizeof(float) * g.w);
}

// Whether the wide kernel pays: stride 1 and most wide columns real outputs.
inline bool use_wide_weight_grad(const ConvGeom& g) {
    return g.sh == 1 && g.sw == 1 && g.ow * 3 >= (g.w + 2 * g.pw) * 2 && g.oh > 0 && g.ow > 0;
}

template <int KB, int TB>
ENGINE_INLINE void wide_block(const WideGeom& q, const float* gyw, const float* xp, i64 nimg, i64 xs, i64 gs, const i64* off, float* out, i64 ldo) {
    wg_vec acc[KB][TB];
    for (int o = 0; o < KB; o++) for (int t = 0; t < TB; t++) acc[o][t] = wg_vec{};
    for (i64 b = 0; b < nimg; b++) {
        const float* gb = gyw + b * gs;
        const float* xb = xp + b * xs;
        for (i64 p = 0; p < q.P; p += 16) {
            wg_vec gv[KB];
            for (int o = 0; o < KB; o++) gv[o] = *reinterpret_cast<const wg_vecu*>(gb + o * q.P + p);
            for (int t = 0; t < TB; t++) {
                const wg_vec xv = *reinterpret_cast<const wg_vecu*>(xb + p + off[t]);
                for (int o = 0; o < KB; o++) acc[o][t] += gv[o] * xv;
            }
        }
    }
    for (int o = 0; o < KB; o++) for (int t = 0; t < TB; t++) {
        float s = 0.f;
        for (int l = 0; l < 16; l++) s += acc[o][t][l];
        out[o * ldo + t] = s;
    }
}

template <int KB>
ENGINE_INLINE void wide_block_taps(const WideGeom& q, const float* gyw, const float* xp, i64 nimg, i64 xs, i64 gs, const i64* off, int tb, float* out, i64 ldo) {
    switch (tb) {
        case 5: wide_block<KB, 5>(q, gyw, xp, nimg, xs, gs, off, out, ldo); break;
        case 4: wide_block<KB, 4>(q, gyw, xp, nimg, xs, gs, off, out, ldo); break;
        case 3: wide_block<KB, 3>(q, gyw, xp, nimg, xs, gs, off, out, ldo); break;
        case 2: wide_block<KB, 2>(q, gyw, xp, nimg, xs, gs, off, out, ldo); break;
        default: wide_block<KB, 1>(q, gyw, xp, nimg, xs, gs, off, out, ldo); break;
    }
}

// Images per chunk: the chunk's padded inputs and wide gy about 256 KB. Depends on the shape only.
inline i64 wide_chunk(const ConvGeom& g, const WideGeom& q) {
    return std::max<i64>(1, std::min<i64>(g.n, (i64(1) << 16) / (q.xsize + q.gsize)));
}

inline void conv_bwd_weight_wide(const ConvGeom& g, const float* x, const float* gy, float* gw, float* gb) {
    const WideGeom q = wide_geom(g);
    const i64 kg = g.kg(), cg = g.cg(), rs = g.r * g.s, crs = g.crs(), ohw = g.ohw();
    const i64 nb = wide_chunk(g, q), chunks = (g.n + nb - 1) / nb, items = chunks * g.groups;
    std::vector<float> part((size_t)(items * kg * crs)), bpart((size_t)(items * kg));
    run_shares(threads_for(g.n * g.k * ohw * crs), items, [&](int t, int nt) {
        std::vector<float>& xp = conv_scratch(0);
        std::vector<float>& gyw = conv_scratch(1);
        for (i64 it = items * t / nt, end = items * (t + 1) / nt; it < end; it++) {
            const i64 chunk = it / g.groups, gi = it % g.groups, b0 = chunk * nb, bn = std::min(nb, g.n - b0);
            xp.assign((size_t)(bn * q.xsize), 0.f);
            gyw.assign((size_t)(bn * q.gsize), 0.f);
            float* bsum = bpart.data() + it * kg;
            for (i64 kk = 0; kk < kg; kk++) bsum[kk] = 0.f;
            for (i64 b = 0; b < bn; b++) {
                copy_padded_planes(g, x + ((b0 + b) * g.c + gi * cg) * g.h * g.w, xp.data() + b * q.xsize, q.plane, q.W);
                for (i64 kk = 0; kk < kg; kk++) {
                    const float* src = gy + ((b0 + b) * g.k + gi * kg + kk) * ohw;
                    float* dst = gyw.data() + b * q.gsize + kk * q.P;
                    for (i64 oy = 0; oy < g.oh; oy++) std::memcpy(dst + oy * q.W, src + oy * g.ow, sizeof(float) * g.ow);
                }
            }
            if (gb) {  // per-channel sums of the chunk, 16 lanes then the lanes in order
                for (i64 kk = 0; kk < kg; kk++) {
                    float lanes[16] = {0};
                    for (i64 b = 0; b < bn; b++) {
                        const float* s = gyw.data() + b * q.gsize + kk * q.P;
                        for (i64 p = 0; p < q.P; p += 16) for (int l = 0; l < 16; l++) lanes[l] += s[p + l];
                    }
                    float s = 0.f;
                    for (int l = 0; l < 16; l++) s += lanes[l];
                    bsum[kk] = s;
                }
            }
            float* c = part.data() + it * kg * crs;
            for (i64 k0 = 0; k0 < kg; k0 += WG_KB) {
                const int kb = (int)std::min<i64>(WG_KB, kg - k0);
                for (i64 ci = 0; ci < cg; ci++)
                    for (i64 t0 = 0; t0 < rs; t0 += WG_TB) {
                        const int tb = (int)std::min<i64>(WG_TB, rs - t0);
                        const float* gsrc = gyw.data() + k0 * q.P;
                        const float* xsrc = xp.data() + ci * q.plane;
                        float* out = c + k0 * crs + ci * rs + t0;
                        switch (kb) {
                            case 4: wide_block_taps<4>(q, gsrc, xsrc, bn, q.xsize, q.gsize, q.off.data() + t0, tb, out, crs); break;
                            case 3: wide_block_taps<3>(q, gsrc, xsrc, bn, q.xsize, q.gsize, q.off.data() + t0, tb, out, crs); break;
                            case 2: wide_block_taps<2>(q, gsrc, xsrc, bn, q.xsize, q.gsize, q.off.data() + t0, tb, out, crs); break;
                            default: wide_block_taps<1>(q, gsrc, xsrc, bn, q.xsize, q.gsize, q.off.data() + t0, tb, out, crs); break;
                        }
                    }
            }
        }
    });
    sum_weight_chunks(part.data(), bpart.data(), chunks, g.groups, kg, crs, crs, 1, gw, gb);
}

}  // namespace engine
