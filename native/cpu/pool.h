// Max, average and adaptive-average pooling over NCHW planes, forward and backward.
#pragma once
#include "common.h"
#include "pool_avx512.h"

namespace engine {

struct PoolGeom { i64 nc, h, w, kh, kw, sh, sw, ph, pw, include_pad, oh, ow; };

inline PoolGeom read_pool(const PoolShape& q) {
    return PoolGeom{q.n * q.c, q.h, q.w, q.kh, q.kw, q.sh, q.sw, q.ph, q.pw, q.include_pad, q.out_h(), q.out_w()};
}

// Unpadded windows (every tap inside the plane): branch-free selects instead of data-dependent branches
// (which mispredict about half the time on real activations); same first-max / last-NaN choice.
template <typename T>
ENGINE_INLINE void max_pool_fwd_nopad(const PoolGeom& g, const T* x, T* y, int64_t* idx) {
    for (i64 p = 0; p < g.nc; p++) {
        const T* xp = x + p * g.h * g.w;
        T* yp = y + p * g.oh * g.ow;
        int64_t* ip = idx + p * g.oh * g.ow;
        for (i64 oy = 0; oy < g.oh; oy++) for (i64 ox = 0; ox < g.ow; ox++) {
            i64 i0 = oy * g.sh * g.w + ox * g.sw;
            T best = xp[i0];
            i64 bi = i0;
            for (i64 ky = 0; ky < g.kh; ky++) for (i64 kx = 0; kx < g.kw; kx++) {
                i64 i = i0 + ky * g.w + kx;
                T v = xp[i];
                bool take = v > best || v != v;
                best = take ? v : best;
                bi = take ? i : bi;
            }
            yp[oy * g.ow + ox] = best;
            ip[oy * g.ow + ox] = bi;
        }
    }
}

ENGINE_DISPATCH void max_pool_fwd_nopad_f32(const PoolGeom& g, const float* x, float* y, int64_t* idx) { max_pool_fwd_nopad<float>(g, x, y, idx); }

// The larger of best and v, NaN winning (a later NaN replaces an earlier one, as in the scans above).
template <typename T> ENGINE_INLINE T nan_max(T best, T v) { return (v > best || v != v) ? v : best; }

// 2x2 windows at stride 2 over planes made of whole windows (h = 2 oh, w = 2 ow): all planes together are
// one sequence of row pairs, each giving one output row, so the vertical maxes of a block of row pairs go
// into buf and the pair maxes then run as one flat loop over the block (LeNet's rows are 24 or 8 floats:
// row by row, the per-row overhead was most of the time). Same order of maxes as the general path.
template <typename T>
ENGINE_INLINE void max_pool_values_2x2(const T* x, T* y, i64 rows, i64 w, T* buf, i64 buf_len) {
    const i64 ow = w / 2, block = std::max<i64>(1, buf_len / w);
    for (i64 r0 = 0; r0 < rows; r0 += block) {
        const i64 nr = std::min(block, rows - r0);
        for (i64 r = 0; r < nr; r++) {
            const T* a = x + 2 * (r0 + r) * w;
            const T* b = a + w;
            T* v = buf + r * w;
            for (i64 j = 0; j < w; j++) v[j] = nan_max(a[j], b[j]);
        }
        T* o = y + r0 * ow;
        for (i64 i = 0; i < nr * ow; i++) o[i] = nan_max(buf[2 * i], buf[2 * i + 1]);
    }
}

// Values only (inference: no argmax for a backward pass), unpadded windows. Two passes over each output
// row, both plain loops the compiler vectorises: the max over the kh input rows into a row buffer, then
// the max over the kw taps of each window along it (strided when sw > 1). rowmax holds rowmax_len >= the
// span of one row.
template <typename T>
ENGINE_INLINE void max_pool_values_nopad(const PoolGeom& g, const T* x, T* y, T* rowmax, i64 rowmax_len) {
    if (g.kh == 2 && g.kw == 2 && g.sh == 2 && g.sw == 2 && g.h == 2 * g.oh && g.w == 2 * g.ow) {
        if (sizeof(T) == 4 && max_pool_2x2_avx512_runs())
            max_pool_2x2_avx512(reinterpret_cast<const float*>(x), reinterpret_cast<float*>(y), g.nc * g.oh, g.w);
        else
            max_pool_values_2x2(x, y, g.nc * g.oh, g.w, rowmax, rowmax_len);
        return;
    }
    const i64 span = (g.ow - 1) * g.sw + g.kw;  // input columns the windows of one row touch
    for (i64 p = 0; p < g.nc; p++) {
        const T* xp = x + p * g.h * g.w;
        T* yp = y + p * g.oh * g.ow;
        for (i64 oy = 0; oy < g.oh; oy++) {
            const T* r0 = xp + oy * g.sh * g.w;
            for (i64 j = 0; j < span; j++) rowmax[j] = r0[j];
            for (i64 ky = 1; ky < g.kh; ky++) {
                const T* r = r0 + ky * g.w;
                for (i64 j = 0; j < span; j++) rowmax[j] = nan_max(rowmax[j], r[j]);
            }
            T* yr = yp + oy * g.ow;
            if (g.sw == 2 && g.kw == 2) {
                for (i64 ox = 0; ox < g.ow; ox++) yr[ox] = nan_max(rowmax[2 * ox], rowmax[2 * ox + 1]);
            } else {
                for (i64 ox = 0; ox < g.ow; ox++) {
                    T best = rowmax[ox * g.sw];
                    for (i64 kx = 1; kx < g.kw; kx++) best = nan_max(best, rowmax[ox * g.sw + kx]);
                    yr[ox] = best;
                }
            }
        }
    }
}

ENGINE_DISPATCH void max_pool_values_nopad_f32(const PoolGeom& g, const float* x, float* y, float* rowmax, i64 rowmax_len) {
    max_pool_values_nopad<float>(g, x, y, rowmax, rowmax_len);
}

// Values only with padding (ResNet's 3x3 stride 2 pad 1): as the unpadded path, each output row's window rows
// (clipped to the plane) max into a row buffer, whose pw cells on either side hold -inf, so every window is
// whole in the buffer and the column pass has a fixed trip count. A window always holds a real tap (padding is
// at most half the window), so -inf never wins over one; the maxes are the general path's. A 3-wide window at
// stride 2 takes its column pass in AVX-512 where that runs (even and odd cells by permutes).
ENGINE_INLINE void max_pool_values_padded_f32(const PoolGeom& g, const float* x, float* y, float* buf) {
    const i64 lead = g.pw, width = (g.ow - 1) * g.sw + g.kw;  // buffer cells the windows span
    float* row = buf + lead;
    for (i64 j = 0; j < lead; j++) buf[j] = -INFINITY;
    for (i64 j = lead + g.w; j < std::max(width, lead + g.w); j++) buf[j] = -INFINITY;
    for (i64 p = 0; p < g.nc; p++) {
        const float* xp = x + p * g.h * g.w;
        float* yp = y + p * g.oh * g.ow;
        for (i64 oy = 0; oy < g.oh; oy++) {
            const i64 y0 = std::max<i64>(0, oy * g.sh - g.ph), y1 = std::min<i64>(g.h, oy * g.sh - g.ph + g.kh);
            const float* r0 = xp + y0 * g.w;
            for (i64 j = 0; j < g.w; j++) row[j] = r0[j];
            for (i64 iy = y0 + 1; iy < y1; iy++) {
                const float* r = xp + iy * g.w;
                for (i64 j = 0; j < g.w; j++) row[j] = nan_max(row[j], r[j]);
            }
            float* yr = yp + oy * g.ow;
            if (g.kw == 3 && g.sw == 2 && max_pool_2x2_avx512_runs()) {
                max_pool_row3_s2_avx512(buf, yr, g.ow);
            } else if (g.kw == 3) {
                for (i64 ox = 0; ox < g.ow; ox++) {
                    const float* b = buf + ox * g.sw;
                    yr[ox] = nan_max(nan_max(b[0], b[1]), b[2]);
                }
            } else {
                for (i64 ox = 0; ox < g.ow; ox++) {
                    const float* b = buf + ox * g.sw;
                    float best = b[0];
                    for (i64 kx = 1; kx < g.kw; kx++) best = nan_max(best, b[kx]);
                    yr[ox] = best;
                }
            }
        }
    }
}

ENGINE_DISPATCH void max_pool_values_padded(const PoolGeom& g, const float* x, float* y, float* rowmax) { max_pool_values_padded_f32(g, x, y, rowmax); }

template <typename T>
static void max_pool_fwd(const PoolGeom& g, const T* x, T* y, int64_t* idx) {
    if (!idx && sizeof(T) == 4 && (g.ph > 0 || g.pw > 0) && g.oh > 0 && g.ow > 0) {
        run_shares(threads_for(g.nc * g.oh * g.ow * g.kh * g.kw), g.nc, [&](int t, int nt) {
            const i64 cells = std::max((g.ow - 1) * g.sw + g.kw, g.pw + g.w);
            float onStack[1024];
            std::vector<float> onHeap(cells > 1024 ? (size_t)cells : 0);
            PoolGeom part = g;
            i64 p0 = g.nc * t / nt;
            part.nc = g.nc * (t + 1) / nt - p0;
            max_pool_values_padded(part, reinterpret_cast<const float*>(x) + p0 * g.h * g.w, reinterpret_cast<float*>(y) + p0 * g.oh * g.ow,
                                   cells > 1024 ? onHeap.data() : onStack);
        });
        return;
    }
    if (!idx && sizeof(T) == 4 && g.ph == 0 && g.pw == 0 && g.oh > 0 && g.ow > 0) {
        run_shares(threads_for(g.nc * g.oh * g.ow * g.kh * g.kw), g.nc, [&](int t, int nt) {
            const i64 span = (g.ow - 1) * g.sw + g.kw;
            float onStack[1024];
            std::vector<float> onHeap(span > 1024 ? (size_t)span : 0);
            float* rowmax = span > 1024 ? onHeap.data() : onStack;
            PoolGeom part = g;
            i64 p0 = g.nc * t / nt;
            part.nc = g.nc * (t + 1) / nt - p0;
            max_pool_values_nopad_f32(part, reinterpret_cast<const float*>(x) + p0 * g.h * g.w, reinterpret_cast<float*>(y) + p0 * g.oh * g.ow, rowmax,
                                      std::max<i64>(span, 1024));
        });
        return;
    }
    if (idx && sizeof(T) == 4 && g.ph == 0 && g.pw == 0 && g.oh > 0 && g.ow > 0) {
        // each part a contiguous range of planes
        run_shares(threads_for(g.nc * g.oh * g.ow * g.kh * g.kw), g.nc, [&](int t, int nt) {
            PoolGeom part = g;
            i64 p0 = g.nc * t / nt;
            part.nc = g.nc * (t + 1) / nt - p0;
            max_pool_fwd_nopad_f32(part, reinterpret_cast<const float*>(x) + p0 * g.h * g.w, reinterpret_cast<float*>(y) + p0 * g.oh * g.ow,
                                   idx + p0 * g.oh * g.ow);
        });
        return;
    }
    parallel_for(g.nc, threads_for(g.nc * g.oh * g.ow * g.kh * g.kw), [&](i64 p) {
        const T* xp = x + p * g.h * g.w;
        for (i64 oy = 0; oy < g.oh; oy++) for (i64 ox = 0; ox < g.ow; ox++) {
            T best = -INFINITY; i64 bi = -1;
            for (i64 ky = 0; ky < g.kh; ky++) {
                i64 iy = oy * g.sh - g.ph + ky;
                if (iy < 0 || iy >= g.h) continue;
                for (i64 kx = 0; kx < g.kw; kx++) {
                    i64 ix = ox * g.sw - g.pw + kx;
                    if (ix < 0 || ix >= g.w) continue;
                    T v = xp[iy * g.w + ix];
                    if (bi < 0 || v > best || std::isnan(v)) { best = v; bi = iy * g.w + ix; }
                }
            }
            y[(p * g.oh + oy) * g.ow + ox] = best;
            if (idx) idx[(p * g.oh + oy) * g.ow + ox] = bi;
        }
    });
}

template <typename T>
static void max_pool_bwd(const PoolGeom& g, const T* gy, const int64_t* idx, T* gx) {
    parallel_for(g.nc, threads_for(g.nc * g.h * g.w), [&](i64 p) {
        T* gp = gx + p * g.h * g.w;
        for (i64 i = 0; i < g.h * g.w; i++) gp[i] = 0;
        for (i64 o = 0; o < g.oh * g.ow; o++) {
            i64 k = idx[p * g.oh * g.ow + o];
            if (k >= 0) gp[k] += gy[p * g.oh * g.ow + o];
        }
    });
}

template <typename T>
static void avg_pool(const PoolGeom& g, const T* src, T* dst, bool backward) {
    parallel_for(g.nc, threads_for(g.nc * g.oh * g.ow * g.kh * g.kw), [&](i64 p) {
        if (backward) for (i64 i = 0; i < g.h * g.w; i++) dst[p * g.h * g.w + i] = 0;
        for (i64 oy = 0; oy < g.oh; oy++) for (i64 ox = 0; ox < g.ow; ox++) {
            i64 y0 = oy * g.sh - g.ph, x0 = ox * g.sw - g.pw;
            i64 y1 = std::min(y0 + g.kh, g.h + g.ph), x1 = std::min(x0 + g.kw, g.w + g.pw);
            i64 padded = (y1 - y0) * (x1 - x0);
            i64 ya = std::max<i64>(y0, 0), xa = std::max<i64>(x0, 0), yb = std::min(y1, g.h), xb = std::min(x1, g.w);
            i64 cnt = g.include_pad ? padded : (yb - ya) * (xb - xa);
            i64 o = (p * g.oh + oy) * g.ow + ox;
            if (!backward) {
                double s = 0;
                for (i64 iy = ya; iy < yb; iy++) for (i64 ix = xa; ix < xb; ix++) s += src[p * g.h * g.w + iy * g.w + ix];
                dst[o] = cnt > 0 ? (T)(s / (double)cnt) : T(0);
            } else if (cnt > 0) {
                T v = src[o] / (T)cnt;
                for (i64 iy = ya; iy < yb; iy++) for (i64 ix = xa; ix < xb; ix++) dst[p * g.h * g.w + iy * g.w + ix] += v;
            }
        }
    });
}

template <typename T>
static void adaptive_avg(const T* src, T* dst, i64 nc, i64 h, i64 w, i64 oh, i64 ow, bool backward) {
    parallel_for(nc, threads_for(nc * h * w), [&](i64 p) {
        if (backward) for (i64 i = 0; i < h * w; i++) dst[p * h * w + i] = 0;
        for (i64 oy = 0; oy < oh; oy++) {
            i64 y0 = (oy * h) / oh, y1 = ((oy + 1) * h + oh - 1) / oh;
            for (i64 ox = 0; ox < ow; ox++) {
                i64 x0 = (ox * w) / ow, x1 = ((ox + 1) * w + ow - 1) / ow;
                i64 cnt = (y1 - y0) * (x1 - x0);
                i64 o = (p * oh + oy) * ow + ox;
                if (!backward) {
                    double s = 0;
                    for (i64 iy = y0; iy < y1; iy++) for (i64 ix = x0; ix < x1; ix++) s += src[p * h * w + iy * w + ix];
                    dst[o] = (T)(s / (double)cnt);
                } else {
                    T v = src[o] / (T)cnt;
                    for (i64 iy = y0; iy < y1; iy++) for (i64 ix = x0; ix < x1; ix++) dst[p * h * w + iy * w + ix] += v;
                }
            }
        }
    });
}

}  // namespace engine

