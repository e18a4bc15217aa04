// cuBLASLt for our row-major GEMM: the library is dlopen'ed by absolute path (candidates found by the Java
// side) and its symbols resolved with dlsym, once per process (a library, not device state). Each context
// (context.cuh) has its own handle, workspace and plan cache, made when the context is. Per call shape a
// plan (matmul descriptor, layouts, the heuristic's algorithm) is cached, so a steady loop makes no heuristic
// query and allocates nothing; only the bias pointer is set per call.
//
// Row-major C (m x n) is column-major C^T (n x m), so C^T = op(B)^T op(A)^T: our B is cuBLASLt's A and
// our A its B, with no copies. Bias per column of C is per row of C^T: cuBLASLt's BIAS epilogues. The row sums
// of our op(A) (a linear layer's bias gradient) are the k-sums of cuBLASLt's op(B): its BGRADB epilogue.
#include "cublaslt.cuh"
#include "cublaslt_api.h"
#include "ops.cuh"
#include "context.cuh"
#include "engine_cuda.h"
#include <dlfcn.h>
#include <atomic>
#include <cstdio>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace ecu {

// ---- the library ----------------------------------------------------------------------------------

struct LtApi {
    void* dl = nullptr;
    std::string path;
    ecl::CreateFn create;
    ecl::DestroyFn destroy;
    ecl::GetVersionFn version;
    ecl::GetStatusStringFn status_string;
    ecl::MatmulDescCreateFn desc_create;
    ecl::MatmulDescDestroyFn desc_destroy;
    ecl::MatmulDescSetAttributeFn desc_set;
    ecl::MatrixLayoutCreateFn layout_create;
    ecl::MatrixLayoutDestroyFn layout_destroy;
    ecl::MatrixLayoutSetAttributeFn layout_set;
    ecl::MatmulPreferenceCreateFn pref_create;
    ecl::MatmulPreferenceDestroyFn pref_destroy;
    ecl::MatmulPreferenceSetAttributeFn pref_set;
    ecl::MatmulAlgoGetHeuristicFn heuristic;
    ecl::MatmulFn matmul;
};

template <typename F>
static bool resolve(void* dl, const char* name, F* out, std::string* why) {
    dlerror();
    *out = reinterpret_cast<F>(dlsym(dl, name));
    if (*out) return true;
    const char* e = dlerror();
    *why = std::string("symbol ") + name + " missing" + (e ? std::string(" (") + e + ")" : "");
    return false;
}

static bool resolve_all(LtApi& a, std::string* why) {
    return resolve(a.dl, "cublasLtCreate", &a.create, why) && resolve(a.dl, "cublasLtDestroy", &a.destroy, why) &&
           resolve(a.dl, "cublasLtGetVersion", &a.version, why) && resolve(a.dl, "cublasLtGetStatusString", &a.status_string, why) &&
           resolve(a.dl, "cublasLtMatmulDescCreate", &a.desc_create, why) &&
           resolve(a.dl, "cublasLtMatmulDescDestroy", &a.desc_destroy, why) &&
           resolve(a.dl, "cublasLtMatmulDescSetAttribute", &a.desc_set, why) &&
           resolve(a.dl, "cublasLtMatrixLayoutCreate", &a.layout_create, why) &&
           resolve(a.dl, "cublasLtMatrixLayoutDestroy", &a.layout_destroy, why) &&
           resolve(a.dl, "cublasLtMatrixLayoutSetAttribute", &a.layout_set, why) &&
           resolve(a.dl, "cublasLtMatmulPreferenceCreate", &a.pref_create, why) &&
           resolve(a.dl, "cublasLtMatmulPreferenceDestroy", &a.pref_destroy, why) &&
           resolve(a.dl, "cublasLtMatmulPreferenceSetAttribute", &a.pref_set, why) &&
           resolve(a.dl, "cublasLtMatmulAlgoGetHeuristic", &a.heuristic, why) && resolve(a.dl, "cublasLtMatmul", &a.matmul, why);
}

