// Fused attention: softmax(scale * Q K^T + mask) V for every (batch, head) in one pass, the scores of a
// few query rows kept in L1 (never written to memory as a [Lq, Lk] matrix). One task is one block of query
// rows of one (batch, head); each output row is computed the same way whatever block, tile or thread it
// falls in, so results do not depend on the thread count.
#pragma once
#include "common.h"
#include "packed_gemm.h"  // v16, load16, store16

namespace engine {

const i64 ATTN_BLOCK = 32;        // query rows per task when heads are few: K is transposed once per block
const i64 ATTN_BLOCK_WIDE = 128;  // query rows per task when there are enough (batch, head) pairs for the threads
const int ATTN_TILE = 8;    // query rows per register tile: scores 4 rows x 64 keys at a time, P V 8 rows x 32 columns

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

typedef int32_t v16i __attribute__((vector_size(64)));  // shuffle masks only (constants)

// Lane reductions in a fixed tree order (so a row's result is the same wherever it is computed).
ENGINE_INLINE float hmax16(v16 v) {
    v16 t = __builtin_shuffle(v, v16i{8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7}); v = t > v ? t : v;
    t = __builtin_shuffle(v, v16i{4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11}); v = t > v ? t : v;
    t = __builtin_shuffle(v, v16i{2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13}); v = t > v ? t : v;
    t = __builtin_shuffle(v, v16i{1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14}); v = t > v ? t : v;
    return v[0];
}

ENGINE_INLINE float hsum16(v16 v) {
    v += __builtin_shuffle(v, v16i{8, 9, 10, 11, 12, 13, 14, 15, 0, 1, 2, 3, 4, 5, 6, 7});
    v += __builtin_shuffle(v, v16i{4, 5, 6, 7, 0, 1, 2, 3, 12, 13, 14, 15, 8, 9, 10, 11});
    v += __builtin_shuffle(v, v16i{2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13});
    v += __builtin_shuffle(v, v16i{1, 0, 3, 2, 5, 4, 7, 6, 9, 8, 11, 10, 13, 12, 15, 14});
    return v[0];
}

// One butterfly stage of a 16 x 16 transpose: rows r and r + W (r & W == 0) swap their W-wide off-diagonal blocks.
template <int W>
ENGINE_INLINE void transpose_stage(v16* m) {
    v16i lo, hi;
    for (int i = 0; i < 16; i++) { lo[i] = (i & W) ? 16 + i - W : i; hi[i] = (i & W) ? 16 + i : i + W; }
    for (int r = 0; r < 16; r++) {
        if (r & W) continue;
        v16 a = m[r], b = m[r + W];
        m[r] = __builtin_shuffle(a, b, lo);
        m[r + W] = __builtin_shuffle(a, b, hi);
    }
}

// dst[d * ldd + j] = src[j * lds + d] for j, d < 16.
ENGINE_INLINE void transpose16(const float* src, i64 lds, float* dst, i64 ldd) {
    v16 m[16];
    for (int r = 0; r < 16; r++) m[r] = load16(src + r * lds);
    transpose_stage<8>(m);
    transpose_stage<4>(m);
    transpose_stage<2>(m);
    transpose_stage<1>(m);
    for (int r = 0; r < 16; r++) store16(dst + r * ldd, m[r]);
}

// Whether key j is visible to query i (the F64 path).
ENGINE_INLINE bool attn_visible(const AttentionArgs& a, const double* padd, i64 b, i64 i, i64 j) {
    if (a.causal && j > i) return false;
    if (padd) return padd[b * a.lk + j] == 0.0;
    return true;
}

// Scores of R query rows (row stride qs) against keys [j0, j0 + 16 J): s[r][j] = scale * q_r . k_j, each one
// FMA chain over d; R x J independent sums keep both FMA ports busy.
template <int R, int J>
ENGINE_INLINE void attention_scores_tile(const float* q, i64 qs, const float* kt, i64 ldk, i64 dk, float scale, float* s, i64 j0) {
    v16 acc[R][J];
    for (int r = 0; r < R; r++) for (int u = 0; u < J; u++) acc[r][u] = v16{};
    for (i64 d = 0; d < dk; d++) {
        v16 kv[J];
        for (int u = 0; u < J; u++) kv[u] = load16(kt + d * ldk + j0 + 16 * u);
        for (int r = 0; r < R; r++) {
            const float qv = q[r * qs + d];
            for (int u = 0; u < J; u++) acc[r][u] += qv * kv[u];
        }
    }
    for (int r = 0; r < R; r++) for (int u = 0; u < J; u++) store16(s + r * ldk + j0 + 16 * u, acc[r][u] * scale);
}

template <int R>
ENGINE_INLINE void attention_scores(const float* q, i64 qs, const float* kt, i64 ldk, i64 dk, float scale, float* s) {
    i64 j = 0;
    for (; j + 64 <= ldk; j += 64) attention_scores_tile<R, 4>(q, qs, kt, ldk, dk, scale, s, j);
    switch ((int)((ldk - j) / 16)) {
        case 3: attention_scores_tile<R, 3>(q, qs, kt, ldk, dk, scale, s, j); break;
        case 2: attention_scores_tile<R, 2>(q, qs, kt, ldk, dk, scale, s, j); break;
        case 1: attention_scores_tile<R, 1>(q, qs, kt, ldk, dk, scale, s, j); break;
        default: break;
    }
}

// Row i's scores in place -> exp(s - max) with hidden keys (and the lanes past lk) 0; returns their sum,
// 0 when no key is visible, NaN when a visible score is NaN or the maximum is infinite. hidden: ldk floats,
// nonzero where the key padding hides a key (and in the lanes past lk). Float selects only: the AVX-512F
// clone lowers integer-vector masks lane by lane.
ENGINE_INLINE float attention_softmax_row(float* sr, const float* hidden, i64 ldk, i64 i, bool causal) {
    const v16 ninf = v16{} - INFINITY, one = v16{} + 1.f, zero = v16{};
    v16 lane;
    for (int u = 0; u < 16; u++) lane[u] = (float)u;
    const i64 end = causal ? std::min(ldk, (i / 16 + 1) * 16) : ldk;  // past i's chunk every key is hidden
    v16 vmx = ninf, vany = zero, vnan = zero;
    for (i64 j = 0; j < end; j += 16) {
        v16 h = load16(hidden + j);
        if (causal) h = lane + (float)j > (float)i ? one : h;
        v16 x = load16(sr + j);
        x = h == 0.f ? x : ninf;
        vany = h == 0.f ? one : vany;
        vnan = x != x ? one : vnan;
        vmx = x > vmx ? x : vmx;
        store16(sr + j, x);
    }
    for (i64 j = end; j < ldk; j += 16) store16(sr + j, zero);
    const float mx = hmax16(vmx);
    if (hmax16(vany) == 0.f) return 0.f;
    if (hmax16(vnan) != 0.f || std::isinf(mx)) return NAN;
    v16 vsum = zero;
    for (i64 j = 0; j < end; j += 16) {
        v16 x = load16(sr + j);
        v16 e = exp16_nonpositive(x - mx);
        e = x == ninf ? zero : e;
        vsum += e;
        store16(sr + j, e);
    }
    return hsum16(vsum);
}

// out[r] = (P_r V)[d0, d0 + 16 DV) for R rows of probabilities (stride ldk), one FMA chain over keys each.
template <int R, int DV>
ENGINE_INLINE void attention_pv_tile(const float* p, i64 ldk, const float* v, i64 vs, i64 lk, i64 d0, float* acc_out) {
    v16 acc[R][DV];
    for (int r = 0; r < R; r++) for (int u = 0; u < DV; u++) acc[r][u] = v16{};
    for (i64 j = 0; j < lk; j++) {
        v16 vv[DV];
        for (int u = 0; u < DV; u++) vv[u] = load16(v + j * vs + d0 + 16 * u);
        for (int r = 0; r < R; r++) {
            const float pv = p[r * ldk + j];
            for (int u = 0; u < DV; u++) acc[r][u] += pv * vv[u];
        }
    }
    for (int r = 0; r < R; r++) for (int u = 0; u < DV; u++) store16(acc_out + r * 64 + 16 * u, acc[r][u]);
}

template <int R>
ENGINE_INLINE void attention_pv(const float* p, i64 ldk, const float* v, i64 vs, i64 lk, i64 d0, int dvv, float* acc_out) {
    switch (dvv) {
        case 4: attention_pv_tile<R, 4>(p, ldk, v, vs, lk, d0, acc_out); break;
        case 3: attention_pv_tile<R, 3>(p, ldk, v, vs, lk, d0, acc_out); break;
        case 2: attention_pv_tile<R, 2>(p, ldk, v, vs, lk, d0, acc_out); break;
        default: attention_pv_tile<R, 1>(p, ldk, v, vs, lk, d0, acc_out); break;
    }
}

// P V for nr <= ATTN_TILE rows: 8 rows at once for up to 32 columns (16 sums), else 4 rows at a time.
ENGINE_INLINE void attention_pv_rows(int nr, const float* p, i64 ldk, const float* v, i64 vs, i64 lk, i64 d0, int dvv, float* acc) {
    if (dvv <= 2 && nr > 4) {
        switch (nr * 2 + dvv - 1) {
            case 16 + 1: attention_pv_tile<8, 2>(p, ldk, v, vs, lk, d0, acc); break;
            case 16: attention_pv_tile<8, 1>(p, ldk, v, vs, lk, d0, acc); break;
            case 14 + 1: attention_pv_tile<7, 2>(p, ldk, v, vs, lk, d0, acc); break;
            case 14: attention_pv_tile<7, 1>(p, ldk, v, vs, lk, d0, acc); break;
            case 12 + 1: attention_pv_tile<6, 2>(p, ldk, v, vs, lk, d0, acc); break;
            case 12: attention_pv_tile<6, 1>(p, ldk, v, vs, lk, d0, acc); break;
            case 10 + 1: attention_pv_tile<5, 2>(p, ldk, v, vs, lk, d0, acc); break;
            default: attention_pv_tile<5, 1>(p, ldk, v, vs, lk, d0, acc); break;
        }
        return;
    }
    for (int sub = 0; sub < nr; sub += 4) {
        const float* ps = p + sub * ldk;
        float* as = acc + sub * 64;
        switch (std::min(4, nr - sub)) {
            case 4: attention_pv<4>(ps, ldk, v, vs, lk, d0, dvv, as); break;
            case 3: attention_pv<3>(ps, ldk, v, vs, lk, d0, dvv, as); break;
            case 2: attention_pv<2>(ps, ldk, v, vs, lk, d0, dvv, as); break;
            default: attention_pv<1>(ps, ldk, v, vs, lk, d0, dvv, as); break;
        }
    }
}

// Query rows [r0, r1) of head (b, h), F32. kt: scratch of Dk x ldk floats, s: ATTN_TILE x ldk, hidden: ldk.
inline void attention_block_f32(const AttentionArgs& a, i64 b, i64 h, i64 r0, i64 r1, float* kt, float* s, float* hidden) {
    const i64 lk = a.lk, dk = a.dk, dv = a.dv, ldk = (lk + 15) / 16 * 16;
    const float scale = (float)bits_to_double(a.scale_bits);
    const float* pad = ENGINE_P(float, a.key_padding);
    const float* q = ptr<float>(a.q) + b * a.q_sb + h * a.q_sh;
    const float* k = ptr<float>(a.k) + b * a.k_sb + h * a.k_sh;
    const float* v = ptr<float>(a.v) + b * a.v_sb + h * a.v_sh;
    float* o = ptr<float>(a.o) + b * a.o_sb + h * a.o_sh;
    // K^T, rows padded with zeros to whole vectors, so the scores of 16 keys are one register; whole 16 x 16
    // tiles transposed in registers
    const i64 lk16 = lk / 16 * 16, dk16 = dk / 16 * 16;
    for (i64 j = 0; j < lk16; j += 16)
        for (i64 d = 0; d < dk16; d += 16) transpose16(k + j * a.k_sl + d, a.k_sl, kt + d * ldk + j, ldk);
    for (i64 d = 0; d < dk; d++) {
        float* row = kt + d * ldk;
        for (i64 j = d < dk16 ? lk16 : 0; j < lk; j++) row[j] = k[j * a.k_sl + d];
        for (i64 j = lk; j < ldk; j++) row[j] = 0.f;
    }
    for (i64 j = 0; j < ldk; j++) hidden[j] = j >= lk ? 1.f : pad ? (pad[b * lk + j] != 0.f ? 1.f : 0.f) : 0.f;
    alignas(64) float acc[ATTN_TILE * 64];
    float sums[ATTN_TILE];
    for (i64 i0 = r0; i0 < r1; i0 += ATTN_TILE) {
        const int nr = (int)std::min<i64>(ATTN_TILE, r1 - i0);
        for (int sub = 0; sub < nr; sub += 4) {
            const float* qs = q + (i0 + sub) * a.q_sl;
            float* ss = s + sub * ldk;
            switch (std::min(4, nr - sub)) {
                case 4: attention_scores<4>(qs, a.q_sl, kt, ldk, dk, scale, ss); break;
                case 3: attention_scores<3>(qs, a.q_sl, kt, ldk, dk, scale, ss); break;
                case 2: attention_scores<2>(qs, a.q_sl, kt, ldk, dk, scale, ss); break;
                default: attention_scores<1>(qs, a.q_sl, kt, ldk, dk, scale, ss); break;
            }
        }
        for (int r = 0; r < nr; r++) sums[r] = attention_softmax_row(s + r * ldk, hidden, ldk, i0 + r, a.causal != 0);
        // P V, 64 output columns at a time where whole; a row without a visible key gets zeros, a NaN score NaN
        i64 d0 = 0;
        for (; d0 + 16 <= dv; d0 += 64) {
            const int dvv = (int)std::min<i64>(4, (dv - d0) / 16);
            attention_pv_rows(nr, s, ldk, v, a.v_sl, lk, d0, dvv, acc);
            for (int r = 0; r < nr; r++) {
                float* out = o + (i0 + r) * a.o_sl + d0;
                const float sum = sums[r];
                if (sum == 0.f || sum != sum) {
                    for (int d = 0; d < 16 * dvv; d++) out[d] = sum;
                    continue;
                }
                const float inv = 1.f / sum;
                for (int u = 0; u < dvv; u++) store16(out + 16 * u, load16(acc + r * 64 + 16 * u) * inv);
            }
            if (dvv < 4) { d0 += 16 * dvv; break; }
        }
        for (int r = 0; r < nr; r++) {  // the last dv % 16 columns
            const float* sr = s + r * ldk;
            float* out = o + (i0 + r) * a.o_sl;
            const float sum = sums[r], inv = 1.f / sum;
            for (i64 d = d0; d < dv; d++) {
                float t = 0.f;
                for (i64 j = 0; j < lk; j++) t += sr[j] * v[j * a.v_sl + d];
                out[d] = sum == 0.f || sum != sum ? sum : t * inv;
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
            if (!attn_visible(a, pad, b, i, j)) continue;
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
            s[j] = attn_visible(a, pad, b, i, j) ? std::exp(s[j] - mx) : 0.0;
            sum += s[j];
        }
        for (i64 d = 0; d < a.dv; d++) {
            double t = 0;
            for (i64 j = 0; j < a.lk; j++) t += s[j] * v[j * a.v_sl + d];
            out[d] = t / sum;
        }
    }
}

inline std::vector<float>& attention_scratch() {
    static thread_local std::vector<float> buf;
    return buf;
}

inline void attention(const AttentionArgs& a) {
    const i64 ldk = (a.lk + 15) / 16 * 16;
    const i64 work = a.batch * a.heads * a.lq * a.lk * (a.dk + a.dv);
    const int nt = threads_for(work);
    const i64 rows = a.batch * a.heads >= 2 * nt ? ATTN_BLOCK_WIDE : ATTN_BLOCK;
    const i64 blocks = (a.lq + rows - 1) / rows, tasks = a.batch * a.heads * blocks;
    // parts of whole tasks, claimed by the threads as they come free
    const int parts = (int)std::min<i64>(tasks, ThreadPool::MAX_PARTS);
    run_parts(nt, parts, [&](int part) {
        // the thread's scratch, L1/L2 sized for the usual head sizes: K^T, a tile of score rows and the hidden
        // keys, each written in full by a block before it reads them (kept between calls: no allocation or
        // zero fill per part)
        std::vector<float>& scratch = attention_scratch();
        std::vector<double> sd;
        float *kt = nullptr, *s = nullptr, *hidden = nullptr;
        if (a.dtype == F32) {
            const size_t need = (size_t)((a.dk + ATTN_TILE + 1) * ldk);
            if (scratch.size() < need) scratch.resize(need);
            kt = scratch.data();
            s = kt + a.dk * ldk;
            hidden = s + ATTN_TILE * ldk;
        } else {
            sd.resize(a.lk);
        }
        for (i64 task = tasks * part / parts, end = tasks * (part + 1) / parts; task < end; task++) {
            i64 blk = task % blocks, bh = task / blocks, b = bh / a.heads, h = bh % a.heads;
            i64 r0 = blk * rows, r1 = std::min(a.lq, r0 + rows);
            if (a.dtype == F32) attention_block_f32(a, b, h, r0, r1, kt, s, hidden);
            else attention_block_f64(a, b, h, r0, r1, sd.data());
        }
    });
}

}  // namespace engine

// meta: AttentionArgs (native/common/abi.h)
inline int engine_attention(long long metaAddress) {
    return engine::guarded([&] { engine::attention(*engine::ptr<engine_abi::AttentionArgs>(metaAddress)); });
}
