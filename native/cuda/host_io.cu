// Recorded frozen calls: pinned host staging plus one CUDA graph per execution context, so a frozen forward
// is [host array -> pinned (CPU copy)] [one graph launch: pinned -> device, every kernel, device -> pinned]
// [one wait] [pinned -> host array]. Pinned memory is counted so tests can show a steady loop allocates none.
#include "common.cuh"
#include "context.cuh"
#include "engine_cuda.h"
#include <atomic>

namespace ecu {

// One recorded call of a context. The graph reads `in` and writes `out`; `done` is recorded after each launch
// so the caller waits for its own replay, not for whatever other threads queued behind it.
struct HostCall {
    float* in = nullptr;
    float* out = nullptr;
    long long in_count = 0, out_count = 0;
    long long exec = 0;  // cudaGraphExec_t, in the context's graph list (which keeps the graph's scratch blocks)
    cudaEvent_t done = nullptr;
};

}  // namespace ecu

using namespace ecu;

namespace {

// Process-wide counters of pinned host memory (every context's recorded calls).
std::atomic<long long> g_pinned_allocs{0}, g_pinned_frees{0}, g_pinned_bytes{0}, g_pinned_peak{0};

void* pinned_alloc(size_t bytes, int* err) {
    void* p = nullptr;
    cudaError_t e = cudaHostAlloc(&p, bytes, cudaHostAllocDefault);
    if (e != cudaSuccess) { cudaGetLastError(); *err = (int)e; return nullptr; }
    g_pinned_allocs++;
    long long now = g_pinned_bytes += (long long)bytes;
    long long peak = g_pinned_peak.load();
    while (now > peak && !g_pinned_peak.compare_exchange_weak(peak, now)) {}
    return p;
}

void pinned_free(void* p, size_t bytes) {
    if (!p) return;
    cudaFreeHost(p);
    g_pinned_frees++;
    g_pinned_bytes -= (long long)bytes;
}

HostCall* call_of(long long h) { return reinterpret_cast<HostCall*>((uintptr_t)h); }
size_t floats(long long n) { return sizeof(float) * (size_t)(n > 0 ? n : 1); }

thread_local int t_call_error = 0;

// Destroys a call of context x: its graph, then its buffers.
void destroy(Context& x, HostCall* c) {
    if (c->exec) graph_destroy(x, c->exec);
    {
        std::lock_guard<std::mutex> g(x.alloc.mu);
        x.calls.erase(c);
    }
    host_call_release(c);
}

}  // namespace

// Frees the pinned buffers and event; the graph is the context's (destroyed with it or by destroy above).
void ecu::host_call_release(HostCall* c) {
    if (c->done) cudaEventDestroy(c->done);
    pinned_free(c->in, floats(c->in_count));
    pinned_free(c->out, floats(c->out_count));
    delete c;
}

extern "C" {

long long ecu_call_create(long long ctx, long long in_count, long long out_count) {
    ContextScope scope(ctx);
    if (scope.status() != 0) { t_call_error = scope.status(); return 0; }
    HostCall* c = new HostCall();
    c->in_count = in_count;
    c->out_count = out_count;
    int err = 0;
    c->in = (float*)pinned_alloc(floats(in_count), &err);
    if (c->in) c->out = (float*)pinned_alloc(floats(out_count), &err);
    if (c->out) {
        cudaError_t e = cudaEventCreateWithFlags(&c->done, cudaEventDisableTiming);
        if (e != cudaSuccess) { cudaGetLastError(); err = (int)e; c->done = nullptr; }
    }
    if (err) { host_call_release(c); t_call_error = err; return 0; }
    std::lock_guard<std::mutex> g(scope.context().alloc.mu);
    scope.context().calls.insert(c);
    return (long long)(uintptr_t)c;
}

int ecu_call_last_error() { return t_call_error; }

static void capture_abort(Context& x) {
    long long exec = graph_end(x);
    set_thread_stream(nullptr);
    cudaGetLastError();
    if (exec) graph_destroy(x, exec);
}

// Captures are serialised by the Java side (one lock with CudaGraph), so one capture stream per context serves
// them all.
int ecu_call_capture_begin(long long ctx, long long call, long long dev_in) {
    ECU_BIND_STATUS(ctx);
    Context& x = ecu_scope_.context();
    HostCall* c = call_of(call);
    if (!x.capture_stream) ECU_CHECK(cudaStreamCreateWithFlags(&x.capture_stream, cudaStreamNonBlocking));
    set_thread_stream(x.capture_stream);
    int e = graph_begin();
    if (e) { set_thread_stream(nullptr); return e; }
    if (c->in_count > 0)
        e = (int)cudaMemcpyAsync(ptr<void>(dev_in), c->in, sizeof(float) * (size_t)c->in_count, cudaMemcpyHostToDevice, x.capture_stream);
    if (e) capture_abort(x);
    return e;
}

int ecu_call_capture_end(long long ctx, long long call, long long dev_out) {
    ECU_BIND_STATUS(ctx);
    Context& x = ecu_scope_.context();
    HostCall* c = call_of(call);
    int e = c->out_count == 0 ? 0 : (int)cudaMemcpyAsync(c->out, ptr<void>(dev_out), sizeof(float) * (size_t)c->out_count,
                                                         cudaMemcpyDeviceToHost, x.capture_stream);
    long long exec = graph_end(x);  // always: the stream leaves capture mode
    set_thread_stream(nullptr);
    if (e == 0 && exec == 0) e = last_graph_error();
    if (e != 0) {
        cudaGetLastError();
        if (exec) graph_destroy(x, exec);
        return e;
    }
    c->exec = exec;
    return 0;
}

int ecu_call_capture_abort(long long ctx) {
    ECU_BIND_STATUS(ctx);
    capture_abort(ecu_scope_.context());
    return 0;
}

// Replays on the context's shared stream, so the graph is ordered with every other thread's kernels there (the
// caching allocator and the GEMM workspaces assume one stream), and waits for this replay only.
int ecu_call_replay(long long ctx, long long call) {
    ECU_BIND_STATUS(ctx);
    HostCall* c = call_of(call);
    if (!c->exec) return (int)cudaErrorInvalidResourceHandle;
    ECU_CHECK(cudaGraphLaunch((cudaGraphExec_t)(uintptr_t)c->exec, stream()));
    ECU_CHECK(cudaEventRecord(c->done, stream()));
    return (int)cudaEventSynchronize(c->done);
}

float* ecu_call_input(long long call) { return call_of(call)->in; }
float* ecu_call_output(long long call) { return call_of(call)->out; }

int ecu_call_destroy(long long ctx, long long call) {
    ECU_BIND_STATUS(ctx);
    HostCall* c = call_of(call);
    int e = c->done ? (int)cudaEventSynchronize(c->done) : 0;  // no replay may still read the pinned buffers
    destroy(ecu_scope_.context(), c);
    return e;
}

// [cudaHostAlloc calls, cudaFreeHost calls, pinned bytes held now, peak pinned bytes]
long long ecu_pinned_stat(int which) {
    switch (which) {
        case 0: return g_pinned_allocs.load();
        case 1: return g_pinned_frees.load();
        case 2: return g_pinned_bytes.load();
        default: return g_pinned_peak.load();
    }
}

}  // extern "C"
