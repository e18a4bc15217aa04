// Conv2d as im2col + our GEMM per group over chunks of the batch, and its two gradients. The input
// gradient gathers from the column matrix (each input pixel sums its own taps), so no atomics are needed.
#include "gemm.cuh"
#include "ops.cuh"
#include "context.cuh"
#include "engine_cuda.h"

namespace ecu {

struct ConvGeom {
    i64 n, c, h, w, k, r, s, sh, sw, ph, pw, dh, dw, groups, oh, ow;
    __host__ __device__ i64 cg() const { return c / groups; }
    __host__ __device__ i64 kg() const { return k / groups; }
    __host__ __device__ i64 crs() const { return cg() * r * s; }
    __host__ __device__ i64 ohw() const { return oh * ow; }
};

static ConvGeom read_geom(const i64* q) {
    ConvGeom g{q[0], q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], q[9], q[10], q[11], q[12], q[13], 0, 0};
    g.oh = (g.h + 2 * g.ph - g.dh * (g.r - 1) - 1) / g.sh + 1;
    g.ow = (g.w + 2 * g.pw - g.dw * (g.s - 1) - 1) / g.sw + 1;
    return g;
}

// Largest batch chunk whose column matrix stays under 32M elements.
static i64 batch_chunk(const ConvGeom& g) {
    i64 per = std::max<i64>(1, g.crs() * g.ohw());
    return std::max<i64>(1, std::min<i64>(std::max<i64>(g.n, 1), (32LL << 20) / per));
}

#define GRID_LOOP(i, total) for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < (total); i += (i64)gridDim.x * blockDim.x)

// col[(ci*r+kr)*s+ks][b*ohw + oy*ow + ox]
template <typename T>
__global__ void im2col(ConvGeom g, const T* x, i64 n0, i64 nb, i64 gi, T* col) {
    i64 cols = nb * g.ohw();
    GRID_LOOP(t, g.crs() * cols) {
        i64 row = t / cols, cidx = t % cols;
        i64 ci = row / (g.r * g.s), kr = (row / g.s) % g.r, ks = row % g.s;
        i64 b = cidx / g.ohw(), oy = (cidx % g.ohw()) / g.ow, ox = cidx % g.ow;
        i64 iy = oy * g.sh - g.ph + kr * g.dh, ix = ox * g.sw - g.pw + ks * g.dw;
        T v = T(0);
        if (iy >= 0 && iy < g.h && ix >= 0 && ix < g.w) v = x[((n0 + b) * g.c + gi * g.cg() + ci) * g.h * g.w + iy * g.w + ix];
        col[t] = v;
    }
}

template <typename T>
__global__ void col2im(ConvGeom g, const T* col, i64 n0, i64 nb, i64 gi, T* gx) {
    i64 cols = nb * g.ohw();
    GRID_LOOP(t, nb * g.cg() * g.h * g.w) {
        i64 ix = t % g.w, iy = (t / g.w) % g.h, ci = (t / (g.w * g.h)) % g.cg(), b = t / (g.w * g.h * g.cg());
        T sum = T(0);
        for (i64 kr = 0; kr < g.r; kr++) {
            i64 ty = iy + g.ph - kr * g.dh;
            if (ty < 0 || ty % g.sh) continue;
            i64 oy = ty / g.sh;
            if (oy >= g.oh) continue;
            for (i64 ks = 0; ks < g.s; ks++) {
                i64 tx = ix + g.pw - ks * g.dw;
                if (tx < 0 || tx % g.sw) continue;
                i64 ox = tx / g.sw;
                if (ox >= g.ow) continue;
                sum += col[((ci * g.r + kr) * g.s + ks) * cols + b * g.ohw() + oy * g.ow + ox];
            }
        }
        gx[((n0 + b) * g.c + gi * g.cg() + ci) * g.h * g.w + iy * g.w + ix] = sum;
    }
}

// [kg][nb*ohw] -> y[n][k][ohw] adding bias and applying the activation (slope 0.01 as on the CPU)
template <typename T>
__global__ void scatter_out(ConvGeom g, const T* out, i64 n0, i64 nb, i64 gi, const T* bias, int act, T* y) {
    i64 cols = nb * g.ohw();
    GRID_LOOP(t, g.kg() * cols) {
        i64 kk = t / cols, b = (t % cols) / g.ohw(), i = t % g.ohw();
        i64 ko = gi * g.kg() + kk;
        T v = out[t] + (bias ? bias[ko] : T(0));
        if (act != OP_IDENTITY) v = apply_op<T>(act, v, v, v, T(0.01));
        y[((n0 + b) * g.k + ko) * g.ohw() + i] = v;
    }
}

