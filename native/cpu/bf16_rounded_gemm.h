// The eager GEMM with operands rounded to bfloat16 (Backend.gemmRounded(BF16, ...), autocast training):
// op(B) rounded and packed on every call (packing is O(k n) against the product's O(m n k)), op(A) rounded
// row by row, then bf16_gemm.h's kernel with its F32 sums and epilogue. Java sends only alpha 1, beta 0.
#pragma once
#include "bf16_gemm.h"
#include "gemm.h"

// meta: GemmArgs (native/common/abi.h), F32 operands
inline int engine_gemm_bf16(long long metaAddress) {
    return engine::guarded([&] {
        using namespace engine;
        const GemmArgs& q = *ptr<GemmArgs>(metaAddress);
        const i64 m = q.m, n = q.n, k = q.k;
        if (m == 0 || n == 0 || q.batch == 0) return;
        uint32_t* bp = reinterpret_cast<uint32_t*>(pack_scratch(bf_packed_words(k, n)));
        if (!bp) throw std::bad_alloc();
        const i64 panels = packed_panels(n);
        for (i64 i = 0; i < q.batch; i++) {
            const float* b = ptr<float>(q.b) + i * q.stride_b;
            if (i == 0 || q.stride_b != 0)
                run_shares(threads_for(k * n), panels, [&](int t, int nt) {
                    pack_bf16_panels(b, q.ldb, q.trans_b != 0, k, n, bp, panels * t / nt, panels * (t + 1) / nt);
                });
            Bf16Gemm g{};
            g.m = m;
            g.n = n;
            g.bp = bp;
            g.c = ptr<float>(q.c) + i * q.stride_c;
            g.ldc = q.ldc;
            g.bias = ENGINE_P(float, q.bias);
            g.res = q.residual ? ptr<float>(q.residual) + i * q.stride_r : nullptr;
            g.ldr = q.ldr;
            g.act = (int)q.act;
            g.actParam = (float)bits_to_double(q.act_param_bits);
            bf16_gemm(g, ptr<float>(q.a) + i * q.stride_a, q.lda, k, q.trans_a != 0);
        }
    });
}
