// Layer norm (one block per row) and batch norm (one block per channel of n x c x hw), forward and
// backward; statistics in double as in native/cpu/norm.h.
#include "common.cuh"
#include "context.cuh"
#include "engine_cuda.h"

namespace ecu {

template <typename T>
__global__ void layer_norm_fwd(const T* x, const T* g, const T* b, i64 rows, i64 cols, double eps, T* y, T* mean, T* rstd) {
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* xr = x + r * cols; T* yr = y + r * cols;
        double s = 0;
        for (i64 j = threadIdx.x; j < cols; j += blockDim.x) s += xr[j];
        double mu = block_sum(s) / (double)cols;
        double ss = 0;
        for (i64 j = threadIdx.x; j < cols; j += blockDim.x) { double d = xr[j] - mu; ss += d * d; }
        double rs = 1.0 / sqrt(block_sum(ss) / (double)cols + eps);
        if (threadIdx.x == 0) { mean[r] = (T)mu; rstd[r] = (T)rs; }
        for (i64 j = threadIdx.x; j < cols; j += blockDim.x) {
            T v = (T)((xr[j] - mu) * rs);
            if (g) v *= g[j];
            if (b) v += b[j];
            yr[j] = v;
        }
    }
}

template <typename T>
__global__ void layer_norm_bwd_x(const T* x, const T* gy, const T* g, const T* mean, const T* rstd, i64 rows, i64 cols, T* gx) {
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x) {
        const T* xr = x + r * cols; const T* gr = gy + r * cols; T* o = gx + r * cols;
        double mu = mean[r], rs = rstd[r], a = 0, bs = 0;
        for (i64 j = threadIdx.x; j < cols; j += blockDim.x) {
            double gyg = (double)gr[j] * (g ? (double)g[j] : 1.0);
            a += gyg;
            bs += gyg * (xr[j] - mu) * rs;
        }
        a = block_sum(a) / (double)cols;
        bs = block_sum(bs) / (double)cols;
        for (i64 j = threadIdx.x; j < cols; j += blockDim.x) {
            double gyg = (double)gr[j] * (g ? (double)g[j] : 1.0);
            double xh = (xr[j] - mu) * rs;
            o[j] = (T)(rs * (gyg - a - xh * bs));
        }
    }
}

// one thread per column: neighbouring threads read neighbouring elements of each row
template <typename T>
__global__ void layer_norm_bwd_params(const T* x, const T* gy, const T* mean, const T* rstd, i64 rows, i64 cols, T* gg, T* gb) {
    for (i64 j = blockIdx.x * (i64)blockDim.x + threadIdx.x; j < cols; j += (i64)gridDim.x * blockDim.x) {
        double sg = 0, sb = 0;
        for (i64 r = 0; r < rows; r++) {
            double gv = gy[r * cols + j];
            sg += gv * (x[r * cols + j] - (double)mean[r]) * (double)rstd[r];
            sb += gv;
        }
        if (gg) gg[j] = (T)sg;
        if (gb) gb[j] = (T)sb;
    }
}

template <typename T>
__global__ void batch_norm_fwd(const T* x, const T* g, const T* b, T* rm, T* rv, i64 n, i64 c, i64 hw, bool training,
                               double momentum, double eps, T* y, T* sm, T* sr) {
    i64 count = n * hw;
    for (i64 ch = blockIdx.x; ch < c; ch += gridDim.x) {
        double mu, var;
        if (training) {
            double s = 0;
            for (i64 t = threadIdx.x; t < count; t += blockDim.x) s += x[((t / hw) * c + ch) * hw + t % hw];
            mu = count ? block_sum(s) / (double)count : 0.0;
            double ss = 0;
            for (i64 t = threadIdx.x; t < count; t += blockDim.x) { double d = x[((t / hw) * c + ch) * hw + t % hw] - mu; ss += d * d; }
            ss = block_sum(ss);
            var = count ? ss / (double)count : 0.0;
            if (threadIdx.x == 0) {
                if (rm) rm[ch] = (T)((1 - momentum) * (double)rm[ch] + momentum * mu);
                if (rv) rv[ch] = (T)((1 - momentum) * (double)rv[ch] + momentum * (count > 1 ? ss / (double)(count - 1) : var));
            }
        } else {
            mu = rm ? (double)rm[ch] : 0.0;
            var = rv ? (double)rv[ch] : 1.0;
        }
        double rs = 1.0 / sqrt(var + eps);
        if (threadIdx.x == 0) { if (sm) sm[ch] = (T)mu; if (sr) sr[ch] = (T)rs; }
        double scale = rs * (g ? (double)g[ch] : 1.0), shift = (b ? (double)b[ch] : 0.0) - mu * scale;
        for (i64 t = threadIdx.x; t < count; t += blockDim.x) {
            i64 o = ((t / hw) * c + ch) * hw + t % hw;
            y[o] = (T)(x[o] * scale + shift);
        }
        __syncthreads();  // running stats read by thread 0 above must not race the next channel's reads
    }
}

