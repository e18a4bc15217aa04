// Runs the fused attention kernel (attention.cuh) on the host emulator against the CPU backend's F64 rule
// (native/cpu/attention.h, attention_block_f64): heads read in place from [B, L, H, D] tensors, ragged key
// tiles, causal masks, key padding (a batch with every key hidden gets zeros), NaN and -inf scores, F32 and
// F64. Prints one line per case; exits 1 on the first mismatch.
//   g++ -std=c++20 -O2 -pthread -I native/cuda native/cuda/emu/attention_emu_test.cpp -o attention_emu_test
#include "cuda_emu.h"
#include "../attention.cuh"
#include <cstdio>
#include <random>

using namespace ecu;

struct Case {
    i64 batch, heads, lq, lk, dk, dv;
    bool causal, padding;
    int poison;  // 0 none, 1: a NaN in one query, 2: -inf in one key (its scores -inf or NaN)
};

// out[b][i][h][d] by the F64 rule, from the same F32/F64 inputs
template <typename T>
static std::vector<double> reference(const Case& t, const std::vector<T>& q, const std::vector<T>& k, const std::vector<T>& v,
                                     const std::vector<T>& pad, double scale) {
    std::vector<double> out(t.batch * t.lq * t.heads * t.dv, 0.0), s(t.lk);
    for (i64 b = 0; b < t.batch; b++)
        for (i64 h = 0; h < t.heads; h++)
            for (i64 i = 0; i < t.lq; i++) {
                double mx = -INFINITY;
                bool any = false, nan = false;
                for (i64 j = 0; j < t.lk; j++) {
                    bool visible = !(t.causal && j > i) && !(t.padding && pad[b * t.lk + j] != 0);
                    if (!visible) continue;
                    double dot = 0;
                    for (i64 d = 0; d < t.dk; d++)
                        dot += (double)q[((b * t.lq + i) * t.heads + h) * t.dk + d] * (double)k[((b * t.lk + j) * t.heads + h) * t.dk + d];
                    s[j] = dot * scale;
                    any = true;
                    nan |= s[j] != s[j];
                    mx = s[j] > mx ? s[j] : mx;
                }
                double* o = &out[((b * t.lq + i) * t.heads + h) * t.dv];
                if (!any || nan || std::isinf(mx)) {
                    for (i64 d = 0; d < t.dv; d++) o[d] = any ? NAN : 0.0;
                    continue;
                }
                double sum = 0;
                for (i64 j = 0; j < t.lk; j++) {
                    bool visible = !(t.causal && j > i) && !(t.padding && pad[b * t.lk + j] != 0);
                    s[j] = visible ? std::exp(s[j] - mx) : 0.0;
                    sum += s[j];
                }
                for (i64 d = 0; d < t.dv; d++) {
                    double acc = 0;
                    for (i64 j = 0; j < t.lk; j++) acc += s[j] * (double)v[((b * t.lk + j) * t.heads + h) * t.dv + d];
                    o[d] = acc / sum;
                }
            }
    return out;
}

template <typename T, int DC>
static void launch(const engine_abi::AttentionArgs& a, T scale) {
    dim3 grid((unsigned)((a.lq + ATT_WARPS - 1) / ATT_WARPS), (unsigned)a.heads, (unsigned)a.batch);
    emu::launch(grid, dim3(32 * ATT_WARPS), [&] { attention_fused<T, DC>(a, scale); });
}