static const char* SONAME = "libcublasLt.so.13";

// dlopens the first candidate (newline-separated paths, then the bare soname through the loader's path when
// allowed) that has every symbol; *why lists each failure otherwise.
static bool open_library(const char* candidates, bool allow_bare, LtApi* out, std::string* why) {
    std::vector<std::string> paths;
    std::string s = candidates ? candidates : "";
    for (size_t start = 0; start <= s.size();) {
        size_t end = s.find('\n', start);
        if (end == std::string::npos) end = s.size();
        if (end > start) paths.push_back(s.substr(start, end - start));
        start = end + 1;
    }
    if (allow_bare) paths.push_back(SONAME);
    if (paths.empty()) { *why = "no candidate paths for " + std::string(SONAME); return false; }
    std::string tried;
    for (const std::string& p : paths) {
        LtApi a;
        a.dl = dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL);
        std::string err;
        if (!a.dl) {
            const char* e = dlerror();
            err = e ? e : "dlopen failed";
        } else if (!resolve_all(a, &err)) {
            dlclose(a.dl);
            a.dl = nullptr;
        }
        if (a.dl) { a.path = p; *out = a; return true; }
        tried += (tried.empty() ? "" : "; ") + p + ": " + err;
    }
    *why = "could not load " + std::string(SONAME) + " (" + tried + ")";
    return false;
}

// The process's library: written once under mu by ecu_cublaslt_load, read-only after `loaded` is set.
struct LtState {
    std::mutex mu;
    LtApi api;
    std::atomic<bool> loaded{false};
    std::string reason = "cuBLASLt was not looked for (CUDA device not initialised)";
    std::string description;
};

static LtState& lt() { static LtState* s = new LtState(); return *s; }

static const size_t WORKSPACE_BYTES = 32u << 20;  // what NVIDIA suggests for Hopper

static std::atomic<int> g_gemm_mode{GEMM_AUTO};  // the process's policy, like the library
int gemm_mode() { return g_gemm_mode; }

bool lt_loaded() { return lt().loaded.load(); }
std::string lt_unavailable_reason() {
    LtState& s = lt();
    std::lock_guard<std::mutex> g(s.mu);
    return s.loaded ? "" : s.reason;
}

static std::string status_text(ecl::Status st) {
    const char* t = lt().api.status_string ? lt().api.status_string(st) : nullptr;
    return "cuBLASLt status " + std::to_string(st) + (t ? std::string(" (") + t + ")" : "");
}

// ---- plans ----------------------------------------------------------------------------------------

// Everything the heuristic's choice depends on; pointers enter only through their alignment.
struct LtKey {
    i64 v[24];
    bool operator==(const LtKey& o) const { return std::memcmp(v, o.v, sizeof v) == 0; }
};
struct LtKeyHash {
    size_t operator()(const LtKey& k) const {
        uint64_t h = 1469598103934665603ull;
        for (i64 x : k.v) { h ^= (uint64_t)x; h *= 1099511628211ull; }
        return (size_t)h;
    }
};

struct LtPlan {
    ecl::MatmulDesc desc = nullptr;
    ecl::MatrixLayout a = nullptr, b = nullptr, c = nullptr, d = nullptr;
    ecl::MatmulAlgo algo;
    uint32_t epilogue = ecl::EPILOGUE_DEFAULT;  // what cuBLASLt applies; the rest runs in gemm_tail
    std::string declined;  // non-empty: cuBLASLt has no algorithm for this key (remembered, not asked again)
};

// One context's cuBLASLt state (Context::lt, guarded by Context::lt_mu).
struct LtContext {
    ecl::Handle handle = nullptr;
    void* workspace = nullptr;
    size_t workspace_bytes = 0;
    std::string failed;  // non-empty: no handle or workspace, and why
    std::unordered_map<LtKey, LtPlan, LtKeyHash> plans;
};

static void destroy_plan(LtPlan& p) {
    LtApi& a = lt().api;
    if (p.desc) a.desc_destroy(p.desc);
    for (ecl::MatrixLayout l : {p.a, p.b, p.c == p.d ? nullptr : p.c, p.d})
        if (l) a.layout_destroy(l);
    p = LtPlan();
}

