// Row gather and scatter-add (embedding forward and backward). Indices are validated before any write;
// the first bad position is returned so Java can name it.
#pragma once
#include "common.h"

// The first position whose index is outside [0, limit), or -1 (no failure is possible here).
inline long long engine_check_indices(long long indices, long long count, long long limit) {
    const int64_t* ix = engine::ptr<int64_t>(indices);
    for (long long i = 0; i < count; i++) if (ix[i] < 0 || ix[i] >= limit) return i;
    return -1;
}

inline int engine_gather_rows(int dtype, long long src, long long indices, long long count, long long rowLen, long long dst) {
    return engine::guarded([&] {
        using namespace engine;
        const int64_t* ix = ptr<int64_t>(indices);
        size_t es = dtype_size(dtype), bytes = (size_t)rowLen * es;
        parallel_for(count, threads_for(count * rowLen), [&](i64 i) {
            std::memcpy(ptr<char>(dst) + i * bytes, ptr<char>(src) + ix[i] * bytes, bytes);
        });
    });
}

inline int engine_scatter_add_rows(int dtype, long long src, long long indices, long long count, long long rowLen, long long dst) {
    return engine::guarded([&] {
        using namespace engine;
        const int64_t* ix = ptr<int64_t>(indices);
        // sequential over rows: two rows may hit the same destination
        for (long long i = 0; i < count; i++) {
            if (dtype == F32) { const float* s = ptr<float>(src) + i * rowLen; float* d = ptr<float>(dst) + ix[i] * rowLen; for (long long j = 0; j < rowLen; j++) d[j] += s[j]; }
            else { const double* s = ptr<double>(src) + i * rowLen; double* d = ptr<double>(dst) + ix[i] * rowLen; for (long long j = 0; j < rowLen; j++) d[j] += s[j]; }
        }
    });
}
