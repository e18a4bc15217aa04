// int8 GEMM of a frozen model's quantised linear layer (layout and portable kernels: int8_pack.h; x86
// kernels: int8_x86.h): the widest kernels this CPU runs, chosen once, and the entry points on the pool.
#pragma once
#include "int8_x86.h"
#include "int8_conv_pool.h"
#include "pool.h"

namespace engine {

const double QUANTIZE_PARALLEL_VALUES = 8192;  // fewer activations: one thread quantises them faster
const int RANGE_PARTS = 64;                      // most threads that share the range of A

typedef void (*QBlock)(const Int8Gemm&, i64, i64, i64, i64);

// One ISA's int8 kernels: the product, the quantisation of A, its range.
struct QKernels {
    QBlock block;
    QQuantize quantize;
    QRange range;
    const char* name;
};

// The widest int8 kernels this CPU runs, chosen once: "amx", "avx512vnni", "avx2" or "baseline".
// ENGINE_CPU_ISA=avx512vnni, avx2 or baseline narrows the choice, as for the F32 kernel.
inline const QKernels& q_kernels(const char** name) {
    static const QKernels pick = [] {
        const char* want = std::getenv("ENGINE_CPU_ISA");
        std::string w = want ? want : "";
#ifdef ENGINE_X86_INT8
        __builtin_cpu_init();
        bool vnni = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl")
                && __builtin_cpu_supports("avx512vnni");
        bool narrow = w == "avx512vnni" || w == "avx512" || w == "avx2" || w == "baseline";
        if (!narrow && vnni && amx_usable()) return QKernels{q_block_amx, q_quantize_row_avx512, q_row_range_avx512, "amx"};
        if (w != "avx2" && w != "baseline" && vnni) return QKernels{q_block_vnni, q_quantize_row_avx512, q_row_range_avx512, "avx512vnni"};
        if (w != "baseline" && __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
            return QKernels{q_block_avx2, q_quantize_row_avx2, q_row_range_avx2, "avx2"};
#endif
        return QKernels{q_block_base, q_quantize_row_base, q_row_range_base, "baseline"};
    }();
    if (name) *name = pick.name;
    return pick;
}

template <typename T> std::vector<T>& q_scratch() {
    static thread_local std::vector<T> buf;
    return buf;
}

// The convolution's [P, K] GEMM output (q_scratch<float> holds the GEMM's scales meanwhile).
inline std::vector<float>& conv_tmp() {
    static thread_local std::vector<float> buf;
    return buf;
}

// A call's per-column zero-point corrections (za x the packed column sums) and output scales (sa x the
// column scales) of a packed k x n matrix, in this thread's scratch.
struct QColumns { const int32_t* corr; const float* scale; };
// The packed matrix's per-column weight scales (n of them, then padding).
inline const float* q_column_scales(const uint8_t* packed, i64 k, i64 n) {
    return reinterpret_cast<const float*>(packed + q_data_bytes(k, n) + 4 * q_cols_padded(n));
}
inline QColumns q_columns(const uint8_t* packed, i64 k, i64 n, float sa, int za) {
    const i64 npad = q_cols_padded(n);
    const int32_t* sums = reinterpret_cast<const int32_t*>(packed + q_data_bytes(k, n));
    const float* wsc = q_column_scales(packed, k, n);
    std::vector<int32_t>& corr = q_scratch<int32_t>();
    std::vector<float>& scale = q_scratch<float>();
    corr.resize((size_t)npad);
    scale.resize((size_t)npad);
    for (i64 j = 0; j < npad; j++) { corr[j] = za * sums[j]; scale[j] = sa * wsc[j]; }
    return {corr.data(), scale.data()};
}

// The product of already quantised rows g.aq (g.kq bytes each) with sa and za: column corrections and
// scales, then the blocks on the pool.
inline void int8_gemm_quantized(Int8Gemm g, const uint8_t* packed, float sa, int za) {
    const QColumns cols = q_columns(packed, g.k, g.n, sa, za);
    g.bp = reinterpret_cast<const int8_t*>(packed);
    g.corr = cols.corr;
    g.scale = cols.scale;
    QBlock block = q_kernels().block;
    int nt = (double)g.m * g.n * g.k < 4 * PACKED_PARALLEL_MACS ? 1 : thread_count().load(std::memory_order_relaxed);
    if (nt <= 1) product_range(g, block, 0, 1);
    else run_on_threads(nt, [&](int t, int n) { product_range(g, block, t, n); });
}

// The whole call: quantise A (dynamic: its range first), the int8 product on the pool, NaN rows where A
// held a non-finite value. dynamic false: sa and za as given.
inline void int8_gemm(Int8Gemm g, const uint8_t* packed, bool dynamic, float sa, int za) {
    if (g.m == 0 || g.n == 0) return;
    const QKernels& kern = q_kernels();
    // the range and the quantisation by rows on the pool (a division per value: a batch of rows costs
    // about a tenth of the product on one thread); min, max and each row's bytes do not depend on the split
    const int nt = g.m > 1 && (double)g.m * g.k >= QUANTIZE_PARALLEL_VALUES ? thread_count().load(std::memory_order_relaxed) : 1;
    auto rows = [&](int t, int n) { return std::pair<i64, i64>{g.m * t / n, g.m * (t + 1) / n}; };
    if (dynamic) {
        const int parts = std::min(nt, RANGE_PARTS);
        float lo[RANGE_PARTS] = {}, hi[RANGE_PARTS] = {};
        run_on_threads(parts, [&](int t, int n) {
            auto [r0, r1] = rows(t, n);
            range_rows(kern.range, g.a + r0 * g.lda, g.lda, r1 - r0, g.k, &lo[t], &hi[t]);
        });
        for (int t = 1; t < parts; t++) { lo[0] = std::min(lo[0], lo[t]); hi[0] = std::max(hi[0], hi[t]); }
        range_params(lo[0], hi[0], &sa, &za);
    }
    g.kq = 4 * q_groups(g.k);
    std::vector<uint8_t>& aq = q_scratch<uint8_t>();
    aq.resize((size_t)(g.m * g.kq + g.m));
    uint8_t* bad = aq.data() + g.m * g.kq;
    run_on_threads(nt, [&](int t, int n) {
        auto [r0, r1] = rows(t, n);
        quantize_rows(kern.quantize, g.a + r0 * g.lda, g.lda, r1 - r0, g.k, sa, za, aq.data() + r0 * g.kq, g.kq, bad + r0);
    });
    g.aq = aq.data();
    int8_gemm_quantized(g, packed, sa, za);
    for (i64 i = 0; i < g.m; i++)
        if (bad[i]) for (i64 j = 0; j < g.n; j++) g.c[i * g.ldc + j] = NAN;
}

// ---- convolution: im2col of the quantised input, then the int8 GEMM -----------------------------------

// An image quantised into planes padded with the zero point (so the windows need no bounds checks), plus
// slack bytes past the last plane that a kernel's wide loads may read: Q_PAD_SLACK for im2col's 8-byte
// window copies, Q_PLANE_SLACK for the plane kernel's 64-byte loads.
const i64 Q_PAD_SLACK = 8;
const i64 Q_PLANE_SLACK = 128;
inline i64 q_padded_h(const ConvShape& g) { return g.h + 2 * g.pad_h; }
inline i64 q_padded_w(const ConvShape& g) { return g.w + 2 * g.pad_w; }
inline i64 q_planes_bytes(const ConvShape& g) { return g.c * q_padded_h(g) * q_padded_w(g); }

// xp <- the image x (C x H x W floats) quantised into padded planes, then `slack` bytes of the zero point;
// returns whether it held a NaN or an infinity.
inline bool q_pad_image(const QKernels& kern, const ConvShape& g, const float* x, float sa, uint8_t z, i64 slack, uint8_t* xp) {
    const i64 ph = q_padded_h(g), pw = q_padded_w(g), planes = q_planes_bytes(g);
    if (g.pad_h == 0 && g.pad_w == 0) {  // the planes are the image: one run
        std::memset(xp + planes, z, (size_t)slack);
        return kern.quantize(x, planes, sa, (float)z, xp) != 0;
    }
    std::memset(xp, z, (size_t)(planes + slack));
    bool bad = false;
    for (i64 c = 0; c < g.c; c++)
        for (i64 y = 0; y < g.h; y++)
            bad |= kern.quantize(x + (c * g.h + y) * g.w, g.w, sa, (float)z, xp + (c * ph + y + g.pad_h) * pw + g.pad_w) != 0;
    return bad;
}

// Rows of the im2col matrix of one padded image: one per output position, its C*R*S bytes in KCRS order,
// zero padding to kq. Filled one tap row (c, r) of one output row at a time; with dilation 1 and S <= 8
// a tap row is one 8-byte copy (the bytes past its S are written again by a later tap row or by the zero
// padding, which comes last), except where those 8 bytes would pass the end of the row.
inline void q_im2col(const ConvShape& g, const uint8_t* xp, uint8_t* col, i64 kq) {
    const i64 oh = g.out_h(), ow = g.out_w(), crs = g.c * g.r * g.s, ph = q_padded_h(g), pw = q_padded_w(g);
    const i64 s = g.s, sw = g.stride_w, dw = g.dil_w;
    for (i64 oy = 0; oy < oh; oy++) {
        uint8_t* out = col + oy * ow * kq;
        for (i64 c = 0; c < g.c; c++)
            for (i64 r = 0; r < g.r; r++) {
                const i64 t = (c * g.r + r) * s;
                const uint8_t* src = xp + (c * ph + oy * g.stride_h + r * g.dil_h) * pw;
                if (dw == 1 && s <= 8 && t + 8 <= kq) {
                    for (i64 ox = 0; ox < ow; ox++) std::memcpy(out + ox * kq + t, src + ox * sw, 8);
                } else {
                    for (i64 ox = 0; ox < ow; ox++)
                        for (i64 q = 0; q < s; q++) out[ox * kq + t + q] = src[ox * sw + q * dw];
                }
            }
        if (crs < kq)
            for (i64 ox = 0; ox < ow; ox++) std::memset(out + ox * kq + crs, 0, (size_t)(kq - crs));
    }
}

// Whether the plane kernel (int8_conv_plane.h) runs here: a CPU whose int8 kernels are AVX-512 VNNI (or
// AMX) and that has VBMI. ENGINE_CPU_ISA=avx2 or baseline turns it off.
inline bool q_plane_runs() {
    static const bool runs = [] {
        const char* isa = nullptr;
        q_kernels(&isa);
        return q_plane_cpu() && (std::string(isa) == "avx512vnni" || std::string(isa) == "amx");
    }();
    return runs;
}

// Whether conv2d_int8 takes the plane kernel for g.
inline bool q_plane_usable(const ConvShape& g) { return q_plane_runs() && q_plane_shape(g); }

#ifdef ENGINE_X86_INT8
// conv2d_int8 by the plane kernel: a chunk of images quantised into padded planes, then (image, run of
// 16-position vectors) items on the pool; an image alone is split into runs when it is worth two threads.
// pool: y is the 2x2, stride-2 max pool of the output instead (int8_conv_pool.h; runs of pooled rows).
inline void conv2d_int8_plane(const QKernels& kern, const ConvShape& g, const float* x, const uint8_t* packed, const float* bias, int act,
                              float* y, float sa, int za, bool pool) {
    const i64 oh = g.out_h(), ow = g.out_w(), P = oh * ow, img = g.c * g.h * g.w, crs = g.c * g.r * g.s;
    const i64 ph = q_padded_h(g), pw = q_padded_w(g), pimg = q_planes_bytes(g) + Q_PLANE_SLACK;
    const i64 positions = (oh - 1) * pw + ow, vecs = (positions + 15) / 16;
    const i64 units = pool ? oh / 2 : vecs, out = pool ? g.k * (oh / 2) * (ow / 2) : g.k * P;
    const QColumns cols = q_columns(packed, crs, g.k, sa, za);
    const std::vector<QPlaneGroup>& groups = q_plane_groups_cached(g, ph, pw);
    QPlaneCall c{&g, pw, positions, groups.data(), (i64)groups.size(), reinterpret_cast<const int8_t*>(packed), q_panel_bytes(crs),
                 cols.corr, cols.scale, bias, act == OP_RELU};
    const i64 chunk = std::max<i64>(1, std::min<i64>(g.n, (i64(8) << 20) / pimg));
    std::vector<uint8_t>& xq = q_scratch<uint8_t>();
    xq.resize((size_t)(chunk * (pimg + 1)));
    uint8_t* bad = xq.data() + chunk * pimg;
    const double macs_per_image = (double)P * g.k * crs;
    const int threads = thread_count().load(std::memory_order_relaxed);
    for (i64 b0 = 0; b0 < g.n; b0 += chunk) {
        const i64 nb = std::min(chunk, g.n - b0);
        parallel_for(nb, threads_for(nb * img), [&](i64 i) {
            bad[i] = q_pad_image(kern, g, x + (b0 + i) * img, sa, (uint8_t)za, Q_PLANE_SLACK, xq.data() + i * pimg);
        });
        const int nt = nb * macs_per_image < 4 * PACKED_PARALLEL_MACS ? 1 : threads;
        const i64 runs = nb >= nt ? 1 : (nt + nb - 1) / nb;
        parallel_for(nb * runs, nt, [&](i64 item) {
            const i64 i = item / runs, r = item % runs, u0 = units * r / runs, u1 = units * (r + 1) / runs;
            if (pool) q_plane_pool_rows(c, xq.data() + i * pimg, y + (b0 + i) * out, u0, u1);
            else q_plane_vectors(c, xq.data() + i * pimg, y + (b0 + i) * out, u0, u1);
        });
        // NaN images, and activations other than ReLU (which the kernel applied; a pooled call has none)
        const bool other_act = act != OP_IDENTITY && act != OP_RELU;
        if (!other_act && std::none_of(bad, bad + nb, [](uint8_t v) { return v != 0; })) continue;
        parallel_for(nb, threads_for(nb * out), [&](i64 i) {
            float* yb = y + (b0 + i) * out;
            if (bad[i]) std::fill(yb, yb + out, NAN);
            else if (other_act)
                for (i64 k = 0; k < g.k; k++) epilogue_row<float>(yb + k * P, P, nullptr, nullptr, act, 0.f);
        });
    }
}
#endif

// An NCHW convolution (groups 1) with a weight packed as the [C*R*S, K] int8 matrix, a chunk of images at
// a time: each image's input quantised once and its windows gathered into rows of C*R*S bytes (padding =
// the zero point, i.e. 0.0), one GEMM over the whole chunk into a [images * P, K] block (P = OH*OW), then
// transposed into y's [K, P] per image with bias and activation. One GEMM per chunk, not per image: a
// LeNet-sized image alone is too small a product to split between threads. An image holding a NaN or an
// infinity gives NaN outputs.
inline void conv2d_int8(const ConvShape& g, const float* x, const uint8_t* packed, const float* bias, int act, float* y,
                        bool dynamic, float sa, int za) {
    const QKernels& kern = q_kernels();
    const i64 oh = g.out_h(), ow = g.out_w(), P = oh * ow, crs = g.c * g.r * g.s, img = g.c * g.h * g.w;
    if (g.n == 0 || g.k == 0 || P == 0) return;
    if (dynamic) dynamic_params(kern.range, x, 0, 1, g.n * img, &sa, &za);
#ifdef ENGINE_X86_INT8
    if (q_plane_usable(g)) { conv2d_int8_plane(kern, g, x, packed, bias, act, y, sa, za, false); return; }
#endif
    const i64 kq = 4 * q_groups(crs);
    // images per chunk: its quantised inputs, windows and F32 GEMM output about 8 MB (at least one image)
    const i64 pimg = q_planes_bytes(g) + Q_PAD_SLACK;
    const i64 chunk = std::max<i64>(1, std::min<i64>(g.n, (i64(8) << 20) / (pimg + P * kq + 4 * P * g.k)));
    std::vector<uint8_t>& xq = q_scratch<uint8_t>();
    xq.resize((size_t)(chunk * (pimg + P * kq + 1)));
    uint8_t* col = xq.data() + chunk * pimg;
    uint8_t* bad = col + chunk * P * kq;
    std::vector<float>& tmp = conv_tmp();
    tmp.resize((size_t)(chunk * P * g.k));
    for (i64 b0 = 0; b0 < g.n; b0 += chunk) {
        const i64 nb = std::min(chunk, g.n - b0);
        parallel_for(nb, threads_for(nb * (img + P * kq)), [&](i64 i) {
            uint8_t* xi = xq.data() + i * pimg;
            bad[i] = q_pad_image(kern, g, x + (b0 + i) * img, sa, (uint8_t)za, Q_PAD_SLACK, xi);
            q_im2col(g, xi, col + i * P * kq, kq);
        });
        Int8Gemm m{};
        m.m = nb * P; m.n = g.k; m.k = crs; m.kq = kq; m.aq = col;
        m.c = tmp.data(); m.ldc = g.k; m.act = OP_IDENTITY;
        int8_gemm_quantized(m, packed, sa, za);
        // per image: transpose, then bias and activation per output channel (one long row each, not P short ones)
        parallel_for(nb, threads_for(nb * P * g.k), [&](i64 i) {
            float* yb = y + (b0 + i) * g.k * P;
            const float* ti = tmp.data() + i * P * g.k;
            for (i64 p = 0; p < P; p++)
                for (i64 k = 0; k < g.k; k++) yb[k * P + p] = bad[i] ? NAN : ti[p * g.k + k];
            for (i64 k = 0; k < g.k; k++) {
                float* row = yb + k * P;
                if (bias) for (i64 p = 0; p < P; p++) row[p] += bias[k];
                epilogue_row<float>(row, P, nullptr, nullptr, act, 0.f);
            }
        });
    }
}

// conv2d_int8, then a 2x2, stride-2, unpadded max pool into y (n x k x oh/2 x ow/2), without the unpooled
// output: shapes the plane kernel takes (q_plane_usable), no activation or ReLU. Where a scale would not
// keep the epilogue non-decreasing (a negative or non-finite sa x column scale), the two steps one after
// the other.
inline void conv2d_int8_max_pool(const ConvShape& g, const float* x, const uint8_t* packed, const float* bias, int act, float* y,
                                 bool dynamic, float sa, int za) {
    const QKernels& kern = q_kernels();
    const i64 oh = g.out_h(), ow = g.out_w(), crs = g.c * g.r * g.s, img = g.c * g.h * g.w;
    if (g.n == 0 || g.k == 0 || oh < 2 || ow < 2) return;
    if (dynamic) dynamic_params(kern.range, x, 0, 1, g.n * img, &sa, &za);
    const float* wsc = q_column_scales(packed, crs, g.k);
    const bool monotone = std::all_of(wsc, wsc + g.k, [sa](float s) { return sa * s >= 0 && std::isfinite(sa * s); });
#ifdef ENGINE_X86_INT8
    if (monotone && q_plane_usable(g) && (act == OP_IDENTITY || act == OP_RELU)) {
        conv2d_int8_plane(kern, g, x, packed, bias, act, y, sa, za, true);
        return;
    }
#endif
    std::vector<float> full((size_t)(g.n * g.k * oh * ow));
    conv2d_int8(g, x, packed, bias, act, full.data(), false, sa, za);
    max_pool_fwd<float>(PoolGeom{g.n * g.k, oh, ow, 2, 2, 2, 2, 0, 0, 0, oh / 2, ow / 2}, full.data(), y, nullptr);
}

}  // namespace engine