static const size_t MAX_PLANS = 1024;  // shapes beyond this (e.g. ever-changing batch sizes) start the cache afresh

// One operand as cuBLASLt sees it (column-major).
struct LtMatrix {
    i64 address, rows, cols, ld, stride;
};

static uint32_t alignment_of(i64 address, i64 stride_bytes, i64 batch) {
    uint64_t x = (uint64_t)address | 256u;
    if (batch > 1 && stride_bytes) x |= (uint64_t)stride_bytes;
    return (uint32_t)(x & (~x + 1));  // lowest set bit: the largest power of two dividing all of them, at most 256
}

// The operation after the operand swap, ready for a plan.
struct LtCall {
    int32_t data_type, compute;
    bool trans_a, trans_b;  // cuBLASLt's A = our B, B = our A
    LtMatrix a, b, c, d;
    i64 m, n, k, batch, bias;
    uint32_t epilogue;
};

// The epilogues that read (BIAS) or write (BGRADB) the vector behind MATMUL_DESC_BIAS_POINTER.
static bool uses_bias_pointer(uint32_t epilogue) { return (epilogue & ecl::EPILOGUE_BIAS) || epilogue == ecl::EPILOGUE_BGRADB; }

static ecl::Status make_layout(const LtMatrix& x, int32_t type, i64 batch, ecl::MatrixLayout* out) {
    LtApi& a = lt().api;
    ecl::Status st = a.layout_create(out, type, (uint64_t)x.rows, (uint64_t)x.cols, (int64_t)x.ld);
    if (st != ecl::STATUS_SUCCESS) return st;
    if (batch > 1) {
        int32_t count = (int32_t)batch;
        int64_t stride = (int64_t)x.stride;
        st = a.layout_set(*out, ecl::MATRIX_LAYOUT_BATCH_COUNT, &count, sizeof count);
        if (st == ecl::STATUS_SUCCESS) st = a.layout_set(*out, ecl::MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride, sizeof stride);
    }
    return st;
}

static std::atomic<long long> g_heuristic_queries{0};

