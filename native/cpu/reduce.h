// Reductions over trailing axes: the Java side permutes the layout so that kept axes come first and
// reduced axes last (a view, no copy); each output element then reduces one strided sub-block.
#pragma once
#include "common.h"

namespace engine {

// ReduceCode (R_SUM ...) comes from native/common/abi.h

template <typename T>
static void reduce_t(int op, int nk, const i64* kshape, const i64* kstrides, int nr, const i64* rshape,
                     const i64* rstrides, const T* x, i64 outAddress) {
    i64 outer = 1, inner = 1;
    for (int d = 0; d < nk; d++) outer *= kshape[d];
    for (int d = 0; d < nr; d++) inner *= rshape[d];
    if (outer == 0) return;
    i64 last = nr == 0 ? 1 : rshape[nr - 1];
    i64 lstride = nr == 0 ? 0 : rstrides[nr - 1];
    i64 rows = last == 0 ? 0 : inner / last;
    parallel_for(outer, threads_for(outer * inner), [&](i64 o) {
        i64 base = 0, rem = o;
        for (int d = nk - 1; d >= 0; d--) { base += (rem % kshape[d]) * kstrides[d]; rem /= kshape[d]; }
        double acc = (op == R_MAX || op == R_ARGMAX) ? -INFINITY : (op == R_MIN || op == R_ARGMIN) ? INFINITY : 0.0;
        i64 best = 0, pos = 0;
        bool nan = false;
        for (i64 r = 0; r < rows; r++) {
            i64 off = base, rr = r;
            for (int d = nr - 2; d >= 0; d--) { off += (rr % rshape[d]) * rstrides[d]; rr /= rshape[d]; }
            const T* p = x + off;
            switch (op) {
                case R_SUM: case R_MEAN: {
                    double s = 0;
                    for (i64 i = 0; i < last; i++) s += (double)p[i * lstride];
                    acc += s;
                    break;
                }
                case R_SUMSQ: {
                    double s = 0;
                    for (i64 i = 0; i < last; i++) { double v = p[i * lstride]; s += v * v; }
                    acc += s;
                    break;
                }
                case R_MAX: case R_ARGMAX:
                    for (i64 i = 0; i < last; i++, pos++) {
                        double v = p[i * lstride];
                        if (v > acc || (std::isnan(v) && !nan)) { acc = v; best = pos; if (std::isnan(v)) nan = true; }
                    }
                    break;
                default:
                    for (i64 i = 0; i < last; i++, pos++) {
                        double v = p[i * lstride];
                        if (v < acc || (std::isnan(v) && !nan)) { acc = v; best = pos; if (std::isnan(v)) nan = true; }
                    }
                    break;
            }
        }
        if (op == R_ARGMAX || op == R_ARGMIN) ptr<int64_t>(outAddress)[o] = best;
        else {
            if (op == R_MEAN) acc = inner == 0 ? NAN : acc / (double)inner;
            if ((op == R_MAX || op == R_MIN) && inner == 0) acc = NAN;
            ptr<T>(outAddress)[o] = (T)acc;
        }
    });
}

}  // namespace engine

// meta: [dtype, op, nk, kshape[nk], kstrides[nk], nr, rshape[nr], rstrides[nr], xAddress(offset applied), out]
inline int engine_reduce(long long metaAddress) {
    return engine::guarded([&] {
        using namespace engine;
        const i64* q = ptr<i64>(metaAddress);
        int dtype = (int)q[0], op = (int)q[1], nk = (int)q[2];
        const i64* ks = q + 3; const i64* kst = ks + nk;
        int nr = (int)kst[nk];
        const i64* rs = kst + nk + 1; const i64* rst = rs + nr;
        i64 x = rst[nr], out = rst[nr + 1];
        if (dtype == F32) reduce_t<float>(op, nk, ks, kst, nr, rs, rst, ptr<float>(x), out);
        else reduce_t<double>(op, nk, ks, kst, nr, rs, rst, ptr<double>(x), out);
    });
}