template <typename T>
__global__ void gather_gy(ConvGeom g, const T* gy, i64 n0, i64 nb, i64 gi, T* out) {
    i64 cols = nb * g.ohw();
    GRID_LOOP(t, g.kg() * cols) {
        i64 kk = t / cols, b = (t % cols) / g.ohw(), i = t % g.ohw();
        out[t] = gy[((n0 + b) * g.k + gi * g.kg() + kk) * g.ohw() + i];
    }
}

template <typename T>
__global__ void bias_grad(ConvGeom g, const T* gy, T* gb) {
    for (i64 ko = blockIdx.x; ko < g.k; ko += gridDim.x) {
        double s = 0;
        for (i64 t = threadIdx.x; t < g.n * g.ohw(); t += blockDim.x) s += gy[((t / g.ohw()) * g.k + ko) * g.ohw() + t % g.ohw()];
        s = block_sum(s);
        if (threadIdx.x == 0) gb[ko] = (T)s;
    }
}

static GemmArgs plain(bool ta, bool tb, i64 m, i64 n, i64 k, i64 a, i64 lda, i64 b, i64 ldb, double beta, i64 c, i64 ldc) {
    GemmArgs q{};
    q.transA = ta; q.transB = tb; q.m = m; q.n = n; q.k = k; q.alpha = 1; q.beta = beta;
    q.a = a; q.lda = lda; q.b = b; q.ldb = ldb; q.c = c; q.ldc = ldc; q.act = OP_IDENTITY;
    return q;
}

template <typename T>
struct Scratch {  // two column buffers from the caching allocator, returned when the call has queued its work
    T* col = nullptr; T* out = nullptr;
    bool get(size_t colN, size_t outN) {
        col = (T*)cache_alloc(sizeof(T) * std::max<size_t>(colN, 1));
        out = (T*)cache_alloc(sizeof(T) * std::max<size_t>(outN, 1));
        return col && out;
    }
    ~Scratch() { cache_free(col); cache_free(out); }
};

#define CK(x) do { int e_ = (x); if (e_) return e_; } while (0)

template <typename T>
static int conv_fwd(const ConvGeom& g, i64 x, i64 w, i64 bias, int act, i64 y, int dt) {
    i64 chunk = batch_chunk(g);
    Scratch<T> s;
    if (!s.get(g.crs() * chunk * g.ohw(), g.kg() * chunk * g.ohw())) return (int)cudaErrorMemoryAllocation;
    for (i64 n0 = 0; n0 < g.n; n0 += chunk) {
        i64 nb = std::min(chunk, g.n - n0), cols = nb * g.ohw();
        for (i64 gi = 0; gi < g.groups; gi++) {
            im2col<T><<<blocks_for(g.crs() * cols, 256), 256, 0, stream()>>>(g, ptr<T>(x), n0, nb, gi, s.col);
            CK(gemm_launch(dt, plain(false, false, g.kg(), cols, g.crs(), w + (i64)sizeof(T) * gi * g.kg() * g.crs(), g.crs(),
                                     (i64)(uintptr_t)s.col, cols, 0, (i64)(uintptr_t)s.out, cols), 1));
            scatter_out<T><<<blocks_for(g.kg() * cols, 256), 256, 0, stream()>>>(g, s.out, n0, nb, gi, bias ? ptr<T>(bias) : nullptr, act, ptr<T>(y));
            CK(launch_error());
        }
    }
    return 0;
}