// Builds descriptors and asks the heuristic for the best algorithm; false with *why when there is none.
static bool build_plan(LtContext& lc, const LtCall& k, size_t es, LtPlan* p, std::string* why) {
    LtApi& a = lt().api;
    g_heuristic_queries++;
    int32_t scale = k.compute == ecl::COMPUTE_64F ? ecl::R_64F : ecl::R_32F;
    ecl::Status st = a.desc_create(&p->desc, k.compute, scale);
    int32_t ta = k.trans_a ? ecl::OP_T : ecl::OP_N, tb = k.trans_b ? ecl::OP_T : ecl::OP_N;
    const void* bias = ptr<void>(k.bias);
    if (st == ecl::STATUS_SUCCESS) st = a.desc_set(p->desc, ecl::MATMUL_DESC_TRANSA, &ta, sizeof ta);
    if (st == ecl::STATUS_SUCCESS) st = a.desc_set(p->desc, ecl::MATMUL_DESC_TRANSB, &tb, sizeof tb);
    if (st == ecl::STATUS_SUCCESS) st = a.desc_set(p->desc, ecl::MATMUL_DESC_EPILOGUE, &k.epilogue, sizeof k.epilogue);
    if (st == ecl::STATUS_SUCCESS && uses_bias_pointer(k.epilogue))  // its alignment guides the heuristic
        st = a.desc_set(p->desc, ecl::MATMUL_DESC_BIAS_POINTER, &bias, sizeof bias);
    if (st == ecl::STATUS_SUCCESS) st = make_layout(k.a, k.data_type, k.batch, &p->a);
    if (st == ecl::STATUS_SUCCESS) st = make_layout(k.b, k.data_type, k.batch, &p->b);
    // in place (C == D) takes one descriptor for both, as cuBLASLt's in-place form asks
    bool in_place = k.c.address == k.d.address && k.c.ld == k.d.ld && k.c.stride == k.d.stride;
    if (st == ecl::STATUS_SUCCESS) st = make_layout(k.d, k.data_type, k.batch, &p->d);
    if (st == ecl::STATUS_SUCCESS && !in_place) st = make_layout(k.c, k.data_type, k.batch, &p->c);
    if (st == ecl::STATUS_SUCCESS && in_place) p->c = p->d;
    if (st != ecl::STATUS_SUCCESS) { *why = "descriptor setup failed: " + status_text(st); return false; }

    ecl::MatmulPreference pref = nullptr;
    st = a.pref_create(&pref);
    if (st != ecl::STATUS_SUCCESS) { *why = "preference setup failed: " + status_text(st); return false; }
    uint64_t ws = lc.workspace_bytes;
    uint32_t al[4] = {alignment_of(k.a.address, k.a.stride * (i64)es, k.batch), alignment_of(k.b.address, k.b.stride * (i64)es, k.batch),
                      alignment_of(k.c.address, k.c.stride * (i64)es, k.batch), alignment_of(k.d.address, k.d.stride * (i64)es, k.batch)};
    int attrs[4] = {ecl::MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, ecl::MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, ecl::MATMUL_PREF_MIN_ALIGNMENT_C_BYTES,
                    ecl::MATMUL_PREF_MIN_ALIGNMENT_D_BYTES};
    st = a.pref_set(pref, ecl::MATMUL_PREF_MAX_WORKSPACE_BYTES, &ws, sizeof ws);
    for (int i = 0; i < 4 && st == ecl::STATUS_SUCCESS; i++) st = a.pref_set(pref, attrs[i], &al[i], sizeof al[i]);
    ecl::HeuristicResult r;
    std::memset(&r, 0, sizeof r);
    int found = 0;
    if (st == ecl::STATUS_SUCCESS) st = a.heuristic(lc.handle, p->desc, p->a, p->b, p->c, p->d, pref, 1, &r, &found);
    a.pref_destroy(pref);
    if (st != ecl::STATUS_SUCCESS || found < 1 || r.state != ecl::STATUS_SUCCESS) {
        *why = "no cuBLASLt algorithm: " + (st != ecl::STATUS_SUCCESS ? status_text(st) : found < 1 ? std::string("heuristic found none")
                                                                                                       : status_text(r.state));
        return false;
    }
    p->algo = r.algo;
    p->epilogue = k.epilogue;
    return true;
}

static uint32_t compose_epilogue(bool bias, int act) {
    uint32_t e = act == OP_RELU ? ecl::EPILOGUE_RELU : act == OP_GELU_TANH ? ecl::EPILOGUE_GELU : 0;
    if (bias) e |= ecl::EPILOGUE_BIAS;
    return e ? e : ecl::EPILOGUE_DEFAULT;
}

