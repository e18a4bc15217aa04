// Runs our tiled and skinny GEMM kernels (tiled_gemm.cuh, skinny_gemm.cuh) on the host emulator against double-precision loops: every
// transpose, ragged edges, unaligned leading dimensions, batches, k = 0, alpha/beta, and both cp.async
// completion orders. Prints one line per case; exits 1 on the first mismatch.
//   g++ -std=c++20 -O2 -pthread -I native/cuda native/cuda/emu/gemm_emu_test.cpp -o gemm_emu_test
// (cuda-backend's KernelEmulationTest builds and runs it in the test suite.)
#include "cuda_emu.h"
#include "../tiled_gemm.cuh"
#include "../skinny_gemm.cuh"
#include <cstdio>
#include <random>
#include <string>

using namespace ecu;

// The kernels' epilogue here is alpha * acc + beta * C; the full one is gemm.cu's and is tested on the GPU.
struct PlainStore {
    static void apply(const GemmArgs& g, i64 z, i64 i, i64 j, float acc) {
        float* c = ptr<float>(g.c) + z * g.sc + i * g.ldc + j;
        float v = (float)g.alpha * acc;
        if (g.beta != 0) v += (float)g.beta * *c;
        *c = v;
    }
};

static float tf32(float x) { return emu::bits_float(emu::tf32_round(x)); }

struct Case {
    int transA, transB;
    i64 m, n, k, batch;
    int pad;         // added to each leading dimension (odd: unaligned rows)
    int offset;      // floats the operands start past an aligned base (nonzero: unaligned base)
    double alpha, beta;
    int sms = 0;     // > 0: split k as gemm.cu would on that many SMs (batch 1)
};

enum class Kernel { SIMT64, SIMT128, TF32_LARGE, TF32_SMALL };

static const char* name(Kernel k) {
    switch (k) {
        case Kernel::SIMT64: return "simt 64x64";
        case Kernel::SIMT128: return "simt 128x128";
        case Kernel::TF32_LARGE: return "tf32 128x128";
        default: return "tf32 64x64";
    }
}

static i64 last_splits = 1;  // for the report line

// Launches kernel(store args, k_per_split) as gemm.cu would: over the whole k, or with sms > 0 (batch 1) cut
// into the splits split_k chooses for that many SMs, partial products then splitk_reduce.
template <class Whole, class Split>
static void launch_maybe_split(const GemmArgs& g, dim3 grid, int threads, size_t smem, int bk, int sms, Whole whole, Split split) {
    SplitK sk = sms > 0 ? split_k((i64)grid.x * grid.y, g.k, bk, sms) : SplitK{1, g.k};
    last_splits = sk.splits;
    if (sk.splits == 1) {
        emu::launch(grid, dim3(threads), [&] { whole(g); }, smem);
        return;
    }
    std::vector<float> partials(sk.splits * g.m * g.n, std::nanf(""));
    GemmArgs s = g;
    s.partials = (i64)partials.data();
    emu::launch(dim3(grid.x, grid.y, (unsigned)sk.splits), dim3(threads), [&] { split(s, sk.k_per_split); }, smem);
    emu::launch(dim3(3), dim3(64), [&] { splitk_reduce<PlainStore>(s, (int)sk.splits); });
}

template <class K, bool TA, bool TB>
static void launch_tf32(const GemmArgs& g, i64 batch, int sms) {
    dim3 grid((unsigned)((g.n + K::BN - 1) / K::BN), (unsigned)((g.m + K::BM - 1) / K::BM), (unsigned)batch);
    launch_maybe_split(g, grid, K::THREADS, MmaStage<K, TA, TB>::BYTES, K::BK, sms,
                       [](const GemmArgs& x) { gemm_tf32_mma<PlainStore, K, TA, TB>(x, 0); },
                       [](const GemmArgs& x, i64 kps) { gemm_tf32_mma<PartialStore, K, TA, TB, true>(x, 0, kps); });
}

template <class K>
static void launch_tf32(const GemmArgs& g, i64 batch, int sms) {
    if (g.transA) {
        if (g.transB) launch_tf32<K, true, true>(g, batch, sms); else launch_tf32<K, true, false>(g, batch, sms);
    } else {
        if (g.transB) launch_tf32<K, false, true>(g, batch, sms); else launch_tf32<K, false, false>(g, batch, sms);
    }
}

