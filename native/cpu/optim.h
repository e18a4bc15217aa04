// Fused multi-tensor optimizer updates: one native call updates every parameter of a model.
#pragma once
#include "common.h"

namespace engine {

// tensors: count entries of {param, grad, s1, s2, length}; s1/s2 are the rule's state (0 = none)
template <typename T>
static void sgd_t(const i64* t, i64 count, double lr, double mom, double damp, double wd, bool nesterov) {
    for (i64 k = 0; k < count; k++) {
        T* p = ptr<T>(t[k * 5]); const T* g = ptr<T>(t[k * 5 + 1]); T* v = ENGINE_P(T, t[k * 5 + 2]);
        i64 n = t[k * 5 + 4];
        parallel_for(n, threads_for(n * 4), [&](i64 i) {
            double gi = (double)g[i] + wd * (double)p[i];
            if (v && mom != 0) {
                double vi = mom * (double)v[i] + (1 - damp) * gi;
                v[i] = (T)vi;
                gi = nesterov ? gi + mom * vi : vi;
            }
            p[i] = (T)((double)p[i] - lr * gi);
        });
    }
}

template <typename T>
static void adam_t(const i64* t, i64 count, double lr, double b1, double b2, double eps, double wd, bool decoupled, i64 step) {
    double c1 = 1 - std::pow(b1, (double)step), c2 = 1 - std::pow(b2, (double)step);
    for (i64 k = 0; k < count; k++) {
        T* p = ptr<T>(t[k * 5]); const T* g = ptr<T>(t[k * 5 + 1]); T* m = ptr<T>(t[k * 5 + 2]); T* v = ptr<T>(t[k * 5 + 3]);
        i64 n = t[k * 5 + 4];
        parallel_for(n, threads_for(n * 8), [&](i64 i) {
            double pi = p[i], gi = g[i];
            if (decoupled) pi *= (1 - lr * wd); else gi += wd * pi;
            double mi = b1 * (double)m[i] + (1 - b1) * gi;
            double vi = b2 * (double)v[i] + (1 - b2) * gi * gi;
            m[i] = (T)mi; v[i] = (T)vi;
            p[i] = (T)(pi - lr * (mi / c1) / (std::sqrt(vi / c2) + eps));
        });
    }
}

template <typename T>
static void rmsprop_t(const i64* t, i64 count, double lr, double alpha, double eps, double wd, double mom) {
    for (i64 k = 0; k < count; k++) {
        T* p = ptr<T>(t[k * 5]); const T* g = ptr<T>(t[k * 5 + 1]); T* s = ptr<T>(t[k * 5 + 2]); T* b = ENGINE_P(T, t[k * 5 + 3]);
        i64 n = t[k * 5 + 4];
        parallel_for(n, threads_for(n * 8), [&](i64 i) {
            double gi = (double)g[i] + wd * (double)p[i];
            double si = alpha * (double)s[i] + (1 - alpha) * gi * gi;
            s[i] = (T)si;
            double upd = gi / (std::sqrt(si) + eps);
            if (b && mom != 0) { double bi = mom * (double)b[i] + upd; b[i] = (T)bi; upd = bi; }
            p[i] = (T)((double)p[i] - lr * upd);
        });
    }
}

}  // namespace engine

// meta: OptimizerArgs then count OptimizerTensor entries (native/common/abi.h)
inline int engine_optimizer_step(long long metaAddress) {
    return engine::guarded([&] {
        using namespace engine;
        const OptimizerArgs& q = *ptr<OptimizerArgs>(metaAddress);
        bool f = q.dtype == F32;
        i64 count = q.count;
        const i64* h = q.h;
        const i64* t = ptr<i64>(metaAddress + (long long)sizeof(OptimizerArgs));
        double h0 = bits_to_double(h[0]), h1 = bits_to_double(h[1]), h2 = bits_to_double(h[2]), h3 = bits_to_double(h[3]),
               h4 = bits_to_double(h[4]);
        switch (q.rule) {
            case OPTIM_SGD: if (f) sgd_t<float>(t, count, h0, h1, h2, h3, h[5] != 0); else sgd_t<double>(t, count, h0, h1, h2, h3, h[5] != 0); break;
            case OPTIM_ADAM: if (f) adam_t<float>(t, count, h0, h1, h2, h3, h4, h[5] != 0, h[6]); else adam_t<double>(t, count, h0, h1, h2, h3, h4, h[5] != 0, h[6]); break;
            default: if (f) rmsprop_t<float>(t, count, h0, h1, h2, h3, h4); else rmsprop_t<double>(t, count, h0, h1, h2, h3, h4); break;
        }
    });
}