// A cached plan for the call, built (with a second try without the fused epilogue) on a miss.
static LtPlan* plan_for(LtContext& lc, const LtCall& k, size_t es, std::string* why) {
    LtKey key;
    std::memset(&key, 0, sizeof key);
    i64* v = key.v;
    int i = 0;
    v[i++] = k.data_type; v[i++] = k.compute; v[i++] = k.trans_a; v[i++] = k.trans_b;
    v[i++] = k.m; v[i++] = k.n; v[i++] = k.k; v[i++] = k.batch; v[i++] = k.epilogue;
    v[i++] = k.a.ld; v[i++] = k.b.ld; v[i++] = k.c.ld; v[i++] = k.d.ld;
    v[i++] = k.a.stride; v[i++] = k.b.stride; v[i++] = k.c.stride; v[i++] = k.d.stride;
    v[i++] = alignment_of(k.a.address, k.a.stride * (i64)es, k.batch); v[i++] = alignment_of(k.b.address, k.b.stride * (i64)es, k.batch);
    v[i++] = alignment_of(k.c.address, k.c.stride * (i64)es, k.batch); v[i++] = alignment_of(k.d.address, k.d.stride * (i64)es, k.batch);
    v[i++] = k.bias ? alignment_of(k.bias, 0, 1) : 0;
    v[i++] = k.c.address == k.d.address;  // in place or not: one layout descriptor or two
    auto& cache = lc.plans;
    auto it = cache.find(key);
    if (it != cache.end()) {
        if (it->second.declined.empty()) return &it->second;
        *why = it->second.declined;
        return nullptr;
    }
    if (cache.size() >= MAX_PLANS) {
        for (auto& kv : cache) destroy_plan(kv.second);
        cache.clear();
    }
    LtPlan p;
    if (!build_plan(lc, k, es, &p, why)) {
        destroy_plan(p);
        LtCall plain = k;  // e.g. F64 has no fused epilogues: the product alone, our tail kernel for the rest
        plain.epilogue = ecl::EPILOGUE_DEFAULT;
        std::string why2;
        // a bias gradient is an output: without its epilogue the call is declined, never run without it
        if (k.epilogue == ecl::EPILOGUE_DEFAULT || k.epilogue == ecl::EPILOGUE_BGRADB || !build_plan(lc, plain, es, &p, &why2)) {
            destroy_plan(p);
            if (!why2.empty()) *why += "; without the epilogue: " + why2;
            cache[key].declined = *why;
            return nullptr;
        }
    }
    return &(cache[key] = p);
}

// ---- the call ----------------------------------------------------------------------------------------

static bool describe_call(int dtype, const GemmArgs& g, i64 batch, LtCall* k, bool* residual_in_c, std::string* why) {
    if (dtype != F32 && dtype != F64) { *why = "dtype code " + std::to_string(dtype) + " has no cuBLASLt path"; return false; }
    if (batch > 0x7fffffff) { *why = "batch count exceeds int32"; return false; }
    k->data_type = dtype == F32 ? ecl::R_32F : ecl::R_64F;
    // TF32 as our own kernels use it: not for skinny products, which are memory-bound anyway
    // rounded operands (gemmRounded): BF16/F16 tensor cores take them exactly, the sums stay F32
    k->compute = dtype == F64 ? ecl::COMPUTE_64F
               : g.fast == 1 ? ecl::COMPUTE_32F_FAST_16BF
               : g.fast == 2 ? ecl::COMPUTE_32F_FAST_16F
               : (tf32_on() && g.m > 8 ? ecl::COMPUTE_32F_FAST_TF32 : ecl::COMPUTE_32F);
    k->trans_a = g.transB; k->trans_b = g.transA;
    k->m = g.n; k->n = g.m; k->k = g.k; k->batch = batch;
    // our B (k x n row-major, or n x k when transposed) is n x k / k x n column-major
    k->a = {g.b, g.transB ? g.k : g.n, g.transB ? g.n : g.k, g.ldb, g.sb};
    k->b = {g.a, g.transA ? g.m : g.k, g.transA ? g.k : g.m, g.lda, g.sa};
    k->d = {g.c, g.n, g.m, g.ldc, g.sc};
    // D = alpha*AB + C_lt with C_lt = residual when our beta is 0 (a broadcast residual goes to the tail)
    *residual_in_c = g.res && g.beta == 0 && !(g.sr == 0 && batch > 1);
    k->c = *residual_in_c ? LtMatrix{g.res, g.n, g.m, g.ldr, g.sr} : k->d;
    bool tail_residual = g.res && !*residual_in_c;
    k->bias = g.bias_grad ? g.bias_grad : g.bias;
    k->epilogue = g.bias_grad ? ecl::EPILOGUE_BGRADB : compose_epilogue(g.bias != 0, tail_residual ? OP_IDENTITY : g.act);
    return true;
}

