// Batch-1 GEMV for a row-major B stored [k][n] (the frozen model's pre-transposed weights): y = alpha x B
// + beta y, streaming B once row by row with the accumulators of a column block kept in L1. Replaces
// cblas_sgemv there: at batch 1 the per-call setup of OpenBLAS's (Haswell-core) kernel is a visible
// share of a few-microsecond product, and the rows of B are read contiguously either way.
#pragma once
#include "common.h"

namespace engine {

const int GEMV_COLS = 1024;  // column block: 4 KB of accumulators (whole rows of B for n <= 1024: one sequential stream)

// acc[0..len) = sum_i x[i] * b[i*ldb + j0 + j], eight rows of B per pass (then four, then one) so one
// load/store of the accumulator serves eight FMAs (8 rows beat 4: benchmarks/results/NOTES.md, "GEMV").
ENGINE_DISPATCH void gemv_rows_f32(const float* x, const float* b, i64 ldb, i64 k, i64 j0, int len, float* acc) {
    for (int j = 0; j < len; j++) acc[j] = 0.f;
    i64 i = 0;
    for (; i + 8 <= k; i += 8) {
        const float* b0 = b + i * ldb + j0;
        float xv[8];
        for (int t = 0; t < 8; t++) xv[t] = x[i + t];
        for (int j = 0; j < len; j++) {
            float s0 = xv[0] * b0[j] + xv[1] * b0[ldb + j], s1 = xv[2] * b0[2 * ldb + j] + xv[3] * b0[3 * ldb + j];
            float s2 = xv[4] * b0[4 * ldb + j] + xv[5] * b0[5 * ldb + j], s3 = xv[6] * b0[6 * ldb + j] + xv[7] * b0[7 * ldb + j];
            acc[j] += (s0 + s1) + (s2 + s3);
        }
    }
    for (; i + 4 <= k; i += 4) {
        const float x0 = x[i], x1 = x[i + 1], x2 = x[i + 2], x3 = x[i + 3];
        const float* b0 = b + i * ldb + j0;
        const float* b1 = b0 + ldb;
        const float* b2 = b1 + ldb;
        const float* b3 = b2 + ldb;
        for (int j = 0; j < len; j++) acc[j] += x0 * b0[j] + x1 * b1[j] + x2 * b2[j] + x3 * b3[j];
    }
    for (; i < k; i++) {
        const float xi = x[i];
        const float* bi = b + i * ldb + j0;
        for (int j = 0; j < len; j++) acc[j] += xi * bi[j];
    }
}

// y[0..n) = alpha * (x B) + beta * y  (beta == 0 never reads y). Column blocks of up to GEMV_COLS go to
// the pool; a product narrower than one block runs on the calling thread, because waking a second core
// for a few microseconds of streaming costs more than it saves (benchmarks/results/NOTES.md, "GEMV").
inline void gemv_kn_f32(i64 k, i64 n, float alpha, const float* x, const float* b, i64 ldb, float beta, float* y) {
    i64 blocks = (n + GEMV_COLS - 1) / GEMV_COLS;
    parallel_for(blocks, 1, [&](i64 blk) {
        alignas(64) float acc[GEMV_COLS];
        i64 j0 = blk * GEMV_COLS;
        int len = (int)std::min<i64>(GEMV_COLS, n - j0);
        gemv_rows_f32(x, b, ldb, k, j0, len, acc);
        float* yp = y + j0;
        if (beta == 0.f) for (int j = 0; j < len; j++) yp[j] = alpha * acc[j];
        else for (int j = 0; j < len; j++) yp[j] = alpha * acc[j] + beta * yp[j];
    });
}

}  // namespace engine
