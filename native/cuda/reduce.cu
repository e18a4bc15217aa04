// Reductions over arbitrary axes of a strided view: one block per output element, each thread folds a
// strided share of the reduced sub-block, then the block combines (sums in double, like native/cpu).
#include "common.cuh"
#include "context.cuh"
#include "engine_cuda.h"

namespace ecu {

enum ReduceCode { R_SUM = 0, R_MEAN = 1, R_MAX = 2, R_MIN = 3, R_ARGMAX = 4, R_ARGMIN = 5, R_SUMSQ = 6 };

struct ReduceArgs {
    int op, nk, nr;
    i64 kshape[MAX_DIMS], kstrides[MAX_DIMS], rshape[MAX_DIMS], rstrides[MAX_DIMS];
    i64 x, out, outer, inner;
};

// Is (v, p) a better max/min candidate than (bv, bp)? NaN wins (first NaN), ties go to the first position,
// which is exactly what the sequential CPU loop picks.
__device__ __forceinline__ bool better(bool isMax, double v, i64 p, double bv, i64 bp) {
    bool vn = isnan(v), bn = isnan(bv);
    if (vn || bn) return vn && (!bn || p < bp);
    if (v != bv) return isMax ? v > bv : v < bv;
    return p < bp;
}

template <typename T>
__global__ void reduce_kernel(ReduceArgs a) {
    __shared__ double sv[256];
    __shared__ i64 sp[256];
    const T* x = ptr<T>(a.x);
    bool isMax = a.op == R_MAX || a.op == R_ARGMAX;
    bool extremum = a.op == R_MAX || a.op == R_MIN || a.op == R_ARGMAX || a.op == R_ARGMIN;
    for (i64 o = blockIdx.x; o < a.outer; o += gridDim.x) {
        i64 base = 0, rem = o;
        for (int d = a.nk - 1; d >= 0; d--) { base += (rem % a.kshape[d]) * a.kstrides[d]; rem /= a.kshape[d]; }
        double acc = extremum ? (isMax ? -INFINITY : INFINITY) : 0.0;
        i64 best = INT64_MAX;
        for (i64 r = threadIdx.x; r < a.inner; r += blockDim.x) {
            i64 off = base, rr = r;
            for (int d = a.nr - 1; d >= 0; d--) { off += (rr % a.rshape[d]) * a.rstrides[d]; rr /= a.rshape[d]; }
            double v = (double)x[off];
            if (!extremum) acc += a.op == R_SUMSQ ? v * v : v;
            else if (better(isMax, v, r, acc, best)) { acc = v; best = r; }
        }
        sv[threadIdx.x] = acc;
        sp[threadIdx.x] = best;
        __syncthreads();
        for (int s = blockDim.x / 2; s > 0; s >>= 1) {
            if (threadIdx.x < s) {
                double v = sv[threadIdx.x + s];
                i64 p = sp[threadIdx.x + s];
                if (!extremum) sv[threadIdx.x] += v;
                else if (better(isMax, v, p, sv[threadIdx.x], sp[threadIdx.x])) { sv[threadIdx.x] = v; sp[threadIdx.x] = p; }
            }
            __syncthreads();
        }
        if (threadIdx.x == 0) {
            double r = sv[0];
            if (a.op == R_ARGMAX || a.op == R_ARGMIN) ptr<int64_t>(a.out)[o] = sp[0] == INT64_MAX ? 0 : sp[0];
            else {
                if (a.op == R_MEAN) r = a.inner == 0 ? NAN : r / (double)a.inner;
                if ((a.op == R_MAX || a.op == R_MIN) && a.inner == 0) r = NAN;
                ptr<T>(a.out)[o] = (T)r;
            }
        }
        __syncthreads();
    }
}

}  // namespace ecu

using namespace ecu;

extern "C" {

// meta: [dtype, op, nk, kshape[nk], kstrides[nk], nr, rshape[nr], rstrides[nr], xAddress(offset applied), out]
int ecu_reduce(long long ctx, long long meta) {
    ECU_BIND_STATUS(ctx);
    const i64* q = ptr<i64>(meta);
    ReduceArgs a;
    int dtype = (int)q[0];
    a.op = (int)q[1];
    a.nk = (int)q[2];
    const i64* ks = q + 3;
    const i64* kst = ks + a.nk;
    a.nr = (int)kst[a.nk];
    const i64* rs = kst + a.nk + 1;
    const i64* rst = rs + a.nr;
    a.outer = 1; a.inner = 1;
    for (int d = 0; d < a.nk; d++) { a.kshape[d] = ks[d]; a.kstrides[d] = kst[d]; a.outer *= ks[d]; }
    for (int d = 0; d < a.nr; d++) { a.rshape[d] = rs[d]; a.rstrides[d] = rst[d]; a.inner *= rs[d]; }
    a.x = rst[a.nr];
    a.out = rst[a.nr + 1];
    if (a.outer == 0) return 0;
    unsigned blocks = (unsigned)std::min<i64>(a.outer, 1 << 20);
    if (dtype == F32) reduce_kernel<float><<<blocks, 256, 0, stream()>>>(a);
    else reduce_kernel<double><<<blocks, 256, 0, stream()>>>(a);
    return launch_error();
}

}  // extern "C"