// Makes c's handle and workspace (on c's device, which the caller made current). Called with c.lt_mu held.
static void lt_context_make(Context& c) {
    if (c.lt || !lt_loaded()) return;
    LtContext* lc = new LtContext();
    LtApi& a = lt().api;
    ecl::Status st = a.create(&lc->handle);
    if (st != ecl::STATUS_SUCCESS) {
        lc->handle = nullptr;
        lc->failed = "cublasLtCreate failed with " + status_text(st);
    } else {
        cudaError_t e = cudaMalloc(&lc->workspace, WORKSPACE_BYTES);
        if (e != cudaSuccess) {
            cudaGetLastError();
            lc->workspace = nullptr;
            lc->failed = std::string("no memory for the cuBLASLt workspace: ") + cudaGetErrorString(e);
        } else {
            lc->workspace_bytes = WORKSPACE_BYTES;
        }
    }
    c.lt = lc;
}

void lt_context_prepare(Context& c) {
    std::lock_guard<std::mutex> g(c.lt_mu);
    lt_context_make(c);
}

void lt_context_destroy(LtContext* lc) {
    if (!lc) return;
    for (auto& kv : lc->plans) destroy_plan(kv.second);
    if (lc->workspace) cudaFree(lc->workspace);
    if (lc->handle) lt().api.destroy(lc->handle);
    delete lc;
}

// The bound context's usable cuBLASLt state, made on first use (when the library was loaded after the context),
// or nullptr with *why. Called with the context's lt_mu held.
static LtContext* lt_context(Context& c, std::string* why) {
    lt_context_make(c);
    if (!c.lt) { *why = "cuBLASLt is not loaded: " + lt_unavailable_reason(); return nullptr; }
    if (!c.lt->failed.empty()) { *why = c.lt->failed; return nullptr; }
    return c.lt;
}

int lt_gemm(int dtype, const GemmArgs& g, i64 batch, std::string* why) {
    LtCall k;
    bool residual_in_c = false;
    if (!describe_call(dtype, g, batch, &k, &residual_in_c, why)) return LT_DECLINED;
    size_t es = dtype == F64 ? 8 : 4;
    Context* c = current();
    if (!c) { *why = "no CUDA context bound"; return LT_DECLINED; }
    std::lock_guard<std::mutex> guard(c->lt_mu);
    LtContext* lc = lt_context(*c, why);
    if (!lc) return LT_DECLINED;
    LtPlan* p = plan_for(*lc, k, es, why);
    if (!p) return LT_DECLINED;
    LtApi& a = lt().api;
    if (uses_bias_pointer(p->epilogue)) {
        const void* bias = ptr<void>(k.bias);
        ecl::Status st = a.desc_set(p->desc, ecl::MATMUL_DESC_BIAS_POINTER, &bias, sizeof bias);
        if (st != ecl::STATUS_SUCCESS) { *why = "setting the bias pointer failed: " + status_text(st); return LT_DECLINED; }
    }
    double alpha_d = g.alpha, beta_d = residual_in_c ? 1.0 : g.beta;
    float alpha_f = (float)alpha_d, beta_f = (float)beta_d;
    bool f64 = k.compute == ecl::COMPUTE_64F;
    ecl::Status st = a.matmul(lc->handle, p->desc, f64 ? (const void*)&alpha_d : &alpha_f, ptr<void>(k.a.address), p->a,
                              ptr<void>(k.b.address), p->b, f64 ? (const void*)&beta_d : &beta_f, ptr<void>(k.c.address), p->c,
                              ptr<void>(k.d.address), p->d, &p->algo, lc->workspace, lc->workspace_bytes, (void*)stream());
    if (st != ecl::STATUS_SUCCESS) { *why = "cublasLtMatmul failed: " + status_text(st); return LT_DECLINED; }
    // what cuBLASLt did not fuse: bias, residual, activation, in that order, in place
    bool lt_bias = (p->epilogue & ecl::EPILOGUE_BIAS) != 0;
    bool lt_act = (p->epilogue & (ecl::EPILOGUE_RELU | ecl::EPILOGUE_GELU)) != 0;
    bool tail_bias = g.bias && !lt_bias, tail_res = g.res && !residual_in_c;
    int tail_act = lt_act ? OP_IDENTITY : g.act;
    if (tail_bias || tail_res || tail_act != OP_IDENTITY) return gemm_tail(dtype, g, batch, tail_bias, tail_res, tail_act);
    return 0;
}

