// Contexts (context.cuh) and what runs on one: the caching allocator's entry points, pinned-staging transfers,
// synchronisation and CUDA graph capture/replay.
#include "common.cuh"
#include "context.cuh"
#include "cublaslt.cuh"
#include "engine_cuda.h"
#include <algorithm>
#include <string>
#include <cstdio>

namespace ecu {

static thread_local std::string t_error_message;
void set_error_message(const std::string& text) { t_error_message = text; }

static std::string cuda_failure(const char* what, cudaError_t e) {
    return std::string(what) + " failed: CUDA error " + std::to_string((int)e) + " (" + cudaGetErrorString(e) + ")";
}

static thread_local Context* t_current = nullptr;
// Set by a helper that ran with no context bound; launch_error() turns it into ECU_MESSAGE.
static thread_local bool t_unbound = false;
static const char* const UNBOUND = "no CUDA context bound";

// A thread capturing a frozen call (host_io.cu) queues on its context's capture stream, so other threads' work
// on the shared stream never lands in its graph; every other thread, and every other context, keeps its stream.
static thread_local Context* t_capture_ctx = nullptr;
static thread_local cudaStream_t t_capture_stream = nullptr;

void set_thread_stream(cudaStream_t s) {
    t_capture_ctx = s ? t_current : nullptr;
    t_capture_stream = s;
}

static void note_unbound() {
    t_unbound = true;
    set_error_message(UNBOUND);
}

int take_unbound() {
    if (!t_unbound) return 0;
    t_unbound = false;
    return ECU_MESSAGE;
}

Context* current() { return t_current; }

cudaStream_t stream() {
    Context* c = t_current;
    if (!c) { note_unbound(); return nullptr; }
    return t_capture_ctx == c && t_capture_stream ? t_capture_stream : c->stream;
}

int device_cc() {
    Context* c = t_current;
    if (!c) { note_unbound(); return 0; }
    return c->cc;
}

int device_sm_count() {
    Context* c = t_current;
    if (!c) { note_unbound(); return 1; }
    return c->sm_count;
}

bool tf32_on() {
    Context* c = t_current;
    if (!c) { note_unbound(); return false; }
    return c->tf32.load(std::memory_order_relaxed) != 0 && c->cc >= 80;
}

bool capturing() {
    cudaStreamCaptureStatus st = cudaStreamCaptureStatusNone;
    cudaStream_t s = stream();
    if (!s) return false;
    if (cudaStreamIsCapturing(s, &st) != cudaSuccess) return false;
    return st != cudaStreamCaptureStatusNone;
}

static Context* context_of(long long handle) {
    Context* c = reinterpret_cast<Context*>((uintptr_t)handle);
    return c && c->magic == Context::LIVE ? c : nullptr;
}

ContextScope::ContextScope(long long handle) {
    ctx_ = context_of(handle);
    if (!ctx_) { set_error_message(UNBOUND); status_ = ECU_MESSAGE; return; }
    int dev = -1;
    if (cudaGetDevice(&dev) != cudaSuccess) { cudaGetLastError(); dev = -1; }
    if (dev != ctx_->device) {
        cudaError_t e = cudaSetDevice(ctx_->device);
        if (e != cudaSuccess) {
            cudaGetLastError();
            set_error_message(cuda_failure(("cudaSetDevice(" + std::to_string(ctx_->device) + ")").c_str(), e));
            status_ = ECU_MESSAGE;
            ctx_ = nullptr;
            return;
        }
        prev_device_ = dev;
    }
    prev_ = t_current;
    t_current = ctx_;
}

ContextScope::~ContextScope() {
    if (!ctx_) return;
    t_current = prev_;
    if (prev_device_ >= 0) cudaSetDevice(prev_device_);
}

// The last failure of this thread's allocation / graph capture: per thread, so one thread never reads (or
// clears) another's error between its failing call and its question.
static thread_local int t_alloc_error = 0;
static thread_local int t_graph_error = 0;

void* cache_alloc(size_t bytes) {
    Context* c = t_current;
    if (!c) { note_unbound(); t_alloc_error = ECU_MESSAGE; return nullptr; }
    int err = 0;
    void* p = c->alloc.alloc(bytes, c->stream, capturing, &err);
    if (!p) t_alloc_error = err;
    return p;
}

void cache_free(void* p) {
    if (!p) return;
    Context* c = t_current;
    if (!c) { note_unbound(); return; }  // leaks the block rather than giving it to a cache it may not be from
    bool cap = capturing();
    std::lock_guard<std::mutex> g(c->alloc.mu);
    if (cap) c->capture_blocks.push_back(p);
    else c->alloc.free_locked(p);
}

// Gives a finished capture's freed blocks to its graph (exec != 0), or back to the cache when it failed.
static void adopt_capture_blocks(Context& c, long long exec) {
    std::lock_guard<std::mutex> g(c.alloc.mu);
    std::vector<void*> blocks;
    blocks.swap(c.capture_blocks);
    if (exec) { c.graphs[exec] = std::move(blocks); return; }
    for (void* p : blocks) c.alloc.free_locked(p);  // capture failed: nothing will replay
}

// Destroys a graph made on c after the replays queued on c's stream finished; its blocks return to the cache.
int graph_destroy(Context& c, long long exec) {
    // replays still queued may use the graph's blocks: let them finish before the cache hands them out
    cudaError_t e = cudaStreamSynchronize(c.stream);
    cudaError_t d = cudaGraphExecDestroy((cudaGraphExec_t)(uintptr_t)exec);
    std::lock_guard<std::mutex> g(c.alloc.mu);
    auto it = c.graphs.find(exec);
    if (it != c.graphs.end()) {
        for (void* p : it->second) c.alloc.free_locked(p);
        c.graphs.erase(it);
    }
    return (int)(e != cudaSuccess ? e : d);
}

long long graph_end(Context& c) {
    cudaGraph_t graph = nullptr;
    cudaError_t e = cudaStreamEndCapture(stream(), &graph);
    if (e != cudaSuccess) { t_graph_error = (int)e; cudaGetLastError(); adopt_capture_blocks(c, 0); return 0; }
    cudaGraphExec_t exec = nullptr;
    e = cudaGraphInstantiate(&exec, graph, 0ULL);
    cudaGraphDestroy(graph);
    if (e != cudaSuccess) { t_graph_error = (int)e; cudaGetLastError(); adopt_capture_blocks(c, 0); return 0; }
    adopt_capture_blocks(c, (long long)(uintptr_t)exec);
    return (long long)(uintptr_t)exec;
}

int graph_begin() {
    // relaxed: the caching allocator may still cudaMalloc (not a stream operation) while capturing
    return (int)cudaStreamBeginCapture(stream(), cudaStreamCaptureModeRelaxed);
}

int last_graph_error() { return t_graph_error; }

// ---- index flags ------------------------------------------------------------------------------------

bool IndexFlag::begin() {
    dev = (unsigned long long*)cache_alloc(sizeof(unsigned long long));
    if (!dev) return false;
    return cudaMemsetAsync(dev, 0xff, sizeof(unsigned long long), stream()) == cudaSuccess;
}

long long IndexFlag::finish(int* err) {
    unsigned long long h = ~0ull;
    Context* c = current();
    // a replay could not report a bad index (the host reads the flag), so checked ops refuse to be captured
    *err = !c ? (note_unbound(), ECU_MESSAGE) : capturing() ? (int)cudaErrorStreamCaptureUnsupported : 0;
    if (c && !capturing()) {
        cudaError_t e = cudaMemcpyAsync(&h, dev, sizeof h, cudaMemcpyDeviceToHost, c->stream);
        if (e == cudaSuccess) e = cudaStreamSynchronize(c->stream);
        *err = (int)e;
    }
    cache_free(dev);
    dev = nullptr;
    return h == ~0ull ? -1 : (long long)h;
}

// ---- pinned staging for transfers ---------------------------------------------------------------------

static const size_t STAGE_BYTES = 8u << 20;

static int transfer(Context& c, void* dst, const void* src, long long bytes, bool h2d) {
    if (bytes <= 0) return 0;
    if (capturing()) return (int)cudaErrorStreamCaptureUnsupported;
    std::lock_guard<std::mutex> g(c.stage_mu);
    if (!c.stage && cudaMallocHost((void**)&c.stage, STAGE_BYTES) != cudaSuccess) { cudaGetLastError(); c.stage = nullptr; }
    if (!c.stage) {  // no pinned memory: a plain (pageable) copy
        ECU_CHECK(cudaMemcpyAsync(dst, src, (size_t)bytes, h2d ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToHost, c.stream));
        return (int)cudaStreamSynchronize(c.stream);
    }
    for (long long done = 0; done < bytes; done += STAGE_BYTES) {
        size_t n = (size_t)std::min<long long>(STAGE_BYTES, bytes - done);
        if (h2d) {
            std::memcpy(c.stage, (const char*)src + done, n);
            ECU_CHECK(cudaMemcpyAsync((char*)dst + done, c.stage, n, cudaMemcpyHostToDevice, c.stream));
            ECU_CHECK(cudaStreamSynchronize(c.stream));
        } else {
            ECU_CHECK(cudaMemcpyAsync(c.stage, (const char*)src + done, n, cudaMemcpyDeviceToHost, c.stream));
            ECU_CHECK(cudaStreamSynchronize(c.stream));
            std::memcpy((char*)dst + done, c.stage, n);
        }
    }
    return 0;
}

// Frees everything a context holds; its stream is synchronised first. Returns the first cudaError_t.
static int destroy_context(Context* c) {
    int err = 0;
    auto keep = [&err](cudaError_t e) { if (e != cudaSuccess && err == 0) err = (int)e; };
    if (c->stream) keep(cudaStreamSynchronize(c->stream));
    std::vector<HostCall*> calls(c->calls.begin(), c->calls.end());
    for (HostCall* h : calls) host_call_release(h);
    c->calls.clear();
    std::vector<long long> execs;
    for (auto& kv : c->graphs) execs.push_back(kv.first);
    for (long long x : execs) keep((cudaError_t)graph_destroy(*c, x));
    {
        std::lock_guard<std::mutex> g(c->alloc.mu);
        for (void* p : c->capture_blocks) c->alloc.free_locked(p);
        c->capture_blocks.clear();
        keep((cudaError_t)c->alloc.release_all_locked(c->stream));
    }
    if (c->stage) keep(cudaFreeHost(c->stage));
    c->stage = nullptr;
    if (c->lt) lt_context_destroy(c->lt);
    c->lt = nullptr;
    if (c->capture_stream) keep(cudaStreamDestroy(c->capture_stream));
    if (c->stream) keep(cudaStreamDestroy(c->stream));
    cudaGetLastError();
    c->magic = 0;
    delete c;
    return err;
}

}  // namespace ecu

