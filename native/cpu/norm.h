// Layer norm (per row) and batch norm (per channel of n x c x hw), forward and backward.
#pragma once
#include "common.h"
#include <type_traits>

namespace engine {

// Sum of f(j) for j < n in 16 lanes of T, the lanes then added in order in double: the loop vectorises
// without reassociation flags (a plain running sum stays scalar), and the order is fixed (the same for any
// thread count).
template <typename T, typename F>
ENGINE_INLINE double lane_sum(i64 n, F f) {
    T lanes[16] = {0};
    i64 j = 0;
    for (; j + 16 <= n; j += 16) for (int l = 0; l < 16; l++) lanes[l] += f(j + l);
    for (; j < n; j++) lanes[j & 15] += f(j);
    double s = 0;
    for (int l = 0; l < 16; l++) s += lanes[l];
    return s;
}

// The 16 F32 lanes of acc added pairwise in double (16 -> 8 -> 4 -> 2 -> 1, in registers: a lane array in
// memory made a short row wait on store forwarding).
typedef float ln_f16 __attribute__((vector_size(64)));
typedef float ln_f16u __attribute__((vector_size(64), aligned(4)));
typedef double ln_d8 __attribute__((vector_size(64)));
typedef double ln_d4 __attribute__((vector_size(32)));
typedef double ln_d2 __attribute__((vector_size(16)));
ENGINE_INLINE double lanes_to_double(ln_f16 acc) {
    ln_d8 d8 = __builtin_convertvector(__builtin_shufflevector(acc, acc, 0, 1, 2, 3, 4, 5, 6, 7), ln_d8)
             + __builtin_convertvector(__builtin_shufflevector(acc, acc, 8, 9, 10, 11, 12, 13, 14, 15), ln_d8);
    ln_d4 d4 = __builtin_shufflevector(d8, d8, 0, 1, 2, 3) + __builtin_shufflevector(d8, d8, 4, 5, 6, 7);
    ln_d2 d2 = __builtin_shufflevector(d4, d4, 0, 1) + __builtin_shufflevector(d4, d4, 2, 3);
    return d2[0] + d2[1];
}

// Mean (rounded to T) and sum of squared deviations from it of a row; F32 rows in 16 F32 lanes (a lane
// holds every 16th value).
ENGINE_INLINE void row_moments_f32(const float* x, i64 n, float* m, double* ss) {
    ln_f16 acc = {};
    i64 j = 0;
    for (; j + 16 <= n; j += 16) acc += *reinterpret_cast<const ln_f16u*>(x + j);
    for (; j < n; j++) acc[j & 15] += x[j];
    *m = (float)(lanes_to_double(acc) * (1.0 / (double)n));
    ln_f16 sq = {};
    for (j = 0; j + 16 <= n; j += 16) {
        ln_f16 d = *reinterpret_cast<const ln_f16u*>(x + j) - *m;
        sq += d * d;
    }
    for (; j < n; j++) { float d = x[j] - *m; sq[j & 15] += d * d; }
    *ss = lanes_to_double(sq);
}

template <typename T>
ENGINE_INLINE void row_moments(const T* x, i64 n, T* m, double* ss) {
    if constexpr (std::is_same<T, float>::value) {
        row_moments_f32(x, n, m, ss);
    } else {
        *m = (T)(lane_sum<T>(n, [&](i64 j) { return x[j]; }) / (double)n);
        *ss = lane_sum<T>(n, [&](i64 j) { T d = x[j] - *m; return d * d; });
    }
}

// Sums in lanes of T (F32 rows: F32 lanes, eight values of a 128-wide row each, then added in double),
// the statistics in double, the normalisation in T. Rows go in blocks of LN_ROWS whose statistics are
// computed side by side: one row's chain of sums, square root and division is too short to keep the core busy.
const i64 LN_ROWS = 4;
template <typename T>
static void layer_norm_fwd(const T* x, const T* g, const T* b, i64 rows, i64 cols, double eps, T* y, T* mean, T* rstd) {
    const i64 blocks = (rows + LN_ROWS - 1) / LN_ROWS;
    parallel_for(blocks, threads_for(rows * cols * 3), [&](i64 blk) {
        const i64 r0 = blk * LN_ROWS, nr = std::min(LN_ROWS, rows - r0);
        T m[LN_ROWS], s[LN_ROWS];
        #pragma GCC unroll 4
        for (i64 i = 0; i < LN_ROWS; i++) {
            if (i >= nr) break;
            double ss;
            row_moments<T>(x + (r0 + i) * cols, cols, &m[i], &ss);
            s[i] = (T)(1.0 / std::sqrt(ss / (double)cols + eps));
            mean[r0 + i] = m[i];
            rstd[r0 + i] = s[i];
        }
        for (i64 i = 0; i < nr; i++) {
            const T* xr = x + (r0 + i) * cols;
            T* yr = y + (r0 + i) * cols;
            const T mi = m[i], si = s[i];
            if (g && b) for (i64 j = 0; j < cols; j++) yr[j] = (xr[j] - mi) * si * g[j] + b[j];
            else if (g) for (i64 j = 0; j < cols; j++) yr[j] = (xr[j] - mi) * si * g[j];
            else if (b) for (i64 j = 0; j < cols; j++) yr[j] = (xr[j] - mi) * si + b[j];
            else for (i64 j = 0; j < cols; j++) yr[j] = (xr[j] - mi) * si;
        }
    });
}

template <typename T>
static void layer_norm_bwd(const T* x, const T* gy, const T* g, const T* mean, const T* rstd, i64 rows, i64 cols,
                           T* gx, T* gg, T* gb) {
    parallel_for(rows, threads_for(rows * cols * 4), [&](i64 r) {
        const T* xr = x + r * cols; const T* gr = gy + r * cols; T* o = gx + r * cols;
        double mu = mean[r], rs = rstd[r];
        auto gyg = [&](i64 j) { return (double)gr[j] * (g ? (double)g[j] : 1.0); };
        double a = lane_sum<double>(cols, gyg) / (double)cols;
        double bsum = lane_sum<double>(cols, [&](i64 j) { return gyg(j) * (xr[j] - mu) * rs; }) / (double)cols;
        for (i64 j = 0; j < cols; j++) {
            double xh = (xr[j] - mu) * rs;
            o[j] = (T)(rs * (gyg(j) - a - xh * bsum));
        }
    });
    if (gg || gb) {
        parallel_for(cols, threads_for(rows * cols * 2), [&](i64 j) {
            double sg = 0, sb = 0;
            for (i64 r = 0; r < rows; r++) {
                double gv = gy[r * cols + j];
                sg += gv * (x[r * cols + j] - (double)mean[r]) * (double)rstd[r];
                sb += gv;
            }
            if (gg) gg[j] = (T)sg;
            if (gb) gb[j] = (T)sb;
        });
    }
}

// Per channel: the mean, then the squared deviations from it (two passes, each plane summed in vector
// lanes), then y = x * scale + shift in T.
template <typename T>
static void batch_norm_fwd(const T* x, const T* g, const T* b, T* rm, T* rv, i64 n, i64 c, i64 hw, bool training,
                           double momentum, double eps, T* y, T* sm, T* sr) {
    i64 count = n * hw;
    parallel_for(c, threads_for(n * c * hw * 3), [&](i64 ch) {
        double mu, var;
        if (training) {
            double s = 0, ss = 0;
            for (i64 i = 0; i < n; i++) { const T* p = x + (i * c + ch) * hw; s += lane_sum<T>(hw, [&](i64 j) { return p[j]; }); }
            mu = count ? s / (double)count : 0.0;
            const T m = (T)mu;
            for (i64 i = 0; i < n; i++) {
                const T* p = x + (i * c + ch) * hw;
                ss += lane_sum<T>(hw, [&](i64 j) { T d = p[j] - m; return d * d; });
            }
            var = count ? ss / (double)count : 0.0;
            if (rm) rm[ch] = (T)((1 - momentum) * (double)rm[ch] + momentum * mu);
            if (rv) rv[ch] = (T)((1 - momentum) * (double)rv[ch] + momentum * (count > 1 ? ss / (double)(count - 1) : var));
        } else {
            mu = rm ? (double)rm[ch] : 0.0;
            var = rv ? (double)rv[ch] : 1.0;
        }
        double rs = 1.0 / std::sqrt(var + eps);
        if (sm) sm[ch] = (T)mu;
        if (sr) sr[ch] = (T)rs;
        const double sc = rs * (g ? (double)g[ch] : 1.0);
        const T scale = (T)sc, shift = (T)((b ? (double)b[ch] : 0.0) - mu * sc);
        for (i64 i = 0; i < n; i++) {
            const T* p = x + (i * c + ch) * hw; T* q = y + (i * c + ch) * hw;
            for (i64 j = 0; j < hw; j++) q[j] = p[j] * scale + shift;
        }
    });
}

// Per channel: sums of gy and gy * (x - mean) in vector lanes, then gx = a*gy + b + c*(x - mean) in T.
template <typename T>
static void batch_norm_bwd(const T* x, const T* gy, const T* g, const T* sm, const T* sr, i64 n, i64 c, i64 hw,
                           T* gx, T* gg, T* gb) {
    double count = (double)(n * hw);
    parallel_for(c, threads_for(n * c * hw * 3), [&](i64 ch) {
        const T m = sm[ch];
        double rs = sr[ch], sg = 0, sgd = 0;
        for (i64 i = 0; i < n; i++) {
            const T* p = x + (i * c + ch) * hw; const T* q = gy + (i * c + ch) * hw;
            sg += lane_sum<T>(hw, [&](i64 j) { return q[j]; });
            sgd += lane_sum<T>(hw, [&](i64 j) { return q[j] * (p[j] - m); });
        }
        const double sgx = sgd * rs;
        if (gg) gg[ch] = (T)sgx;
        if (gb) gb[ch] = (T)sg;
        const double gam = g ? (double)g[ch] : 1.0;
        const T a = (T)(gam * rs), b0 = (T)(-gam * rs * sg / count), cx = (T)(-gam * rs * rs * sgx / count);
        for (i64 i = 0; i < n; i++) {
            const T* p = x + (i * c + ch) * hw; const T* q = gy + (i * c + ch) * hw; T* o = gx + (i * c + ch) * hw;
            for (i64 j = 0; j < hw; j++) o[j] = a * q[j] + b0 + cx * (p[j] - m);
        }
    });
}

}  // namespace engine