static std::atomic<long long> g_bias_grads_fused{0};

static std::atomic<long long> g_fallbacks{0};
static std::mutex g_fallback_mu;
static std::string g_last_fallback;

void note_fallback(const std::string& why) {
    g_fallbacks++;
    std::lock_guard<std::mutex> g(g_fallback_mu);
    g_last_fallback = why;
}

static thread_local std::string t_text;

}  // namespace ecu

using namespace ecu;

extern "C" {

int ecu_cublaslt_load(const char* candidates, int allow_bare) {
    LtState& s = lt();
    std::lock_guard<std::mutex> g(s.mu);
    if (s.loaded) return 0;
    LtApi api;
    std::string why;
    if (!open_library(candidates, allow_bare != 0, &api, &why)) { s.reason = why; return 1; }
    s.api = api;
    // one handle made and dropped, so a library that cannot make one is reported here, not on every context
    ecl::Handle h = nullptr;
    ecl::Status st = api.create(&h);
    if (st != ecl::STATUS_SUCCESS) {
        s.reason = "cublasLtCreate failed with " + status_text(st) + " (" + api.path + ")";
        dlclose(api.dl);
        s.api = LtApi();
        return 1;
    }
    api.destroy(h);
    s.loaded = true;
    s.reason.clear();
    size_t v = api.version();
    char buf[512];
    snprintf(buf, sizeof buf, "cuBLASLt %zu.%zu.%zu (%s)", v / 10000, (v / 100) % 100, v % 100, api.path.c_str());
    s.description = buf;
    return 0;
}

// What ecu_cublaslt_load would find, without keeping it: "" when a library with every symbol opened, else why.
const char* ecu_cublaslt_probe(const char* candidates, int allow_bare) {
    LtApi api;
    std::string why;
    if (open_library(candidates, allow_bare != 0, &api, &why)) {
        dlclose(api.dl);
        why.clear();
    }
    t_text = why;
    return t_text.c_str();
}

// "cuBLASLt <version> (<path>)" when loaded, else the reason it is not.
const char* ecu_cublaslt_status() {
    LtState& s = lt();
    std::lock_guard<std::mutex> g(s.mu);
    t_text = s.loaded ? s.description : s.reason;
    return t_text.c_str();
}

int ecu_cublaslt_loaded() { return lt_loaded() ? 1 : 0; }

int ecu_set_gemm_mode(int mode) {
    g_gemm_mode = mode;
    return 0;
}

int ecu_gemm_mode() { return g_gemm_mode; }

long long ecu_gemm_fallbacks() { return g_fallbacks.load(); }

// meta: as ecu_gemm (batch 1, no bias, residual or activation: checked in Java); also writes bias_grad[i] = sum over j of op(A)[i][j]
// through cuBLASLt's BGRADB epilogue. -2 when that path does not take the call (mode own, no cuBLASLt, k or n 0,
// alpha not 1, no algorithm): the caller then runs the product and the sums apart.
int ecu_gemm_bias_grad(long long ctx, long long meta, long long bias_grad) {
    ECU_BIND_STATUS(ctx);
    const i64* q = ptr<i64>(meta);
    GemmArgs g = read_gemm_args(q);
    g.bias_grad = bias_grad;
    int dtype = (int)q[0];
    if (gemm_mode() == GEMM_OWN || !lt_loaded() || g.k == 0 || g.n == 0 || g.alpha != 1) return LT_DECLINED;
    std::string why;
    int e = lt_gemm(dtype, g, 1, &why);
    if (e == 0) g_bias_grads_fused++;
    return e;
}

long long ecu_gemm_bias_grads_fused() { return g_bias_grads_fused.load(); }

long long ecu_cublaslt_heuristic_queries() { return g_heuristic_queries.load(); }

const char* ecu_gemm_last_fallback() {
    std::lock_guard<std::mutex> g(g_fallback_mu);
    t_text = g_last_fallback;
    return t_text.c_str();
}

// The "direct cuBLAS" peer of the benchmark: reps back-to-back cublasLtMatmul calls on one plan (no JNI, no
// checks, no cache lookup between them), timed with CUDA events. meta: [dtype, transA, transB, m, n, k, a, lda,
// b, ldb, c, ldc, reps, fast]; row-major as ecu_gemm, plain product; fast as GemmArgs::fast (1: COMPUTE_32F_FAST_16BF). Returns milliseconds per call, or < 0 with the
// reason in ecu_error_message.
double ecu_cublaslt_bench(long long ctx, long long meta) {
    ECU_BIND(ctx, -1);
    const i64* q = ptr<i64>(meta);
    if (!lt_loaded()) { set_error_message("cuBLASLt is not loaded: " + lt_unavailable_reason()); return -1; }
    GemmArgs g{};
    int dtype = (int)q[0];
    g.transA = (int)q[1]; g.transB = (int)q[2]; g.m = q[3]; g.n = q[4]; g.k = q[5];
    g.a = q[6]; g.lda = q[7]; g.b = q[8]; g.ldb = q[9]; g.c = q[10]; g.ldc = q[11];
    g.alpha = 1; g.beta = 0; g.act = OP_IDENTITY;
    i64 reps = q[12];
    g.fast = (int)q[13];
    LtCall k;
    bool res = false;
    std::string why;
    if (reps < 1 || g.m < 1 || g.n < 1 || g.k < 1) { set_error_message("bench: sizes and reps must be positive"); return -1; }
    if (!describe_call(dtype, g, 1, &k, &res, &why)) { set_error_message(why); return -1; }
    Context& c = ecu_scope_.context();
    std::lock_guard<std::mutex> guard(c.lt_mu);
    LtContext* lc = lt_context(c, &why);
    if (!lc) { set_error_message(why); return -1; }
    LtPlan p;
    if (!build_plan(*lc, k, dtype == F64 ? 8 : 4, &p, &why)) { destroy_plan(p); set_error_message(why); return -1; }
    double alpha_d = 1, beta_d = 0;
    float alpha_f = 1, beta_f = 0;
    bool f64 = k.compute == ecl::COMPUTE_64F;
    const void* al = f64 ? (const void*)&alpha_d : &alpha_f;
    const void* be = f64 ? (const void*)&beta_d : &beta_f;
    auto call = [&]() {
        return lt().api.matmul(lc->handle, p.desc, al, ptr<void>(k.a.address), p.a, ptr<void>(k.b.address), p.b, be, ptr<void>(k.c.address),
                            p.c, ptr<void>(k.d.address), p.d, &p.algo, lc->workspace, lc->workspace_bytes, (void*)stream());
    };
    cudaEvent_t start = nullptr, stop = nullptr;
    double ms = -1;
    ecl::Status st = call();  // warm-up
    if (st == ecl::STATUS_SUCCESS && cudaEventCreate(&start) == cudaSuccess && cudaEventCreate(&stop) == cudaSuccess &&
        cudaStreamSynchronize(stream()) == cudaSuccess && cudaEventRecord(start, stream()) == cudaSuccess) {
        for (i64 r = 0; r < reps && st == ecl::STATUS_SUCCESS; r++) st = call();
        float elapsed = 0;
        if (st == ecl::STATUS_SUCCESS && cudaEventRecord(stop, stream()) == cudaSuccess && cudaEventSynchronize(stop) == cudaSuccess &&
            cudaEventElapsedTime(&elapsed, start, stop) == cudaSuccess)
            ms = elapsed / (double)reps;
    }
    if (start) cudaEventDestroy(start);
    if (stop) cudaEventDestroy(stop);
    destroy_plan(p);
    if (ms < 0) {
        cudaError_t e = cudaGetLastError();
        set_error_message(st != ecl::STATUS_SUCCESS ? "cublasLtMatmul failed: " + status_text(st)
                                                    : std::string("timing failed: ") + cudaGetErrorString(e));
    }
    return ms;
}

}  // extern "C"
