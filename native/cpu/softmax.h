// Row softmax / log-softmax, their backward, and the fused cross-entropy (loss and gradient in one pass,
// after llm.c's fused classifier).
#pragma once
#include "common.h"

namespace engine {

template <typename T>
static void softmax_t(const T* x, T* y, i64 rows, i64 cols, bool log) {
    parallel_for(rows, threads_for(rows * cols * 4), [&](i64 r) {
        const T* xr = x + r * cols;
        T* yr = y + r * cols;
        T mx = -INFINITY;
        for (i64 j = 0; j < cols; j++) mx = xr[j] > mx ? xr[j] : mx;
        double sum = 0;
        for (i64 j = 0; j < cols; j++) sum += std::exp((double)(xr[j] - mx));
        if (log) {
            // (x - max) - log(sum) in double: rounding max + log(sum) to T first loses the small outputs
            double ls = std::log(sum);
            for (i64 j = 0; j < cols; j++) yr[j] = (T)((double)(xr[j] - mx) - ls);
        } else {
            T inv = (T)(1.0 / sum);
            for (i64 j = 0; j < cols; j++) yr[j] = std::exp(xr[j] - mx) * inv;
        }
    });
}

template <typename T>
static void softmax_backward_t(const T* y, const T* gy, T* gx, i64 rows, i64 cols, bool log) {
    parallel_for(rows, threads_for(rows * cols * 2), [&](i64 r) {
        const T* yr = y + r * cols; const T* g = gy + r * cols; T* o = gx + r * cols;
        double s = 0;
        if (log) {
            for (i64 j = 0; j < cols; j++) s += g[j];
            for (i64 j = 0; j < cols; j++) o[j] = g[j] - std::exp(yr[j]) * (T)s;
        } else {
            for (i64 j = 0; j < cols; j++) s += (double)g[j] * yr[j];
            for (i64 j = 0; j < cols; j++) o[j] = yr[j] * (g[j] - (T)s);
        }
    });
}

// Returns -1 when all targets are valid, else the first row whose target is out of range.
template <typename T>
static i64 cross_entropy_t(const T* x, const int64_t* t, const T* w, i64 rows, i64 cols, double eps, i64 ignore,
                           T* loss, T* rw, T* grad) {
    for (i64 r = 0; r < rows; r++)
        if (t[r] != ignore && (t[r] < 0 || t[r] >= cols)) return r;
    double wsum = 0;
    if (w) for (i64 j = 0; j < cols; j++) wsum += w[j]; else wsum = (double)cols;
    parallel_for(rows, threads_for(rows * cols * 4), [&](i64 r) {
        const T* xr = x + r * cols;
        i64 tr = t[r];
        if (tr == ignore) {
            loss[r] = 0; rw[r] = 0;
            if (grad) for (i64 j = 0; j < cols; j++) grad[r * cols + j] = 0;
            return;
        }
        T mx = -INFINITY;
        for (i64 j = 0; j < cols; j++) mx = xr[j] > mx ? xr[j] : mx;
        double sum = 0;
        for (i64 j = 0; j < cols; j++) sum += std::exp((double)(xr[j] - mx));
        double lse = (double)mx + std::log(sum);
        double wt = w ? (double)w[tr] : 1.0;
        double l = (1.0 - eps) * wt * (lse - (double)xr[tr]);
        if (eps > 0) {
            double s = 0;
            for (i64 j = 0; j < cols; j++) s += (w ? (double)w[j] : 1.0) * (lse - (double)xr[j]);
            l += eps / (double)cols * s;
        }
        loss[r] = (T)l;
        rw[r] = (T)wt;
        if (grad) {
            T* g = grad + r * cols;
            for (i64 j = 0; j < cols; j++) {
                double p = std::exp((double)xr[j] - lse);
                double v = (1.0 - eps) * wt * (p - (j == tr ? 1.0 : 0.0));
                if (eps > 0) v += eps / (double)cols * (wsum * p - (w ? (double)w[j] : 1.0));
                g[j] = (T)v;
            }
        }
    });
    return -1;
}

}  // namespace engine

inline int engine_softmax(int dtype, long long x, long long y, long long rows, long long cols, int log) {
    return engine::guarded([&] {
        using namespace engine;
        if (dtype == F32) softmax_t<float>(ptr<float>(x), ptr<float>(y), rows, cols, log != 0);
        else softmax_t<double>(ptr<double>(x), ptr<double>(y), rows, cols, log != 0);
    });
}

inline int engine_softmax_backward(int dtype, long long y, long long gy, long long gx, long long rows, long long cols, int log) {
    return engine::guarded([&] {
        using namespace engine;
        if (dtype == F32) softmax_backward_t<float>(ptr<float>(y), ptr<float>(gy), ptr<float>(gx), rows, cols, log != 0);
        else softmax_backward_t<double>(ptr<double>(y), ptr<double>(gy), ptr<double>(gx), rows, cols, log != 0);
    });
}

// The first row with a target outside [0, cols) (and not ignored), -1 when all are fine, or
// engine_abi::position_error(status) when the kernel failed.
inline long long engine_cross_entropy(int dtype, long long x, long long t, long long w, long long rows, long long cols,
                                      double eps, long long ignore, long long loss, long long rw, long long grad) {
    using namespace engine;
    i64 bad = -1;
    int status = guarded([&] {
        if (dtype == F32)
            bad = cross_entropy_t<float>(ptr<float>(x), ptr<int64_t>(t), w ? ptr<float>(w) : nullptr, rows, cols, eps, ignore,
                                         ptr<float>(loss), ptr<float>(rw), grad ? ptr<float>(grad) : nullptr);
        else
            bad = cross_entropy_t<double>(ptr<double>(x), ptr<int64_t>(t), w ? ptr<double>(w) : nullptr, rows, cols, eps, ignore,
                                          ptr<double>(loss), ptr<double>(rw), grad ? ptr<double>(grad) : nullptr);
    });
    return status == STATUS_OK ? bad : position_error(status);
}
