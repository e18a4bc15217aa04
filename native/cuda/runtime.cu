// Device setup, the caching allocator, pinned-staging transfers and CUDA graph capture/replay.
#include "common.cuh"
#include "engine_cuda.h"
#include <mutex>
#include <unordered_map>
#include <vector>
#include <string>
#include <cstdio>

namespace ecu {

static cudaStream_t g_stream = nullptr;
static int g_cc = 0;
static int g_tf32 = 0;

// A thread capturing a frozen call (host_io.cu) queues on its own capture stream, so other threads' work on
// the shared stream never lands in its graph; every other thread, and every launch, uses the shared stream.
static thread_local cudaStream_t t_stream = nullptr;
void set_thread_stream(cudaStream_t s) { t_stream = s; }

cudaStream_t stream() { return t_stream ? t_stream : g_stream; }
int device_cc() { return g_cc; }
bool tf32_on() { return g_tf32 != 0 && g_cc >= 80; }

bool capturing() {
    cudaStreamCaptureStatus st = cudaStreamCaptureStatusNone;
    if (cudaStreamIsCapturing(stream(), &st) != cudaSuccess) return false;
    return st != cudaStreamCaptureStatusNone;
}

// ---- caching allocator -----------------------------------------------------------------------------
// Blocks are rounded to size classes (512 B steps up to 1 MiB, then 2 MiB steps) and kept on a free list
// per class when freed; a later request of the same class reuses one without cudaMalloc. One stream, so
// a freed block may be handed out again at once: later work on the stream runs after earlier work.
// The last failure of this thread's allocation / graph capture: per thread, so one thread never reads
// (or clears) another's error between its failing call and its question.
static thread_local int t_alloc_error = 0;
static thread_local int t_graph_error = 0;

struct Allocator {
    std::mutex mu;
    std::unordered_map<size_t, std::vector<void*>> free_lists;
    std::unordered_map<void*, size_t> live;
    long long mallocs = 0, frees = 0, reserved = 0, in_use = 0, cached = 0, hits = 0, misses = 0, peak_reserved = 0;

    static size_t round(size_t b) {
        if (b == 0) b = 1;
        const size_t small = 512, big = 2u << 20;
        return b <= (1u << 20) ? (b + small - 1) / small * small : (b + big - 1) / big * big;
    }

    void* alloc(size_t bytes) {
        size_t sz = round(bytes);
        std::lock_guard<std::mutex> g(mu);
        auto it = free_lists.find(sz);
        if (it != free_lists.end() && !it->second.empty()) {
            void* p = it->second.back();
            it->second.pop_back();
            live[p] = sz; cached -= sz; in_use += sz; hits++;
            return p;
        }
        void* p = nullptr;
        cudaError_t e = cudaMalloc(&p, sz);
        if (e != cudaSuccess) {  // give the cache back to the driver and try once more
            cudaGetLastError();
            if (!capturing()) {  // releasing synchronises the stream, which a capture forbids
                release_cached_locked();
                e = cudaMalloc(&p, sz);
            }
        }
        if (e != cudaSuccess) { cudaGetLastError(); t_alloc_error = (int)e; return nullptr; }
        mallocs++; misses++; reserved += sz; in_use += sz;
        if (reserved > peak_reserved) peak_reserved = reserved;
        live[p] = sz;
        return p;
    }

    void free(void* p) {
        if (!p) return;
        std::lock_guard<std::mutex> g(mu);
        auto it = live.find(p);
        if (it == live.end()) return;  // not ours: ignore rather than corrupt the cache
        size_t sz = it->second;
        live.erase(it);
        in_use -= sz; cached += sz;
        free_lists[sz].push_back(p);
    }

