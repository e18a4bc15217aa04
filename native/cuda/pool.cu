// Max, average and adaptive-average pooling over NCHW planes. Forward: one thread per output. Backward:
// zero the input gradient, then each output adds its share with atomicAdd (windows may overlap).
#include "common.cuh"
#include "context.cuh"
#include "engine_cuda.h"

namespace ecu {

struct PoolGeom { i64 nc, h, w, kh, kw, sh, sw, ph, pw, include_pad, oh, ow; };

static PoolGeom read_pool(const i64* q) {
    PoolGeom g{q[0] * q[1], q[2], q[3], q[4], q[5], q[6], q[7], q[8], q[9], q[10], 0, 0};
    g.oh = (g.h + 2 * g.ph - g.kh) / g.sh + 1;
    g.ow = (g.w + 2 * g.pw - g.kw) / g.sw + 1;
    return g;
}

#define GRID_LOOP(i, total) for (i64 i = blockIdx.x * (i64)blockDim.x + threadIdx.x; i < (total); i += (i64)gridDim.x * blockDim.x)

template <typename T>
__global__ void max_pool_fwd(PoolGeom g, const T* x, T* y, int64_t* idx) {
    GRID_LOOP(o, g.nc * g.oh * g.ow) {
        i64 ox = o % g.ow, oy = (o / g.ow) % g.oh, p = o / (g.ow * g.oh);
        const T* xp = x + p * g.h * g.w;
        T best = -INFINITY; i64 bi = -1;
        for (i64 ky = 0; ky < g.kh; ky++) {
            i64 iy = oy * g.sh - g.ph + ky;
            if (iy < 0 || iy >= g.h) continue;
            for (i64 kx = 0; kx < g.kw; kx++) {
                i64 ix = ox * g.sw - g.pw + kx;
                if (ix < 0 || ix >= g.w) continue;
                T v = xp[iy * g.w + ix];
                if (bi < 0 || v > best || isnan(v)) { best = v; bi = iy * g.w + ix; }
            }
        }
        y[o] = best;
        if (idx) idx[o] = bi;  // null: inference, values only
    }
}

template <typename T>
__global__ void max_pool_bwd(PoolGeom g, const T* gy, const int64_t* idx, T* gx) {
    GRID_LOOP(o, g.nc * g.oh * g.ow) {
        i64 k = idx[o], p = o / (g.oh * g.ow);
        if (k >= 0 && k < g.h * g.w) atomicAdd(gx + p * g.h * g.w + k, gy[o]);
    }
}

template <typename T>
__global__ void avg_pool(PoolGeom g, const T* src, T* dst, bool backward) {
    GRID_LOOP(o, g.nc * g.oh * g.ow) {
        i64 ox = o % g.ow, oy = (o / g.ow) % g.oh, p = o / (g.ow * g.oh);
        i64 y0 = oy * g.sh - g.ph, x0 = ox * g.sw - g.pw;
        i64 y1 = min(y0 + g.kh, g.h + g.ph), x1 = min(x0 + g.kw, g.w + g.pw);
        i64 padded = (y1 - y0) * (x1 - x0);
        i64 ya = max(y0, (i64)0), xa = max(x0, (i64)0), yb = min(y1, g.h), xb = min(x1, g.w);
        i64 cnt = g.include_pad ? padded : (yb - ya) * (xb - xa);
        if (!backward) {
            double s = 0;
            for (i64 iy = ya; iy < yb; iy++) for (i64 ix = xa; ix < xb; ix++) s += src[p * g.h * g.w + iy * g.w + ix];
            dst[o] = cnt > 0 ? (T)(s / (double)cnt) : T(0);
        } else if (cnt > 0) {
            T v = src[o] / (T)cnt;
            for (i64 iy = ya; iy < yb; iy++) for (i64 ix = xa; ix < xb; ix++) atomicAdd(dst + p * g.h * g.w + iy * g.w + ix, v);
        }
    }
}

template <typename T>
__global__ void adaptive_avg(const T* src, T* dst, i64 nc, i64 h, i64 w, i64 oh, i64 ow, bool backward) {
    GRID_LOOP(o, nc * oh * ow) {
        i64 ox = o % ow, oy = (o / ow) % oh, p = o / (ow * oh);
        i64 y0 = (oy * h) / oh, y1 = ((oy + 1) * h + oh - 1) / oh;
        i64 x0 = (ox * w) / ow, x1 = ((ox + 1) * w + ow - 1) / ow;
        i64 cnt = (y1 - y0) * (x1 - x0);
        if (!backward) {
            double s = 0;
            for (i64 iy = y0; iy < y1; iy++) for (i64 ix = x0; ix < x1; ix++) s += src[p * h * w + iy * w + ix];
            dst[o] = (T)(s / (double)cnt);
        } else {
            T v = src[o] / (T)cnt;
            for (i64 iy = y0; iy < y1; iy++) for (i64 ix = x0; ix < x1; ix++) atomicAdd(dst + p * h * w + iy * w + ix, v);
        }
    }
}

template <typename T>
static int pool(int kind, const PoolGeom& g, const i64* a) {
    i64 outs = g.nc * g.oh * g.ow;
    unsigned b = blocks_for(outs, 256);
    switch (kind) {
        case 0: max_pool_fwd<T><<<b, 256, 0, stream()>>>(g, ptr<T>(a[0]), ptr<T>(a[1]), ptr<int64_t>(a[2])); break;
        case 1:
            ECU_CHECK(cudaMemsetAsync(ptr<T>(a[2]), 0, sizeof(T) * g.nc * g.h * g.w, stream()));
            max_pool_bwd<T><<<b, 256, 0, stream()>>>(g, ptr<T>(a[0]), ptr<int64_t>(a[1]), ptr<T>(a[2]));
            break;
        case 2: avg_pool<T><<<b, 256, 0, stream()>>>(g, ptr<T>(a[0]), ptr<T>(a[1]), false); break;
        default:
            ECU_CHECK(cudaMemsetAsync(ptr<T>(a[1]), 0, sizeof(T) * g.nc * g.h * g.w, stream()));
            avg_pool<T><<<b, 256, 0, stream()>>>(g, ptr<T>(a[0]), ptr<T>(a[1]), true);
            break;
    }
    return launch_error();
}

}  // namespace ecu

