// Fused attention: softmax(scale * Q K^T + mask) V for every (batch, head) in one pass, the scores of a
// few query rows kept in L1 (never written to memory as a [Lq, Lk] matrix). One task is one block of query
// rows of one (batch, head); each output row is computed the same way whatever block, tile or thread it
// falls in, so results do not depend on the thread count.
#pragma once
#include "common.h"
#include "packed_gemm.h"  // v16, load16, store16

namespace engine {

const i64 ATTN_BLOCK = 32;  // query rows per task: K is transposed once per block
const int ATTN_TILE = 4;    // query rows whose scores are accumulated together in registers

// e^x for x <= 0 (scores minus their row maximum), 16 lanes: x = n ln2 + r, |r| <= ln2/2, e^r by its degree-6
// Taylor polynomial (relative error ~1e-7), 2^n put into the exponent bits. Below -87 it returns about
// 1.6e-38 instead of a denormal or 0, which a sum that already holds the maximum's 1 cannot notice.
ENGINE_INLINE v16 exp16_nonpositive(v16 x) {
    typedef int32_t v16i __attribute__((vector_size(64)));
    const v16 lo = v16{} - 87.0f;
    x = x < lo ? lo : x;
    const float magic = 12582912.0f;  // 1.5 * 2^23: adding it rounds to an integer in the low mantissa bits
    v16 t = x * 1.44269504088896341f + magic;
    v16 n = t - magic;
    v16 r = x - n * 0.693359375f;  // ln2 split in two so n * ln2 loses no bits
    r = r + n * 2.12194440e-4f;
    v16 p = r * (1.0f / 720) + (1.0f / 120);
    p = p * r + (1.0f / 24);
    p = p * r + (1.0f / 6);
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    v16i ni = (v16i)t - (v16i)(v16{} + magic);
    v16i scale = (ni + 127) << 23;
    return p * (v16)scale;
}

// Whether key j is visible to query i.
ENGINE_INLINE bool attn_visible(const AttentionArgs& a, const float* pad, const double* padd, i64 b, i64 i, i64 j) {
    if (a.causal && j > i) return false;
    if (pad) return pad[b * a.lk + j] == 0.f;
    if (padd) return padd[b * a.lk + j] == 0.0;
    return true;
}

// Scores of R query rows (row stride qs) against all keys, 16 keys per register: s[r][j] = scale * q_r . k_j,
// each one FMA chain over d.
template <int R>
ENGINE_INLINE void attention_scores(const float* q, i64 qs, const float* kt, i64 ldk, i64 dk, float scale, float* s) {
    for (i64 j = 0; j < ldk; j += 16) {
        v16 acc[R];
        for (int r = 0; r < R; r++) acc[r] = v16{};
        for (i64 d = 0; d < dk; d++) {
            v16 kv = load16(kt + d * ldk + j);
            for (int r = 0; r < R; r++) acc[r] += q[r * qs + d] * kv;
        }
        for (int r = 0; r < R; r++) store16(s + r * ldk + j, acc[r] * scale);
    }
}

// Query rows [r0, r1) of head (b, h), F32. kt: scratch of Dk x ldk floats, s: ATTN_TILE x ldk, acc: Dv.
inline void attention_block_f32(const AttentionArgs& a, i64 b, i64 h, i64 r0, i64 r1, float* kt, float* s) {
    const i64 lk = a.lk, dk = a.dk, dv = a.dv, ldk = (lk + 15) / 16 * 16;
    const float scale = (float)bits_to_double(a.scale_bits);
    const float* pad = ENGINE_P(float, a.key_padding);
    const float* q = ptr<float>(a.q) + b * a.q_sb + h * a.q_sh;
    const float* k = ptr<float>(a.k) + b * a.k_sb + h * a.k_sh;
    const float* v = ptr<float>(a.v) + b * a.v_sb + h * a.v_sh;
    float* o = ptr<float>(a.o) + b * a.o_sb + h * a.o_sh;
    // K^T, rows padded with zeros to whole vectors, so the scores of 16 keys are one register.
    for (i64 d = 0; d < dk; d++) {
        float* row = kt + d * ldk;
        for (i64 j = 0; j < lk; j++) row[j] = k[j * a.k_sl + d];
        for (i64 j = lk; j < ldk; j++) row[j] = 0.f;
    }
    for (i64 i0 = r0; i0 < r1; i0 += ATTN_TILE) {
        const int nr = (int)std::min<i64>(ATTN_TILE, r1 - i0);
        switch (nr) {
            case 4: attention_scores<4>(q + i0 * a.q_sl, a.q_sl, kt, ldk, dk, scale, s); break;
            case 3: attention_scores<3>(q + i0 * a.q_sl, a.q_sl, kt, ldk, dk, scale, s); break;
            case 2: attention_scores<2>(q + i0 * a.q_sl, a.q_sl, kt, ldk, dk, scale, s); break;
            default: attention_scores<1>(q + i0 * a.q_sl, a.q_sl, kt, ldk, dk, scale, s); break;
        }
        for (int r = 0; r < nr; r++) {
            const i64 i = i0 + r;
            float* sr = s + r * ldk;
            float mx = -INFINITY;
            bool any = false, nan = false;
            for (i64 j = 0; j < lk; j++) {
                if (!attn_visible(a, pad, nullptr, b, i, j)) { sr[j] = -INFINITY; continue; }
                any = true;
                nan |= sr[j] != sr[j];
                mx = sr[j] > mx ? sr[j] : mx;
            }
            float* out = o + i * a.o_sl;
            if (!any || nan || std::isinf(mx)) {  // no visible key: zeros; a NaN or infinite score: NaN, never hidden
                float fill = any ? NAN : 0.f;
                for (i64 d = 0; d < dv; d++) out[d] = fill;
                continue;
            }
            // exp(s - max) 16 at a time; hidden keys (and the padding lanes past lk) then count for nothing
            for (i64 j = 0; j < ldk; j += 16) store16(sr + j, exp16_nonpositive(load16(sr + j) - mx));
            float sum = 0.f;
            for (i64 j = 0; j < lk; j++) {
                if (!attn_visible(a, pad, nullptr, b, i, j)) sr[j] = 0.f;
                sum += sr[j];
            }
            const float inv = 1.f / sum;
            // P V: the output row accumulated over keys, 16 columns at a time where whole
            i64 d0 = 0;
            for (; d0 + 16 <= dv; d0 += 16) {
                v16 acc = v16{};
                for (i64 j = 0; j < lk; j++) acc += sr[j] * load16(v + j * a.v_sl + d0);
                store16(out + d0, acc * inv);
            }
            for (i64 d = d0; d < dv; d++) {
                float t = 0.f;
                for (i64 j = 0; j < lk; j++) t += sr[j] * v[j * a.v_sl + d];
                out[d] = t * inv;
            }
        }
    }
}

// The same in double, plain loops (F64 is for checking, not speed).
inline void attention_block_f64(const AttentionArgs& a, i64 b, i64 h, i64 r0, i64 r1, double* s) {
    const double scale = bits_to_double(a.scale_bits);
    const double* pad = ENGINE_P(double, a.key_padding);
    const double* q = ptr<double>(a.q) + b * a.q_sb + h * a.q_sh;
    const double* k = ptr<double>(a.k) + b * a.k_sb + h * a.k_sh;
    const double* v = ptr<double>(a.v) + b * a.v_sb + h * a.v_sh;
    double* o = ptr<double>(a.o) + b * a.o_sb + h * a.o_sh;
    for (i64 i = r0; i < r1; i++) {
        double mx = -INFINITY;
        bool any = false, nan = false;
        for (i64 j = 0; j < a.lk; j++) {
            if (!attn_visible(a, nullptr, pad, b, i, j)) continue;
            double t = 0;
            for (i64 d = 0; d < a.dk; d++) t += q[i * a.q_sl + d] * k[j * a.k_sl + d];
            s[j] = t * scale;
            any = true;
            nan |= s[j] != s[j];
            mx = s[j] > mx ? s[j] : mx;
        }
        double* out = o + i * a.o_sl;
        if (!any || nan || std::isinf(mx)) {
            for (i64 d = 0; d < a.dv; d++) out[d] = any ? NAN : 0.0;
            continue;
        }
        double sum = 0;
        for (i64 j = 0; j < a.lk; j++) {
            s[j] = attn_visible(a, nullptr, pad, b, i, j) ? std::exp(s[j] - mx) : 0.0;
            sum += s[j];
        }
        for (i64 d = 0; d < a.dv; d++) {
            double t = 0;
            for (i64 j = 0; j < a.lk; j++) t += s[j] * v[j * a.v_sl + d];
            out[d] = t / sum;
        }
    }
}

inline void attention(const AttentionArgs& a) {
    const i64 blocks = (a.lq + ATTN_BLOCK - 1) / ATTN_BLOCK, tasks = a.batch * a.heads * blocks;
    const i64 ldk = (a.lk + 15) / 16 * 16;
    const i64 work = a.batch * a.heads * a.lq * a.lk * (a.dk + a.dv);
    const int nt = threads_for(work);
    run_on_threads((int)std::min<i64>(nt, tasks), [&](int t, int tn) {
        // per-thread scratch, L1/L2 sized for the usual head sizes: K^T and a tile of score rows
        std::vector<float> kt, s;
        std::vector<double> sd;
        if (a.dtype == F32) { kt.resize(a.dk * ldk); s.resize(ATTN_TILE * ldk); }
        else sd.resize(a.lk);
        for (i64 task = tasks * t / tn, end = tasks * (t + 1) / tn; task < end; task++) {
            i64 blk = task % blocks, bh = task / blocks, b = bh / a.heads, h = bh % a.heads;
            i64 r0 = blk * ATTN_BLOCK, r1 = std::min(a.lq, r0 + ATTN_BLOCK);
            if (a.dtype == F32) attention_block_f32(a, b, h, r0, r1, kt.data(), s.data());
            else attention_block_f64(a, b, h, r0, r1, sd.data());
        }
    });
}

}  // namespace engine

// meta: AttentionArgs (native/common/abi.h)
inline int engine_attention(long long metaAddress) {
    return engine::guarded([&] { engine::attention(*engine::ptr<engine_abi::AttentionArgs>(metaAddress)); });
}