template <typename T>
__global__ void batch_norm_bwd(const T* x, const T* gy, const T* g, const T* sm, const T* sr, i64 n, i64 c, i64 hw,
                               T* gx, T* gg, T* gb) {
    i64 count = n * hw;
    double cnt = (double)count;
    for (i64 ch = blockIdx.x; ch < c; ch += gridDim.x) {
        double mu = sm[ch], rs = sr[ch], sg = 0, sgx = 0;
        for (i64 t = threadIdx.x; t < count; t += blockDim.x) {
            i64 o = ((t / hw) * c + ch) * hw + t % hw;
            sg += gy[o];
            sgx += gy[o] * (x[o] - mu) * rs;
        }
        sg = block_sum(sg);
        sgx = block_sum(sgx);
        if (threadIdx.x == 0) { if (gg) gg[ch] = (T)sgx; if (gb) gb[ch] = (T)sg; }
        double gam = g ? (double)g[ch] : 1.0;
        for (i64 t = threadIdx.x; t < count; t += blockDim.x) {
            i64 o = ((t / hw) * c + ch) * hw + t % hw;
            double xh = (x[o] - mu) * rs;
            gx[o] = (T)(gam * rs / cnt * (cnt * gy[o] - sg - xh * sgx));
        }
    }
}

inline unsigned row_grid(i64 rows) { return (unsigned)std::min<i64>(std::max<i64>(rows, 1), 1 << 20); }

template <typename T>
static int ln_forward(i64 x, i64 g, i64 b, i64 rows, i64 cols, double eps, i64 y, i64 mean, i64 rstd) {
    layer_norm_fwd<T><<<row_grid(rows), 256, 0, stream()>>>(ptr<T>(x), g ? ptr<T>(g) : nullptr, b ? ptr<T>(b) : nullptr, rows, cols,
                                                          eps, ptr<T>(y), ptr<T>(mean), ptr<T>(rstd));
    return launch_error();
}

template <typename T>
static int ln_backward(i64 x, i64 gy, i64 g, i64 mean, i64 rstd, i64 rows, i64 cols, i64 gx, i64 gg, i64 gb) {
    if (rows > 0)
        layer_norm_bwd_x<T><<<row_grid(rows), 256, 0, stream()>>>(ptr<T>(x), ptr<T>(gy), g ? ptr<T>(g) : nullptr, ptr<T>(mean),
                                                                ptr<T>(rstd), rows, cols, ptr<T>(gx));
    if ((gg || gb) && cols > 0)
        layer_norm_bwd_params<T><<<blocks_for(cols, 128), 128, 0, stream()>>>(ptr<T>(x), ptr<T>(gy), ptr<T>(mean), ptr<T>(rstd), rows,
                                                                              cols, gg ? ptr<T>(gg) : nullptr, gb ? ptr<T>(gb) : nullptr);
    return launch_error();
}

#define P(T, a) ((a) ? ptr<T>(a) : (T*)nullptr)

}  // namespace ecu

using namespace ecu;

extern "C" {

int ecu_layer_norm_forward(long long ctx, int dtype, long long x, long long g, long long b, long long rows, long long cols, double eps,
                           long long y, long long mean, long long rstd) {
    ECU_BIND_STATUS(ctx);
    if (rows == 0 || cols == 0) return 0;
    return dtype == F32 ? ln_forward<float>(x, g, b, rows, cols, eps, y, mean, rstd) : ln_forward<double>(x, g, b, rows, cols, eps, y, mean, rstd);
}

int ecu_layer_norm_backward(long long ctx, int dtype, long long x, long long gy, long long g, long long mean, long long rstd, long long rows,
                            long long cols, long long gx, long long gg, long long gb) {
    ECU_BIND_STATUS(ctx);
    if (cols == 0) return 0;
    return dtype == F32 ? ln_backward<float>(x, gy, g, mean, rstd, rows, cols, gx, gg, gb)
                        : ln_backward<double>(x, gy, g, mean, rstd, rows, cols, gx, gg, gb);
}

// meta: [dtype, x, g, b, rm, rv, n, c, hw, training, momentum bits, eps bits, y, saveMean, saveRstd]
int ecu_batch_norm_forward(long long ctx, long long meta) {
    ECU_BIND_STATUS(ctx);
    const i64* q = ptr<i64>(meta);
    double mom = bits_to_double(q[10]), eps = bits_to_double(q[11]);
    if (q[7] == 0) return 0;
    unsigned grid = row_grid(q[7]);
    if (q[0] == F32)
        batch_norm_fwd<float><<<grid, 256, 0, stream()>>>(P(float, q[1]), P(float, q[2]), P(float, q[3]), P(float, q[4]), P(float, q[5]),
                                                          q[6], q[7], q[8], q[9] != 0, mom, eps, P(float, q[12]), P(float, q[13]), P(float, q[14]));
    else
        batch_norm_fwd<double><<<grid, 256, 0, stream()>>>(P(double, q[1]), P(double, q[2]), P(double, q[3]), P(double, q[4]), P(double, q[5]),
                                                           q[6], q[7], q[8], q[9] != 0, mom, eps, P(double, q[12]), P(double, q[13]), P(double, q[14]));
    return launch_error();
}

// meta: [dtype, x, gy, g, saveMean, saveRstd, n, c, hw, gx, gg, gb]
int ecu_batch_norm_backward(long long ctx, long long meta) {
    ECU_BIND_STATUS(ctx);
    const i64* q = ptr<i64>(meta);
    if (q[7] == 0) return 0;
    unsigned grid = row_grid(q[7]);
    if (q[0] == F32)
        batch_norm_bwd<float><<<grid, 256, 0, stream()>>>(P(float, q[1]), P(float, q[2]), P(float, q[3]), P(float, q[4]), P(float, q[5]),
                                                          q[6], q[7], q[8], P(float, q[9]), P(float, q[10]), P(float, q[11]));
    else
        batch_norm_bwd<double><<<grid, 256, 0, stream()>>>(P(double, q[1]), P(double, q[2]), P(double, q[3]), P(double, q[4]), P(double, q[5]),
                                                           q[6], q[7], q[8], P(double, q[9]), P(double, q[10]), P(double, q[11]));
    return launch_error();
}

}  // extern "C"
