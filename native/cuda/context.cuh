// The CUDA state of one backend instance: device, stream, caching allocator, graph bookkeeping, transfer
// staging and cuBLASLt handle. Made by ecu_context_create, handed to Java as an opaque int64 and passed back
// as the first argument of every entry point that touches the device. Holding it in an object rather than in
// process globals is what lets a second stream or device be a constructor argument.
//
// An entry point binds its context for the call with ECU_BIND (a ContextScope): that sets this thread's
// current context, so the helpers the kernel files call (stream(), cache_alloc(), device_cc(), tf32_on())
// read it without every kernel taking a parameter, and it restores the previous binding on exit, as
// PyTorch's CUDAGuard does. Last errors stay per thread (not per context): a thread asks about its own call.
#pragma once
#include <cuda_runtime.h>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>
#include "allocator.cuh"

namespace ecu {

struct LtContext;  // cublaslt.cu: this context's cuBLASLt handle, workspace and plan cache
struct HostCall;   // host_io.cu: a recorded frozen call

struct Context {
    static constexpr uint64_t LIVE = 0x6563752d63747831ull;  // "ecu-ctx1": a handle that is not one is refused
    uint64_t magic = LIVE;
    int device = 0;
    int cc = 0;         // compute capability, major*10+minor
    int sm_count = 0;
    std::atomic<int> tf32{0};
    cudaStream_t stream = nullptr;          // every kernel, copy and replay of this context
    cudaStream_t capture_stream = nullptr;  // frozen-call captures (host_io.cu), made on first use

    Allocator alloc;
    // Blocks freed while a graph is being captured may be written by every replay, so they belong to the graph
    // until it is destroyed, not to the cache. graphs holds every graph exec made here (with those blocks), so
    // destroying the context destroys them. Both guarded by alloc.mu.
    std::vector<void*> capture_blocks;
    std::unordered_map<long long, std::vector<void*>> graphs;
    std::unordered_set<HostCall*> calls;  // recorded calls made here; guarded by alloc.mu

    std::mutex stage_mu;  // one pinned staging buffer for this context's host <-> device copies
    char* stage = nullptr;

    LtContext* lt = nullptr;  // created with the context when cuBLASLt is loaded, else on the first GEMM
    std::mutex lt_mu;         // guards lt and its plan cache
};

// The context bound to this thread (nullptr when none).
Context* current();

// Binds a context for the enclosing scope; see ECU_BIND.
class ContextScope {
public:
    explicit ContextScope(long long handle);
    ~ContextScope();
    // 0 when bound, else ECU_MESSAGE (common.cuh) with the reason in the thread's message: the handle is no
    // live context, or the thread could not be switched to the context's device.
    int status() const { return status_; }
    Context& context() const { return *ctx_; }
    ContextScope(const ContextScope&) = delete;
    ContextScope& operator=(const ContextScope&) = delete;

private:
    Context* ctx_ = nullptr;
    Context* prev_ = nullptr;
    int prev_device_ = -1;  // >= 0: the device to switch the thread back to
    int status_ = 0;
};

// runtime.cu, for host_io.cu: graph capture on the bound context's stream(), and this thread's capture stream
// on the bound context (nullptr: back to the context's stream).
void set_thread_stream(cudaStream_t s);
int graph_begin();
long long graph_end(Context& c);  // the exec handle, or 0 (see last_graph_error)
int last_graph_error();
int graph_destroy(Context& c, long long exec);

// cublaslt.cu: frees a context's cuBLASLt state (plans, workspace, handle).
void lt_context_destroy(LtContext* lt);
// host_io.cu: frees a recorded call's pinned buffers and event (its graph is the context's to destroy).
void host_call_release(HostCall* c);

}  // namespace ecu

// First statement of an entry point that takes a context: binds it until the function returns, or returns
// `fail` when the handle is no live context (message "no CUDA context bound") or its device cannot be made
// current. common.cuh's helpers used without a bound context report "no CUDA context bound" too.
#define ECU_BIND(ctx, fail)                                      \
    ::ecu::ContextScope ecu_scope_(ctx);                         \
    if (ecu_scope_.status() != 0) return (fail)
// Same, returning ECU_MESSAGE (for entry points that return a cudaError_t or ECU_MESSAGE).
#define ECU_BIND_STATUS(ctx)                                     \
    ::ecu::ContextScope ecu_scope_(ctx);                         \
    if (ecu_scope_.status() != 0) return ecu_scope_.status()