template <typename T>
static bool check(const Case& t, std::mt19937& rng) {
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    std::vector<T> q(t.batch * t.lq * t.heads * t.dk), k(t.batch * t.lk * t.heads * t.dk), v(t.batch * t.lk * t.heads * t.dv);
    std::vector<T> out(t.batch * t.lq * t.heads * t.dv, (T)12345), pad(t.batch * t.lk, 0);
    for (auto& x : q) x = (T)(2 * u(rng));
    for (auto& x : k) x = (T)(2 * u(rng));
    for (auto& x : v) x = (T)u(rng);
    if (t.padding) {
        // batch 0: every third key hidden, and the whole first tile when there are more (its maximum is -inf)
        for (i64 j = 0; j < t.lk; j++) pad[j] = j % 3 == 1 || (t.lk > 2 * ATT_KEYS && j < ATT_KEYS) ? 1 : 0;
        for (i64 j = 0; j < t.lk; j++) pad[t.lk + j] = 1;               // batch 1: every key hidden
    }
    if (t.poison == 1) q[3] = NAN;                                       // batch 0, row 0, head 0
    if (t.poison == 2) k[((0 * t.lk + t.lk - 1) * t.heads + 0) * t.dk] = -INFINITY;
    const double scale = 1 / std::sqrt((double)t.dk);
    engine_abi::AttentionArgs a{};
    a.batch = t.batch; a.heads = t.heads; a.lq = t.lq; a.lk = t.lk; a.dk = t.dk; a.dv = t.dv; a.causal = t.causal;
    a.key_padding = t.padding ? (i64)pad.data() : 0;
    a.q = (i64)q.data(); a.q_sb = t.lq * t.heads * t.dk; a.q_sh = t.dk; a.q_sl = t.heads * t.dk;
    a.k = (i64)k.data(); a.k_sb = t.lk * t.heads * t.dk; a.k_sh = t.dk; a.k_sl = t.heads * t.dk;
    a.v = (i64)v.data(); a.v_sb = t.lk * t.heads * t.dv; a.v_sh = t.dv; a.v_sl = t.heads * t.dv;
    a.o = (i64)out.data(); a.o_sb = t.lq * t.heads * t.dv; a.o_sh = t.dv; a.o_sl = t.heads * t.dv;
    const int dc = (int)((t.dv + 31) / 32);
    if (dc == 1) launch<T, 1>(a, (T)scale);
    else if (dc == 2) launch<T, 2>(a, (T)scale);
    else launch<T, 4>(a, (T)scale);
    std::vector<double> want = reference(t, q, k, v, pad, scale);
    const double tol = sizeof(T) == 4 ? 2e-5 : 1e-12;
    double worst = 0;
    for (size_t e = 0; e < want.size(); e++) {
        const double got = out[e], w = want[e];
        const bool same = (w != w) ? got != got : std::fabs(got - w) <= tol * (1 + std::fabs(w));
        if (!same) {
            std::printf("FAIL attention %s b%lld h%lld lq %lld lk %lld dk %lld dv %lld causal %d padding %d poison %d: out[%zu] = %.10g, want %.10g\n",
                        sizeof(T) == 4 ? "F32" : "F64", (long long)t.batch, (long long)t.heads, (long long)t.lq, (long long)t.lk,
                        (long long)t.dk, (long long)t.dv, t.causal, t.padding, t.poison, e, got, w);
            return false;
        }
        if (w == w) worst = std::max(worst, std::fabs(got - w) / (1 + std::fabs(w)));
    }
    std::printf("ok   attention %s lq %3lld lk %3lld dk %3lld dv %3lld causal %d padding %d poison %d  max err %.2e\n",
                sizeof(T) == 4 ? "F32" : "F64", (long long)t.lq, (long long)t.lk, (long long)t.dk, (long long)t.dv, t.causal,
                t.padding, t.poison, worst);
    return true;
}

int main() {
    std::mt19937 rng(20261207);
    const Case cases[] = {
        {2, 2, 5, 33, 8, 16, false, false, 0},    // a ragged second key tile
        {2, 2, 64, 64, 32, 32, true, false, 0},   // the transformer block's shape, causal
        {2, 1, 70, 100, 64, 40, false, true, 0},  // padding; batch 1 sees no key
        {2, 1, 9, 9, 128, 128, true, true, 0},    // widest heads, causal and padded
        {2, 2, 1, 1, 4, 70, false, false, 0},     // one key
        {2, 1, 6, 40, 16, 16, false, false, 1},   // a NaN query: its rows NaN
        {2, 1, 6, 40, 16, 16, true, false, 2},    // a -inf key: NaN or -inf scores, the rest unharmed
    };
    int n = 0;
    for (const Case& t : cases) {
        if (!check<float>(t, rng)) return 1;
        n++;
        if (t.dk <= attention_max_dim<double>() && t.dv <= attention_max_dim<double>()) {
            if (!check<double>(t, rng)) return 1;
            n++;
        }
    }
    std::printf("all %d cases passed\n", n);
    return 0;
}