inline int engine_layer_norm_forward(int dtype, long long x, long long g, long long b, long long rows, long long cols,
                                      double eps, long long y, long long mean, long long rstd) {
    return engine::guarded([&] {
        if (dtype == engine::F32)
            engine::layer_norm_fwd<float>(ENGINE_P(float, x), ENGINE_P(float, g), ENGINE_P(float, b), rows, cols, eps, ENGINE_P(float, y), ENGINE_P(float, mean), ENGINE_P(float, rstd));
        else
            engine::layer_norm_fwd<double>(ENGINE_P(double, x), ENGINE_P(double, g), ENGINE_P(double, b), rows, cols, eps, ENGINE_P(double, y), ENGINE_P(double, mean), ENGINE_P(double, rstd));
    });
}

inline int engine_layer_norm_backward(int dtype, long long x, long long gy, long long g, long long mean, long long rstd,
                                       long long rows, long long cols, long long gx, long long gg, long long gb) {
    return engine::guarded([&] {
        if (dtype == engine::F32)
            engine::layer_norm_bwd<float>(ENGINE_P(float, x), ENGINE_P(float, gy), ENGINE_P(float, g), ENGINE_P(float, mean), ENGINE_P(float, rstd), rows, cols, ENGINE_P(float, gx), ENGINE_P(float, gg), ENGINE_P(float, gb));
        else
            engine::layer_norm_bwd<double>(ENGINE_P(double, x), ENGINE_P(double, gy), ENGINE_P(double, g), ENGINE_P(double, mean), ENGINE_P(double, rstd), rows, cols, ENGINE_P(double, gx), ENGINE_P(double, gg), ENGINE_P(double, gb));
    });
}