using namespace ecu;

extern "C" {

long long ecu_device_count() {
    int n = 0;
    cudaError_t e = cudaGetDeviceCount(&n);
    if (e != cudaSuccess) { cudaGetLastError(); return -(long long)e; }
    return n;
}

const char* ecu_error_string(int code) { return cudaGetErrorString((cudaError_t)code); }

long long ecu_context_create(int device) {
    int prev = -1;
    if (cudaGetDevice(&prev) != cudaSuccess) { cudaGetLastError(); prev = -1; }
    cudaError_t e = cudaSetDevice(device);
    if (e != cudaSuccess) {
        cudaGetLastError();
        set_error_message(cuda_failure(("cudaSetDevice(" + std::to_string(device) + ")").c_str(), e));
        return 0;
    }
    Context* c = new Context();
    c->device = device;
    int major = 0, minor = 0;
    e = cudaDeviceGetAttribute(&major, cudaDevAttrComputeCapabilityMajor, device);
    if (e == cudaSuccess) e = cudaDeviceGetAttribute(&minor, cudaDevAttrComputeCapabilityMinor, device);
    if (e == cudaSuccess) e = cudaDeviceGetAttribute(&c->sm_count, cudaDevAttrMultiProcessorCount, device);
    const char* what = "reading the device's attributes";
    if (e == cudaSuccess) {
        e = cudaStreamCreateWithFlags(&c->stream, cudaStreamNonBlocking);
        what = "cudaStreamCreateWithFlags";
    }
    if (e != cudaSuccess) {
        cudaGetLastError();
        set_error_message(cuda_failure(what, e));
        c->stream = nullptr;
        destroy_context(c);
        if (prev >= 0 && prev != device) cudaSetDevice(prev);
        return 0;
    }
    c->cc = major * 10 + minor;
    lt_context_prepare(*c);  // no cuBLASLt here is not an error: its GEMMs report why and ours run
    if (prev >= 0 && prev != device) cudaSetDevice(prev);
    return (long long)(uintptr_t)c;
}

int ecu_context_destroy(long long ctx) {
    ECU_BIND_STATUS(ctx);
    Context* c = &ecu_scope_.context();
    return destroy_context(c);  // the scope restores the previous binding; it only compares the freed pointer
}

const char* ecu_describe(long long ctx) {
    ECU_BIND(ctx, t_error_message.c_str());
    static thread_local std::string s;
    Context& c = ecu_scope_.context();
    int rt = 0, drv = 0;
    cudaRuntimeGetVersion(&rt);
    cudaDriverGetVersion(&drv);
    cudaDeviceProp p;
    if (cudaGetDeviceProperties(&p, c.device) != cudaSuccess) { cudaGetLastError(); s = "unknown CUDA device"; return s.c_str(); }
    char buf[512];
    snprintf(buf, sizeof buf, "%s (device %d, sm_%d%d, %d SMs, %.1f GiB); CUDA runtime %d.%d, driver %d.%d; TF32 GEMM %s",
             p.name, c.device, p.major, p.minor, p.multiProcessorCount, p.totalGlobalMem / 1073741824.0, rt / 1000, (rt % 1000) / 10,
             drv / 1000, (drv % 1000) / 10, tf32_on() ? "on" : "off");
    s = buf;
    return s.c_str();
}

int ecu_compute_capability(long long ctx) {
    ECU_BIND_STATUS(ctx);
    return ecu_scope_.context().cc;
}

int ecu_set_tf32(long long ctx, int on) {
    ECU_BIND_STATUS(ctx);
    ecu_scope_.context().tf32.store(on ? 1 : 0);
    return tf32_on() ? 1 : 0;
}

long long ecu_alloc(long long ctx, long long bytes) {
    ContextScope scope(ctx);
    if (scope.status() != 0) { t_alloc_error = scope.status(); return 0; }
    return (long long)(uintptr_t)cache_alloc((size_t)bytes);
}

int ecu_last_alloc_error() { return t_alloc_error; }

int ecu_free(long long ctx, long long address) {
    ECU_BIND_STATUS(ctx);
    cache_free(ptr<void>(address));
    return 0;
}

int ecu_empty_cache(long long ctx) {
    ECU_BIND_STATUS(ctx);
    if (capturing()) return (int)cudaErrorStreamCaptureUnsupported;
    Context& c = ecu_scope_.context();
    std::lock_guard<std::mutex> g(c.alloc.mu);
    return c.alloc.release_cached_locked(c.stream);
}

// [cudaMalloc calls, cudaFree calls, reserved bytes, in-use bytes, cached bytes, cache hits, misses, peak reserved]
int ecu_allocator_stats(long long ctx, long long meta) {
    ECU_BIND_STATUS(ctx);
    Allocator& a = ecu_scope_.context().alloc;
    std::lock_guard<std::mutex> g(a.mu);
    long long* q = ptr<long long>(meta);
    q[0] = a.mallocs; q[1] = a.frees; q[2] = a.reserved; q[3] = a.in_use; q[4] = a.cached; q[5] = a.hits; q[6] = a.misses;
    q[7] = a.peak_reserved;
    return 0;
}

int ecu_h2d(long long ctx, const void* src, long long dst, long long bytes) {
    ECU_BIND_STATUS(ctx);
    return transfer(ecu_scope_.context(), ptr<void>(dst), src, bytes, true);
}

int ecu_d2h(long long ctx, long long src, void* dst, long long bytes) {
    ECU_BIND_STATUS(ctx);
    return transfer(ecu_scope_.context(), dst, ptr<void>(src), bytes, false);
}

int ecu_synchronize(long long ctx) {
    ECU_BIND_STATUS(ctx);
    if (capturing()) return 0;
    return (int)cudaStreamSynchronize(ecu_scope_.context().stream);
}

int ecu_peek_error() { return (int)cudaGetLastError(); }

int ecu_graph_begin(long long ctx) {
    ECU_BIND_STATUS(ctx);
    return graph_begin();
}

long long ecu_graph_end(long long ctx) {
    ContextScope scope(ctx);
    if (scope.status() != 0) { t_graph_error = scope.status(); return 0; }
    return graph_end(scope.context());
}

int ecu_last_graph_error() { return t_graph_error; }

int ecu_graph_launch(long long ctx, long long h) {
    ECU_BIND_STATUS(ctx);
    return (int)cudaGraphLaunch((cudaGraphExec_t)(uintptr_t)h, ecu_scope_.context().stream);
}

int ecu_graph_destroy(long long ctx, long long h) {
    ECU_BIND_STATUS(ctx);
    return graph_destroy(ecu_scope_.context(), h);
}

int ecu_is_capturing(long long ctx) {
    ECU_BIND_STATUS(ctx);
    return capturing() ? 1 : 0;
}

const char* ecu_error_message() { return t_error_message.c_str(); }

}  // extern "C"