template <int BM, int BN, bool VEC>
static void launch_simt(const GemmArgs& g, i64 batch, int sms) {
    dim3 grid((unsigned)((g.n + BN - 1) / BN), (unsigned)((g.m + BM - 1) / BM), (unsigned)batch);
    launch_maybe_split(g, grid, SIMT_THREADS, 0, SIMT_BK, sms,
                       [](const GemmArgs& x) { gemm_simt_f32<PlainStore, BM, BN, VEC>(x, 0); },
                       [](const GemmArgs& x, i64 kps) { gemm_simt_f32<PartialStore, BM, BN, VEC, true>(x, 0, kps); });
}

template <bool VEC>
static void run(Kernel kernel, const GemmArgs& g, i64 batch, int sms) {
    switch (kernel) {
        case Kernel::SIMT64: launch_simt<64, 64, VEC>(g, batch, sms); break;
        case Kernel::SIMT128: launch_simt<128, 128, VEC>(g, batch, sms); break;
        case Kernel::TF32_LARGE: launch_tf32<MmaLarge>(g, batch, sms); break;
        case Kernel::TF32_SMALL: launch_tf32<MmaSmall>(g, batch, sms); break;
    }
}

static bool tensor_cores(Kernel k) { return k == Kernel::TF32_LARGE || k == Kernel::TF32_SMALL; }

// whether gemm.cu would hand these operands to the TF32 kernel: 16-byte aligned rows (else the SIMT kernel)
static bool aligned(const Case& t) { return t.pad % 4 == 0 && t.offset % 4 == 0; }

static bool check(Kernel kernel, const Case& t, std::mt19937& rng) {
    const bool tc = tensor_cores(kernel);
    // stored shapes: A m x k (k x m transposed), B k x n (n x k transposed)
    const i64 aRows = t.transA ? t.k : t.m, aCols = t.transA ? t.m : t.k;
    const i64 bRows = t.transB ? t.n : t.k, bCols = t.transB ? t.k : t.n;
    // pad % 4 == 0: leading dimensions rounded up to a multiple of 4 (16-byte rows, ragged matrix edges)
    auto ld = [&](i64 cols) { return t.pad % 4 == 0 ? (cols + 3) / 4 * 4 + t.pad : cols + t.pad; };
    const i64 lda = ld(aCols), ldb = ld(bCols), ldc = t.n + t.pad;
    const i64 sa = aRows * lda + t.pad, sb = bRows * ldb, sc = t.m * ldc + 3;
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    std::vector<float> A(t.offset + t.batch * sa + 8), B(t.offset + t.batch * sb + 8), C(t.offset + t.batch * sc + 8);
    for (auto& x : A) x = u(rng);
    for (auto& x : B) x = u(rng);
    for (auto& x : C) x = u(rng);
    std::vector<float> C0 = C;
    GemmArgs g{};
    g.transA = t.transA; g.transB = t.transB;
    g.m = t.m; g.n = t.n; g.k = t.k;
    g.alpha = t.alpha; g.beta = t.beta;
    g.a = (i64)(A.data() + t.offset); g.lda = lda; g.sa = sa;
    g.b = (i64)(B.data() + t.offset); g.ldb = ldb; g.sb = sb;
    g.c = (i64)(C.data() + t.offset); g.ldc = ldc; g.sc = sc;
    const bool vec = t.pad % 4 == 0 && t.offset % 4 == 0 && sa % 4 == 0 && sb % 4 == 0;
    if (vec) run<true>(kernel, g, t.batch, t.sms); else run<false>(kernel, g, t.batch, t.sms);

    double worst = 0;
    for (i64 z = 0; z < t.batch; z++)
        for (i64 i = 0; i < t.m; i++)
            for (i64 j = 0; j < t.n; j++) {
                double s = 0, mag = 0;
                for (i64 kk = 0; kk < t.k; kk++) {
                    float av = A[t.offset + z * sa + (t.transA ? kk * lda + i : i * lda + kk)];
                    float bv = B[t.offset + z * sb + (t.transB ? j * ldb + kk : kk * ldb + j)];
                    if (tc) { av = tf32(av); bv = tf32(bv); }
                    s += (double)av * bv;
                    mag += std::fabs((double)av * bv);
                }
                const i64 at = t.offset + z * sc + i * ldc + j;
                const double want = t.alpha * s + t.beta * C0[at];
                const double err = std::fabs(C[at] - want) / (1e-6 + std::fabs(t.alpha) * mag + std::fabs(t.beta));
                worst = std::max(worst, err);
                if (!(err <= 1e-5)) {  // NaN fails too
                    std::printf("FAIL %s trans %d%d %lldx%lldx%lld batch %lld pad %d offset %d: C[%lld][%lld][%lld] = %.8g, want %.8g\n",
                                name(kernel), t.transA, t.transB, (long long)t.m, (long long)t.n, (long long)t.k, (long long)t.batch,
                                t.pad, t.offset, (long long)z, (long long)i, (long long)j, C[at], want);
                    return false;
                }
            }
    // nothing outside C's m x n blocks may change
    for (i64 z = 0; z < t.batch; z++)
        for (i64 i = 0; i < t.m; i++)
            for (i64 j = t.n; j < ldc; j++)
                if (C[t.offset + z * sc + i * ldc + j] != C0[t.offset + z * sc + i * ldc + j]) {
                    std::printf("FAIL %s: wrote past column %lld of row %lld\n", name(kernel), (long long)t.n, (long long)i);
                    return false;
                }
    std::printf("ok   %-12s trans %d%d %4lldx%4lldx%4lld batch %lld pad %d offset %d splits %lld async %s  max rel err %.2e\n",
                name(kernel), t.transA, t.transB, (long long)t.m, (long long)t.n, (long long)t.k, (long long)t.batch, t.pad,
                t.offset, (long long)last_splits, emu::defer_async_copies ? "deferred" : "at once", worst);
    return true;
}

