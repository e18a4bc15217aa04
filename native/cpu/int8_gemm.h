// int8 GEMM of a frozen model's quantised linear layer (layout and portable kernels: int8_pack.h; x86
// kernels: int8_x86.h): the widest kernels this CPU runs, chosen once, and the entry points on the pool.
#pragma once
#include "int8_x86.h"

namespace engine {

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

// The product of already quantised rows g.aq (g.kq bytes each) with sa and za: column corrections and
// scales, then the blocks on the pool.
inline void int8_gemm_quantized(Int8Gemm g, const uint8_t* packed, float sa, int za) {
    i64 npad = q_cols_padded(g.n);
    const int32_t* sums = reinterpret_cast<const int32_t*>(packed + q_data_bytes(g.k, g.n));
    const float* wsc = reinterpret_cast<const float*>(sums + npad);
    std::vector<int32_t>& corr = q_scratch<int32_t>();
    std::vector<float>& scale = q_scratch<float>();
    corr.resize((size_t)npad);
    scale.resize((size_t)npad);
    for (i64 j = 0; j < npad; j++) { corr[j] = za * sums[j]; scale[j] = sa * wsc[j]; }
    g.bp = reinterpret_cast<const int8_t*>(packed);
    g.corr = corr.data();
    g.scale = scale.data();
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
    if (dynamic) dynamic_params(kern.range, g.a, g.lda, g.m, g.k, &sa, &za);
    g.kq = 4 * q_groups(g.k);
    std::vector<uint8_t>& aq = q_scratch<uint8_t>();
    aq.resize((size_t)(g.m * g.kq + g.m));
    uint8_t* bad = aq.data() + g.m * g.kq;
    quantize_rows(kern.quantize, g.a, g.lda, g.m, g.k, sa, za, aq.data(), g.kq, bad);
    g.aq = aq.data();
    int8_gemm_quantized(g, packed, sa, za);
    for (i64 i = 0; i < g.m; i++)
        if (bad[i]) for (i64 j = 0; j < g.n; j++) g.c[i * g.ldc + j] = NAN;
}

// ---- convolution: im2col of the quantised input, then the int8 GEMM -----------------------------------

// Rows of the im2col matrix: one per output position, its C*R*S input bytes in KCRS order (outside the
// image: z, the zero point), zero padding to kq. Each (c, r) tap row is one run of S bytes, copied without
// bounds checks where it lies inside the image (dilation 1).
inline void q_im2col(const ConvShape& g, const uint8_t* xq, uint8_t z, uint8_t* col, i64 kq) {
    const i64 oh = g.out_h(), ow = g.out_w();
    for (i64 oy = 0; oy < oh; oy++)
        for (i64 ox = 0; ox < ow; ox++) {
            uint8_t* row = col + (oy * ow + ox) * kq;
            const i64 ix0 = ox * g.stride_w - g.pad_w, last = ix0 + (g.s - 1) * g.dil_w;
            const bool inside = ix0 >= 0 && last < g.w && g.dil_w == 1;
            i64 t = 0;
            for (i64 c = 0; c < g.c; c++)
                for (i64 r = 0; r < g.r; r++, t += g.s) {
                    i64 iy = oy * g.stride_h - g.pad_h + r * g.dil_h;
                    if (iy < 0 || iy >= g.h) { for (i64 q = 0; q < g.s; q++) row[t + q] = z; continue; }
                    const uint8_t* src = xq + (c * g.h + iy) * g.w;
                    if (inside) { for (i64 q = 0; q < g.s; q++) row[t + q] = src[ix0 + q]; continue; }  // S is small: no memcpy call
                    for (i64 q = 0; q < g.s; q++) {
                        i64 ix = ix0 + q * g.dil_w;
                        row[t + q] = (ix >= 0 && ix < g.w) ? src[ix] : z;
                    }
                }
            for (; t < kq; t++) row[t] = 0;
        }
}

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
    const i64 kq = 4 * q_groups(crs);
    // images per chunk: its quantised inputs, windows and F32 GEMM output about 8 MB (at least one image)
    const i64 chunk = std::max<i64>(1, std::min<i64>(g.n, (i64(8) << 20) / (img + P * kq + 4 * P * g.k)));
    std::vector<uint8_t>& xq = q_scratch<uint8_t>();
    xq.resize((size_t)(chunk * (img + P * kq + 1)));
    uint8_t* col = xq.data() + chunk * img;
    uint8_t* bad = col + chunk * P * kq;
    std::vector<float>& tmp = conv_tmp();
    tmp.resize((size_t)(chunk * P * g.k));
    for (i64 b0 = 0; b0 < g.n; b0 += chunk) {
        const i64 nb = std::min(chunk, g.n - b0);
        parallel_for(nb, threads_for(nb * (img + P * kq)), [&](i64 i) {
            uint8_t* xi = xq.data() + i * img;
            bad[i] = kern.quantize(x + (b0 + i) * img, img, sa, (float)za, xi) != 0;
            q_im2col(g, xi, (uint8_t)za, col + i * P * kq, kq);
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

}  // namespace engine
