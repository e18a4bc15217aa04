// Fused multi-tensor optimizer updates: one launch covers up to CHUNK tensors (blockIdx.y picks the
// tensor), so a model's whole step is a handful of launches. Arithmetic in double, as native/cpu/optim.h.
#include "common.cuh"
#include "context.cuh"
#include "engine_cuda.h"

namespace ecu {

const int CHUNK = 48;

struct TensorList {
    int count;
    i64 p[CHUNK], g[CHUNK], s1[CHUNK], s2[CHUNK], n[CHUNK];
};

struct Hyper { double h0, h1, h2, h3, h4; i64 i5, i6; double c1, c2; };

template <typename T>
__global__ void step_kernel(int rule, TensorList t, Hyper h) {
    int k = blockIdx.y;
    T* p = ptr<T>(t.p[k]); const T* g = ptr<T>(t.g[k]);
    T* s1 = t.s1[k] ? ptr<T>(t.s1[k]) : nullptr;
    T* s2 = t.s2[k] ? ptr<T>(t.s2[k]) : nullptr;
    for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < t.n[k]; i += (i64)gridDim.x * blockDim.x) {
        if (rule == 0) {  // sgd: lr, momentum, dampening, wd, -, nesterov
            double gi = (double)g[i] + h.h3 * (double)p[i];
            if (s1 && h.h1 != 0) {
                double vi = h.h1 * (double)s1[i] + (1 - h.h2) * gi;
                s1[i] = (T)vi;
                gi = h.i5 ? gi + h.h1 * vi : vi;
            }
            p[i] = (T)((double)p[i] - h.h0 * gi);
        } else if (rule == 1) {  // adam: lr, b1, b2, eps, wd, decoupled, step
            double pi = p[i], gi = g[i];
            if (h.i5) pi *= (1 - h.h0 * h.h4); else gi += h.h4 * pi;
            double mi = h.h1 * (double)s1[i] + (1 - h.h1) * gi;
            double vi = h.h2 * (double)s2[i] + (1 - h.h2) * gi * gi;
            s1[i] = (T)mi; s2[i] = (T)vi;
            p[i] = (T)(pi - h.h0 * (mi / h.c1) / (sqrt(vi / h.c2) + h.h3));
        } else {  // rmsprop: lr, alpha, eps, wd, momentum
            double gi = (double)g[i] + h.h3 * (double)p[i];
            double si = h.h1 * (double)s1[i] + (1 - h.h1) * gi * gi;
            s1[i] = (T)si;
            double upd = gi / (sqrt(si) + h.h2);
            if (s2 && h.h4 != 0) { double bi = h.h4 * (double)s2[i] + upd; s2[i] = (T)bi; upd = bi; }
            p[i] = (T)((double)p[i] - h.h0 * upd);
        }
    }
}

}  // namespace ecu

using namespace ecu;

extern "C" {

// meta: [dtype, rule(0 sgd, 1 adam, 2 rmsprop), count, h0..h6 (raw double bits / ints), tensors[count*5]]
int ecu_optimizer_step(long long ctx, long long meta) {
    ECU_BIND_STATUS(ctx);
    const i64* q = ptr<i64>(meta);
    int rule = (int)q[1];
    i64 count = q[2];
    const i64* hb = q + 3;
    const i64* t = q + 10;
    Hyper h{bits_to_double(hb[0]), bits_to_double(hb[1]), bits_to_double(hb[2]), bits_to_double(hb[3]), bits_to_double(hb[4]), hb[5], hb[6], 1, 1};
    if (rule == 1) { h.c1 = 1 - pow(h.h1, (double)h.i6); h.c2 = 1 - pow(h.h2, (double)h.i6); }
    for (i64 k0 = 0; k0 < count; k0 += CHUNK) {
        TensorList l;
        l.count = (int)std::min<i64>(CHUNK, count - k0);
        i64 most = 0;
        for (int k = 0; k < l.count; k++) {
            const i64* e = t + (k0 + k) * 5;
            l.p[k] = e[0]; l.g[k] = e[1]; l.s1[k] = e[2]; l.s2[k] = e[3]; l.n[k] = e[4];
            most = std::max(most, e[4]);
        }
        if (most == 0) continue;
        dim3 grid((unsigned)std::min<i64>((most + 255) / 256, 4096), (unsigned)l.count);
        if (q[0] == F32) step_kernel<float><<<grid, 256, 0, stream()>>>(rule, l, h);
        else step_kernel<double><<<grid, 256, 0, stream()>>>(rule, l, h);
        int e = launch_error();
        if (e) return e;
    }
    return 0;
}

}  // extern "C"