using namespace ecu;

extern "C" {

// meta: [dtype, kind(0 max fwd, 1 max bwd, 2 avg fwd, 3 avg bwd), geometry(11: n c h w kh kw sh sw ph pw incl), a, b, c]
int ecu_pool2d(long long ctx, long long meta) {
    ECU_BIND_STATUS(ctx);
    const i64* q = ptr<i64>(meta);
    PoolGeom g = read_pool(q + 2);
    if (g.nc == 0) return 0;
    return q[0] == F32 ? pool<float>((int)q[1], g, q + 13) : pool<double>((int)q[1], g, q + 13);
}

int ecu_adaptive_avg_pool2d(long long ctx, int dtype, long long src, long long dst, long long nc, long long h, long long w, long long oh,
                            long long ow, int backward) {
    ECU_BIND_STATUS(ctx);
    if (nc == 0) return 0;
    size_t es = dtype == F32 ? 4 : 8;
    if (backward) ECU_CHECK(cudaMemsetAsync(ptr<void>(dst), 0, es * nc * h * w, stream()));
    unsigned b = blocks_for(nc * oh * ow, 256);
    if (dtype == F32) adaptive_avg<float><<<b, 256, 0, stream()>>>(ptr<float>(src), ptr<float>(dst), nc, h, w, oh, ow, backward != 0);
    else adaptive_avg<double><<<b, 256, 0, stream()>>>(ptr<double>(src), ptr<double>(dst), nc, h, w, oh, ow, backward != 0);
    return launch_error();
}

}  // extern "C"