// meta: PoolArgs (native/common/abi.h)
inline int engine_pool2d(long long metaAddress) {
    return engine::guarded([&] {
        using namespace engine;
        const PoolArgs& q = *ptr<PoolArgs>(metaAddress);
        PoolGeom g = read_pool(q.g);
        const i64 a[3] = {q.a, q.b, q.c};
        bool f = q.dtype == F32;
        switch (q.kind) {
            case POOL_MAX: if (f) max_pool_fwd<float>(g, ptr<float>(a[0]), ptr<float>(a[1]), ptr<int64_t>(a[2])); else max_pool_fwd<double>(g, ptr<double>(a[0]), ptr<double>(a[1]), ptr<int64_t>(a[2])); break;
            case POOL_MAX_BACKWARD: if (f) max_pool_bwd<float>(g, ptr<float>(a[0]), ptr<int64_t>(a[1]), ptr<float>(a[2])); else max_pool_bwd<double>(g, ptr<double>(a[0]), ptr<int64_t>(a[1]), ptr<double>(a[2])); break;
            case POOL_AVG: if (f) avg_pool<float>(g, ptr<float>(a[0]), ptr<float>(a[1]), false); else avg_pool<double>(g, ptr<double>(a[0]), ptr<double>(a[1]), false); break;
            default: if (f) avg_pool<float>(g, ptr<float>(a[0]), ptr<float>(a[1]), true); else avg_pool<double>(g, ptr<double>(a[0]), ptr<double>(a[1]), true); break;
        }
    });
}

inline int engine_adaptive_avg_pool2d(int dtype, long long src, long long dst, long long nc, long long h, long long w,
                                       long long oh, long long ow, int backward) {
    return engine::guarded([&] {
        using namespace engine;
        if (dtype == F32) adaptive_avg<float>(ptr<float>(src), ptr<float>(dst), nc, h, w, oh, ow, backward != 0);
        else adaptive_avg<double>(ptr<double>(src), ptr<double>(dst), nc, h, w, oh, ow, backward != 0);
    });
}