template <typename T>
static void batch_norm_fwd_args(const engine_abi::BatchNormForwardArgs& q) {
    using namespace engine;
    batch_norm_fwd<T>(ENGINE_P(T, q.x), ENGINE_P(T, q.gamma), ENGINE_P(T, q.beta), ENGINE_P(T, q.running_mean), ENGINE_P(T, q.running_var),
                      q.n, q.c, q.hw, q.training != 0, bits_to_double(q.momentum_bits), bits_to_double(q.eps_bits), ENGINE_P(T, q.y),
                      ENGINE_P(T, q.save_mean), ENGINE_P(T, q.save_rstd));
}

template <typename T>
static void batch_norm_bwd_args(const engine_abi::BatchNormBackwardArgs& q) {
    using namespace engine;
    batch_norm_bwd<T>(ENGINE_P(T, q.x), ENGINE_P(T, q.gy), ENGINE_P(T, q.gamma), ENGINE_P(T, q.save_mean), ENGINE_P(T, q.save_rstd),
                      q.n, q.c, q.hw, ENGINE_P(T, q.gx), ENGINE_P(T, q.g_gamma), ENGINE_P(T, q.g_beta));
}

// meta: BatchNormForwardArgs (native/common/abi.h)
inline int engine_batch_norm_forward(long long metaAddress) {
    return engine::guarded([&] {
        const auto& q = *engine::ptr<engine_abi::BatchNormForwardArgs>(metaAddress);
        if (q.dtype == engine::F32) batch_norm_fwd_args<float>(q); else batch_norm_fwd_args<double>(q);
    });
}

// meta: BatchNormBackwardArgs (native/common/abi.h)
inline int engine_batch_norm_backward(long long metaAddress) {
    return engine::guarded([&] {
        const auto& q = *engine::ptr<engine_abi::BatchNormBackwardArgs>(metaAddress);
        if (q.dtype == engine::F32) batch_norm_bwd_args<float>(q); else batch_norm_bwd_args<double>(q);
    });
}