    int release_cached_locked() {
        int err = 0;
        if (cached > 0) cudaStreamSynchronize(g_stream);  // blocks may still be read by queued kernels
        for (auto& kv : free_lists) {
            for (void* p : kv.second) {
                cudaError_t e = cudaFree(p);
                if (e != cudaSuccess && err == 0) err = (int)e;
                frees++; reserved -= kv.first; cached -= kv.first;
            }
            kv.second.clear();
        }
        return err;
    }
};

static Allocator& allocator() { static Allocator* a = new Allocator(); return *a; }

// Blocks freed while a graph is being captured (kernel scratch, index flags, buffers closed meanwhile) may
// be written by every replay, so they belong to the graph until it is destroyed, not to the cache.
static std::vector<void*> g_capture_blocks;
static std::unordered_map<long long, std::vector<void*>> g_graph_blocks;

void* cache_alloc(size_t bytes) { return allocator().alloc(bytes); }

void cache_free(void* p) {
    if (!p) return;
    if (capturing()) {
        std::lock_guard<std::mutex> g(allocator().mu);
        g_capture_blocks.push_back(p);
        return;
    }
    allocator().free(p);
}

static void adopt_capture_blocks(long long exec) {
    std::vector<void*> blocks;
    {
        std::lock_guard<std::mutex> g(allocator().mu);
        blocks.swap(g_capture_blocks);
        if (exec) { g_graph_blocks[exec] = blocks; return; }
    }
    for (void* p : blocks) allocator().free(p);  // capture failed: nothing will replay
}

static void release_graph_blocks(long long exec) {
    std::vector<void*> blocks;
    {
        std::lock_guard<std::mutex> g(allocator().mu);
        auto it = g_graph_blocks.find(exec);
        if (it == g_graph_blocks.end()) return;
        blocks.swap(it->second);
        g_graph_blocks.erase(it);
    }
    for (void* p : blocks) allocator().free(p);
}

// ---- index flags ------------------------------------------------------------------------------------

bool IndexFlag::begin() {
    dev = (unsigned long long*)cache_alloc(sizeof(unsigned long long));
    if (!dev) return false;
    return cudaMemsetAsync(dev, 0xff, sizeof(unsigned long long), stream()) == cudaSuccess;
}

long long IndexFlag::finish(int* err) {
    unsigned long long h = ~0ull;
    // a replay could not report a bad index (the host reads the flag), so checked ops refuse to be captured
    *err = capturing() ? (int)cudaErrorStreamCaptureUnsupported : 0;
    if (!capturing()) {
        cudaError_t e = cudaMemcpyAsync(&h, dev, sizeof h, cudaMemcpyDeviceToHost, g_stream);
        if (e == cudaSuccess) e = cudaStreamSynchronize(g_stream);
        *err = (int)e;
    }
    cache_free(dev);
    dev = nullptr;
    return h == ~0ull ? -1 : (long long)h;
}

// ---- pinned staging for transfers ---------------------------------------------------------------------

static std::mutex g_stage_mu;
static char* g_stage = nullptr;
static const size_t STAGE_BYTES = 8u << 20;

static int transfer(void* dst, const void* src, long long bytes, bool h2d) {
    if (bytes <= 0) return 0;
    if (capturing()) return (int)cudaErrorStreamCaptureUnsupported;
    std::lock_guard<std::mutex> g(g_stage_mu);
    if (!g_stage && cudaMallocHost((void**)&g_stage, STAGE_BYTES) != cudaSuccess) { cudaGetLastError(); g_stage = nullptr; }
    if (!g_stage) {  // no pinned memory: a plain (pageable) copy
        ECU_CHECK(cudaMemcpyAsync(dst, src, (size_t)bytes, h2d ? cudaMemcpyHostToDevice : cudaMemcpyDeviceToHost, g_stream));
        return (int)cudaStreamSynchronize(g_stream);
    }
    for (long long done = 0; done < bytes; done += STAGE_BYTES) {
        size_t n = (size_t)std::min<long long>(STAGE_BYTES, bytes - done);
        if (h2d) {
            std::memcpy(g_stage, (const char*)src + done, n);
            ECU_CHECK(cudaMemcpyAsync((char*)dst + done, g_stage, n, cudaMemcpyHostToDevice, g_stream));
            ECU_CHECK(cudaStreamSynchronize(g_stream));
        } else {
            ECU_CHECK(cudaMemcpyAsync(g_stage, (const char*)src + done, n, cudaMemcpyDeviceToHost, g_stream));
            ECU_CHECK(cudaStreamSynchronize(g_stream));
            std::memcpy((char*)dst + done, g_stage, n);
        }
    }
    return 0;
}

static thread_local std::string t_error_message;
void set_error_message(const std::string& text) { t_error_message = text; }

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

int ecu_init(int device) {
    ECU_CHECK(cudaSetDevice(device));
    cudaDeviceProp p;
    ECU_CHECK(cudaGetDeviceProperties(&p, device));
    g_cc = p.major * 10 + p.minor;
    if (!g_stream) ECU_CHECK(cudaStreamCreateWithFlags(&g_stream, cudaStreamNonBlocking));
    return 0;
}

const char* ecu_describe() {
    static std::string s;
    int dev = 0, rt = 0, drv = 0;
    cudaGetDevice(&dev);
    cudaRuntimeGetVersion(&rt);
    cudaDriverGetVersion(&drv);
    cudaDeviceProp p;
    if (cudaGetDeviceProperties(&p, dev) != cudaSuccess) { cudaGetLastError(); s = "unknown CUDA device"; return s.c_str(); }
    char buf[512];
    snprintf(buf, sizeof buf, "%s (sm_%d%d, %d SMs, %.1f GiB); CUDA runtime %d.%d, driver %d.%d; TF32 GEMM %s",
             p.name, p.major, p.minor, p.multiProcessorCount, p.totalGlobalMem / 1073741824.0, rt / 1000, (rt % 1000) / 10,
             drv / 1000, (drv % 1000) / 10, tf32_on() ? "on" : "off");
    s = buf;
    return s.c_str();
}

int ecu_compute_capability() { return g_cc; }
int ecu_set_tf32(int on) { g_tf32 = on; return tf32_on() ? 1 : 0; }

long long ecu_alloc(long long bytes) { return (long long)(uintptr_t)cache_alloc((size_t)bytes); }
int ecu_last_alloc_error() { return t_alloc_error; }
void ecu_free(long long address) { cache_free(ptr<void>(address)); }

int ecu_empty_cache() {
    if (capturing()) return (int)cudaErrorStreamCaptureUnsupported;
    Allocator& a = allocator();
    std::lock_guard<std::mutex> g(a.mu);
    return a.release_cached_locked();
}

// [cudaMalloc calls, cudaFree calls, reserved bytes, in-use bytes, cached bytes, cache hits, misses, peak reserved]
void ecu_allocator_stats(long long meta) {
    Allocator& a = allocator();
    std::lock_guard<std::mutex> g(a.mu);
    long long* q = ptr<long long>(meta);
    q[0] = a.mallocs; q[1] = a.frees; q[2] = a.reserved; q[3] = a.in_use; q[4] = a.cached; q[5] = a.hits; q[6] = a.misses;
    q[7] = a.peak_reserved;
}

int ecu_h2d(const void* src, long long dst, long long bytes) { return transfer(ptr<void>(dst), src, bytes, true); }
int ecu_d2h(long long src, void* dst, long long bytes) { return transfer(dst, ptr<void>(src), bytes, false); }

int ecu_synchronize() {
    if (capturing()) return 0;
    return (int)cudaStreamSynchronize(g_stream);
}

int ecu_peek_error() { return (int)cudaGetLastError(); }

int ecu_graph_begin() {
    // relaxed: the caching allocator may still cudaMalloc (not a stream operation) while capturing
    return (int)cudaStreamBeginCapture(stream(), cudaStreamCaptureModeRelaxed);
}

long long ecu_graph_end() {
    cudaGraph_t graph = nullptr;
    cudaError_t e = cudaStreamEndCapture(stream(), &graph);
    if (e != cudaSuccess) { t_graph_error = (int)e; cudaGetLastError(); adopt_capture_blocks(0); return 0; }
    cudaGraphExec_t exec = nullptr;
    e = cudaGraphInstantiate(&exec, graph, 0ULL);
    cudaGraphDestroy(graph);
    if (e != cudaSuccess) { t_graph_error = (int)e; cudaGetLastError(); adopt_capture_blocks(0); return 0; }
    adopt_capture_blocks((long long)(uintptr_t)exec);
    return (long long)(uintptr_t)exec;
}

int ecu_last_graph_error() { return t_graph_error; }
int ecu_graph_launch(long long h) { return (int)cudaGraphLaunch((cudaGraphExec_t)(uintptr_t)h, g_stream); }
int ecu_graph_destroy(long long h) {
    // replays still queued may use the graph's blocks: let them finish before the cache hands them out
    cudaError_t e = cudaStreamSynchronize(g_stream);
    cudaError_t d = cudaGraphExecDestroy((cudaGraphExec_t)(uintptr_t)h);
    release_graph_blocks(h);
    return (int)(e != cudaSuccess ? e : d);
}
int ecu_is_capturing() { return capturing() ? 1 : 0; }

const char* ecu_error_message() { return t_error_message.c_str(); }

}  // extern "C"
