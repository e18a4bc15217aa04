// Row softmax / log-softmax and backward, and the fused cross-entropy (loss, row weight and gradient in
// one kernel, after llm.c's fused classifier). One block per row; formulas follow native/cpu/softmax.h.
#include "common.cuh"
#include "context.cuh"
#include "engine_cuda.h"

namespace ecu {

const int ROW_THREADS = 256;

template <typename T>
__global__ void softmax_kernel(const T* x, T* y, i64 rows, i64 cols, bool log) {
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* xr = x + r * cols;
        T* yr = y + r * cols;
        double mxl = -INFINITY;
        for (i64 j = threadIdx.x; j < cols; j += blockDim.x) mxl = fmax(mxl, (double)xr[j]);
        T mx = (T)block_max(mxl);
        double s = 0;
        for (i64 j = threadIdx.x; j < cols; j += blockDim.x) s += exp((double)(xr[j] - mx));
        double sum = block_sum(s);
        if (log) {
            T lse = mx + (T)::log(sum);
            for (i64 j = threadIdx.x; j < cols; j += blockDim.x) yr[j] = xr[j] - lse;
        } else {
            T inv = (T)(1.0 / sum);
            for (i64 j = threadIdx.x; j < cols; j += blockDim.x) yr[j] = exp(xr[j] - mx) * inv;
        }
    }
}

template <typename T>
__global__ void softmax_backward_kernel(const T* y, const T* gy, T* gx, i64 rows, i64 cols, bool log) {
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* yr = y + r * cols; const T* g = gy + r * cols; T* o = gx + r * cols;
        double s = 0;
        for (i64 j = threadIdx.x; j < cols; j += blockDim.x) s += log ? (double)g[j] : (double)g[j] * yr[j];
        T st = (T)block_sum(s);
        for (i64 j = threadIdx.x; j < cols; j += blockDim.x) o[j] = log ? g[j] - exp(yr[j]) * st : yr[j] * (g[j] - st);
    }
}

__global__ void check_targets(const int64_t* t, i64 rows, i64 cols, i64 ignore, unsigned long long* bad) {
    for (i64 r = blockIdx.x * (i64)blockDim.x + threadIdx.x; r < rows; r += (i64)gridDim.x * blockDim.x)
        if (t[r] != ignore && (t[r] < 0 || t[r] >= cols)) atomicMin(bad, (unsigned long long)r);
}

template <typename T>
__global__ void cross_entropy_kernel(const T* x, const int64_t* t, const T* w, i64 rows, i64 cols, double eps, i64 ignore,
                                     T* loss, T* rw, T* grad) {
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* xr = x + r * cols;
        i64 tr = t[r];
        if (tr == ignore || tr < 0 || tr >= cols) {  // out-of-range targets were reported; never read past the row
            if (threadIdx.x == 0) { loss[r] = 0; rw[r] = 0; }
            if (grad) for (i64 j = threadIdx.x; j < cols; j += blockDim.x) grad[r * cols + j] = 0;
            continue;
        }
        double mxl = -INFINITY, ws = 0;
        for (i64 j = threadIdx.x; j < cols; j += blockDim.x) { mxl = fmax(mxl, (double)xr[j]); if (w) ws += (double)w[j]; }
        T mx = (T)block_max(mxl);
        double wsum = w ? block_sum(ws) : (double)cols;
        double s = 0;
        for (i64 j = threadIdx.x; j < cols; j += blockDim.x) s += exp((double)(xr[j] - mx));
        double lse = (double)mx + ::log(block_sum(s));
        double wt = w ? (double)w[tr] : 1.0;
        double l = (1.0 - eps) * wt * (lse - (double)xr[tr]);
        if (eps > 0) {
            double sm = 0;
            for (i64 j = threadIdx.x; j < cols; j += blockDim.x) sm += (w ? (double)w[j] : 1.0) * (lse - (double)xr[j]);
            l += eps / (double)cols * block_sum(sm);
        }
        if (threadIdx.x == 0) { loss[r] = (T)l; rw[r] = (T)wt; }
        if (grad) {
            T* g = grad + r * cols;
            for (i64 j = threadIdx.x; j < cols; j += blockDim.x) {
                double p = exp((double)xr[j] - lse);
                double v = (1.0 - eps) * wt * (p - (j == tr ? 1.0 : 0.0));
                if (eps > 0) v += eps / (double)cols * (wsum * p - (w ? (double)w[j] : 1.0));
                g[j] = (T)v;
            }
        }
    }
}

inline unsigned row_blocks(i64 rows) { return (unsigned)std::min<i64>(rows, 1 << 20); }

}  // namespace ecu

using namespace ecu;

extern "C" {

int ecu_softmax(long long ctx, int dtype, long long x, long long y, long long rows, long long cols, int log) {
    ECU_BIND_STATUS(ctx);
    if (rows == 0 || cols == 0) return 0;
    if (dtype == F32) softmax_kernel<float><<<row_blocks(rows), ROW_THREADS, 0, stream()>>>(ptr<float>(x), ptr<float>(y), rows, cols, log != 0);
    else softmax_kernel<double><<<row_blocks(rows), ROW_THREADS, 0, stream()>>>(ptr<double>(x), ptr<double>(y), rows, cols, log != 0);
    return launch_error();
}

int ecu_softmax_backward(long long ctx, int dtype, long long y, long long gy, long long gx, long long rows, long long cols, int log) {
    ECU_BIND_STATUS(ctx);
    if (rows == 0 || cols == 0) return 0;
    if (dtype == F32)
        softmax_backward_kernel<float><<<row_blocks(rows), ROW_THREADS, 0, stream()>>>(ptr<float>(y), ptr<float>(gy), ptr<float>(gx), rows, cols, log != 0);
    else
        softmax_backward_kernel<double><<<row_blocks(rows), ROW_THREADS, 0, stream()>>>(ptr<double>(y), ptr<double>(gy), ptr<double>(gx), rows, cols, log != 0);
    return launch_error();
}

long long ecu_cross_entropy(long long ctx, int dtype, long long x, long long t, long long w, long long rows, long long cols, double eps,
                            long long ignore, long long loss, long long rw, long long grad) {
    ECU_BIND(ctx, POSITION_MESSAGE);
    if (rows == 0) return -1;
    IndexFlag flag;
    if (!flag.begin()) return position_error(take_unbound() ? ECU_MESSAGE : (int)cudaErrorMemoryAllocation);
    check_targets<<<blocks_for(rows, 256), 256, 0, stream()>>>(ptr<int64_t>(t), rows, cols, ignore, flag.dev);
    int err = launch_error(), ferr = 0;
    long long bad = flag.finish(&ferr);
    if (err || ferr) return position_error(err ? err : ferr);
    if (bad >= 0) return bad;
    int err2;
    if (dtype == F32)
        cross_entropy_kernel<float><<<row_blocks(rows), ROW_THREADS, 0, stream()>>>(ptr<float>(x), ptr<int64_t>(t), w ? ptr<float>(w) : nullptr,
            rows, cols, eps, ignore, ptr<float>(loss), ptr<float>(rw), grad ? ptr<float>(grad) : nullptr);
    else
        cross_entropy_kernel<double><<<row_blocks(rows), ROW_THREADS, 0, stream()>>>(ptr<double>(x), ptr<int64_t>(t), w ? ptr<double>(w) : nullptr,
            rows, cols, eps, ignore, ptr<double>(loss), ptr<double>(rw), grad ? ptr<double>(grad) : nullptr);
    err2 = launch_error();
    return err2 ? position_error(err2) : -1;
}

}  // extern "C"
