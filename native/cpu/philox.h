// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3"): a counter-based generator,
// so element i's random number depends only on (seed, i) and the CUDA kernel reproduces it exactly.
#pragma once
#include "common.h"

namespace engine {

struct Philox4 { uint32_t v[4]; };

inline Philox4 philox4x32_10(uint64_t counter, uint64_t seed) {
    uint32_t c0 = (uint32_t)counter, c1 = (uint32_t)(counter >> 32), c2 = 0, c3 = 0;
    uint32_t k0 = (uint32_t)seed, k1 = (uint32_t)(seed >> 32);
    for (int round = 0; round < 10; round++) {
        uint64_t p0 = (uint64_t)0xD2511F53u * c0, p1 = (uint64_t)0xCD9E8D57u * c2;
        uint32_t n0 = (uint32_t)(p1 >> 32) ^ c1 ^ k0, n1 = (uint32_t)p1, n2 = (uint32_t)(p0 >> 32) ^ c3 ^ k1, n3 = (uint32_t)p0;
        c0 = n0; c1 = n1; c2 = n2; c3 = n3;
        k0 += 0x9E3779B9u; k1 += 0xBB67AE85u;
    }
    return Philox4{{c0, c1, c2, c3}};
}

// uniform in [0, 1) with 24 random bits, identical in float on every backend
inline float philox_uniform(uint64_t seed, uint64_t index) {
    Philox4 r = philox4x32_10(index >> 2, seed);
    return (float)(r.v[index & 3] >> 8) * (1.0f / 16777216.0f);
}

}  // namespace engine

inline int engine_dropout_mask(int dtype, long long seed, long long offset, double p, long long mask, long long count) {
    return engine::guarded([&] {
        using namespace engine;
        // the keep/drop decision is made in float on every backend; the kept value is 1/(1-p) in the mask's
        // own precision (an F64 mask must not carry a float-rounded scale)
        double scale = p >= 1.0 ? 0.0 : 1.0 / (1.0 - p);
        float pf = (float)p;
        parallel_for(count, threads_for(count * 8), [&](i64 i) {
            float u = philox_uniform((uint64_t)seed, (uint64_t)offset + (uint64_t)i);
            bool keep = u >= pf;
            if (dtype == F32) ptr<float>(mask)[i] = keep ? (float)scale : 0.f;
            else ptr<double>(mask)[i] = keep ? scale : 0.0;
        });
    });
}