// The skinny kernel (m <= 16, B k x n row-major with 16-byte rows) on `sms` SMs' worth of splits
template <int MR>
static void launch_skinny(const GemmArgs& g, const SkinnyPlan& p, float* ws, unsigned* counters) {
    emu::launch(dim3((unsigned)p.tiles, (unsigned)p.splits), dim3(32 * SG_WARPS),
                [&] { skinny_f32<PlainStore, MR>(g, p.k_per_split, ws, counters); });
}

static bool check_skinny(i64 m, i64 n, i64 k, int sms, double beta, std::mt19937& rng) {
    const i64 lda = k + 1, ldb = n + 4, ldc = n + 2;
    std::uniform_real_distribution<float> u(-1.f, 1.f);
    std::vector<float> A(m * lda), C(m * ldc);
    std::vector<float4> Bstore((k * ldb + 3) / 4 + 1);  // 16-byte aligned B
    float* B = reinterpret_cast<float*>(Bstore.data());
    for (auto& x : A) x = u(rng);
    for (i64 i = 0; i < k * ldb; i++) B[i] = u(rng);
    for (auto& x : C) x = u(rng);
    std::vector<float> C0 = C;
    GemmArgs g{};
    g.m = m; g.n = n; g.k = k; g.alpha = 1; g.beta = beta;
    g.a = (i64)A.data(); g.lda = lda; g.b = (i64)B; g.ldb = ldb; g.c = (i64)C.data(); g.ldc = ldc;
    SkinnyPlan p = skinny_plan(n, k, sms);
    std::vector<float> ws(p.splits * m * n, std::nanf(""));
    std::vector<unsigned> counters(p.tiles, 0u);
    if (m == 1) launch_skinny<1>(g, p, ws.data(), counters.data());
    else if (m <= 2) launch_skinny<2>(g, p, ws.data(), counters.data());
    else if (m <= 4) launch_skinny<4>(g, p, ws.data(), counters.data());
    else if (m <= 8) launch_skinny<8>(g, p, ws.data(), counters.data());
    else launch_skinny<16>(g, p, ws.data(), counters.data());
    double worst = 0;
    for (i64 i = 0; i < m; i++)
        for (i64 j = 0; j < n; j++) {
            double s = 0, mag = 0;
            for (i64 kk = 0; kk < k; kk++) {
                s += (double)A[i * lda + kk] * B[kk * ldb + j];
                mag += std::fabs((double)A[i * lda + kk] * B[kk * ldb + j]);
            }
            const double want = s + beta * C0[i * ldc + j];
            const double err = std::fabs(C[i * ldc + j] - want) / (1e-6 + mag + std::fabs(beta));
            worst = std::max(worst, err);
            if (!(err <= 1e-5)) {
                std::printf("FAIL skinny %lldx%lldx%lld splits %lld: C[%lld][%lld] = %.8g, want %.8g\n", (long long)m, (long long)n,
                            (long long)k, (long long)p.splits, (long long)i, (long long)j, C[i * ldc + j], want);
                return false;
            }
        }
    for (unsigned c : counters)
        if (c != 0) {
            std::printf("FAIL skinny %lldx%lldx%lld: a split counter was left at %u\n", (long long)m, (long long)n, (long long)k, c);
            return false;
        }
    std::printf("ok   skinny       %4lldx%4lldx%4lld tiles %lld splits %lld  max rel err %.2e\n", (long long)m, (long long)n,
                (long long)k, (long long)p.tiles, (long long)p.splits, worst);
    return true;
}