template <typename T>
static int conv_bwd_input(const ConvGeom& g, i64 gy, i64 w, i64 gx, int dt) {
    i64 chunk = batch_chunk(g);
    Scratch<T> s;
    if (!s.get(g.crs() * chunk * g.ohw(), g.kg() * chunk * g.ohw())) return (int)cudaErrorMemoryAllocation;
    for (i64 n0 = 0; n0 < g.n; n0 += chunk) {
        i64 nb = std::min(chunk, g.n - n0), cols = nb * g.ohw();
        for (i64 gi = 0; gi < g.groups; gi++) {
            gather_gy<T><<<blocks_for(g.kg() * cols, 256), 256, 0, stream()>>>(g, ptr<T>(gy), n0, nb, gi, s.out);
            CK(gemm_launch(dt, plain(true, false, g.crs(), cols, g.kg(), w + (i64)sizeof(T) * gi * g.kg() * g.crs(), g.crs(),
                                     (i64)(uintptr_t)s.out, cols, 0, (i64)(uintptr_t)s.col, cols), 1));
            col2im<T><<<blocks_for(nb * g.cg() * g.h * g.w, 256), 256, 0, stream()>>>(g, s.col, n0, nb, gi, ptr<T>(gx));
            CK(launch_error());
        }
    }
    return 0;
}

template <typename T>
static int conv_bwd_weight(const ConvGeom& g, i64 x, i64 gy, i64 gw, i64 gb, int dt) {
    CK((int)cudaMemsetAsync(ptr<T>(gw), 0, sizeof(T) * g.k * g.crs(), stream()));
    if (gb) {
        bias_grad<T><<<(unsigned)std::min<i64>(g.k, 1 << 20), 256, 0, stream()>>>(g, ptr<T>(gy), ptr<T>(gb));
        CK(launch_error());
    }
    if (g.n == 0) return 0;
    i64 chunk = batch_chunk(g);
    Scratch<T> s;
    if (!s.get(g.crs() * chunk * g.ohw(), g.kg() * chunk * g.ohw())) return (int)cudaErrorMemoryAllocation;
    for (i64 n0 = 0; n0 < g.n; n0 += chunk) {
        i64 nb = std::min(chunk, g.n - n0), cols = nb * g.ohw();
        for (i64 gi = 0; gi < g.groups; gi++) {
            im2col<T><<<blocks_for(g.crs() * cols, 256), 256, 0, stream()>>>(g, ptr<T>(x), n0, nb, gi, s.col);
            gather_gy<T><<<blocks_for(g.kg() * cols, 256), 256, 0, stream()>>>(g, ptr<T>(gy), n0, nb, gi, s.out);
            CK(launch_error());
            CK(gemm_launch(dt, plain(false, true, g.kg(), g.crs(), cols, (i64)(uintptr_t)s.out, cols, (i64)(uintptr_t)s.col, cols, 1,
                                     gw + (i64)sizeof(T) * gi * g.kg() * g.crs(), g.crs()), 1));
        }
    }
    return 0;
}

}  // namespace ecu

using namespace ecu;

extern "C" {

// meta: [dtype, geometry(14: n c h w k r s sh sw ph pw dh dw groups), x, w, bias, act, y]
int ecu_conv2d_forward(long long ctx, long long meta) {
    ECU_BIND_STATUS(ctx);
    const i64* q = ptr<i64>(meta);
    ConvGeom g = read_geom(q + 1);
    const i64* a = q + 15;
    if (g.n == 0) return 0;
    return q[0] == F32 ? conv_fwd<float>(g, a[0], a[1], a[2], (int)a[3], a[4], F32) : conv_fwd<double>(g, a[0], a[1], a[2], (int)a[3], a[4], F64);
}

// meta: [dtype, geometry(14), gy, w, gx]
int ecu_conv2d_backward_input(long long ctx, long long meta) {
    ECU_BIND_STATUS(ctx);
    const i64* q = ptr<i64>(meta);
    ConvGeom g = read_geom(q + 1);
    const i64* a = q + 15;
    if (g.n == 0) return 0;
    return q[0] == F32 ? conv_bwd_input<float>(g, a[0], a[1], a[2], F32) : conv_bwd_input<double>(g, a[0], a[1], a[2], F64);
}

// meta: [dtype, geometry(14), x, gy, gw, gb]
int ecu_conv2d_backward_weight(long long ctx, long long meta) {
    ECU_BIND_STATUS(ctx);
    const i64* q = ptr<i64>(meta);
    ConvGeom g = read_geom(q + 1);
    const i64* a = q + 15;
    return q[0] == F32 ? conv_bwd_weight<float>(g, a[0], a[1], a[2], a[3], F32) : conv_bwd_weight<double>(g, a[0], a[1], a[2], a[3], F64);
}

}  // extern "C"