int main() {
    std::mt19937 rng(20261207);
    std::vector<Case> shapes = {
        {0, 0, 128, 128, 16, 1, 0, 0, 1.0, 0.0},   // one full tile
        {0, 0, 130, 70, 33, 1, 0, 0, 1.0, 0.0},    // ragged in every direction
        {0, 0, 200, 260, 40, 2, 4, 4, 0.5, 0.25},  // two tiles each way, a batch, alpha and beta
        {0, 0, 37, 45, 19, 1, 1, 1, 1.0, 1.0},     // odd leading dimensions and base: scalar copies
        {0, 0, 70, 50, 22, 1, 0, 0, 1.0, 0.0},     // 16-byte rows, matrices ending mid-vector
        {0, 0, 64, 64, 0, 1, 0, 0, 1.0, 0.5},      // k = 0: C = beta * C
        {0, 0, 9, 300, 70, 1, 0, 0, 1.0, 0.0},     // few rows, many columns
        {0, 0, 96, 72, 200, 1, 0, 0, 1.0, 0.0},    // many k-slices: the stages wrap around twice
        {0, 0, 64, 136, 784, 1, 0, 0, 1.0, 0.5, 132},  // few tiles, long k: split k on an H100's 132 SMs
        {0, 0, 21, 70, 301, 1, 1, 1, 0.5, 1.0, 40},    // split k, ragged last split, unaligned (SIMT only)
    };
    const Kernel kernels[] = {Kernel::SIMT64, Kernel::SIMT128, Kernel::TF32_LARGE, Kernel::TF32_SMALL};
    int cases = 0;
    for (bool deferred : {false, true}) {
        emu::defer_async_copies = deferred;
        for (Kernel kernel : kernels) {
            if (deferred && !tensor_cores(kernel)) continue;  // only the TF32 kernel copies asynchronously
            for (const Case& s : shapes)
                for (int ta = 0; ta < 2; ta++)
                    for (int tb = 0; tb < 2; tb++) {
                        Case t = s;
                        t.transA = ta; t.transB = tb;
                        // gemm.cu sends k = 0 and unaligned operands to the SIMT kernel
                        if (tensor_cores(kernel) && (t.k == 0 || !aligned(t))) continue;
                        if (!check(kernel, t, rng)) return 1;
                        cases++;
                    }
        }
    }
    // skinny: every row-count variant; one split and many (a workspace and the last block's sum), ragged k
    const i64 skinny_shapes[][3] = {{1, 512, 784}, {2, 16, 1}, {3, 20, 300}, {5, 12, 7}, {8, 64, 1000}, {13, 36, 100}, {16, 48, 517}};
    for (const auto& sh : skinny_shapes)
        for (int sms : {1, 8, 64}) {
            if (!check_skinny(sh[0], sh[1], sh[2], sms, sms == 8 ? 0.5 : 0.0, rng)) return 1;
            cases++;
        }
    std::printf("all %d cases passed\n", cases);
    return 0;
}
