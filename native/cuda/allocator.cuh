// The caching device allocator of one context (context.cuh). Blocks are rounded to size classes (512 B steps
// up to 1 MiB, then 2 MiB steps) and kept on a free list per class when freed; a later request of the same
// class reuses one without cudaMalloc. A context has one stream, so a freed block may be handed out again at
// once: later work on that stream runs after earlier work.
#pragma once
#include <cuda_runtime.h>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace ecu {

struct Allocator {
    std::mutex mu;  // also guards the owning context's capture/graph block lists
    std::unordered_map<size_t, std::vector<void*>> free_lists;
    std::unordered_map<void*, size_t> live;
    long long mallocs = 0, frees = 0, reserved = 0, in_use = 0, cached = 0, hits = 0, misses = 0, peak_reserved = 0;

    static size_t round(size_t b) {
        if (b == 0) b = 1;
        const size_t small = 512, big = 2u << 20;
        return b <= (1u << 20) ? (b + small - 1) / small * small : (b + big - 1) / big * big;
    }

    // nullptr with *err set when the driver has no memory even after the cache was given back. `stream` is the
    // one the cached blocks were used on; `capturing()` (asked only when cudaMalloc fails): it is being
    // captured, so the cache cannot be released (that synchronises the stream).
    void* alloc(size_t bytes, cudaStream_t stream, bool (*capturing)(), int* err) {
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
            if (!capturing()) {
                release_cached_locked(stream);
                e = cudaMalloc(&p, sz);
            }
        }
        if (e != cudaSuccess) { cudaGetLastError(); *err = (int)e; return nullptr; }
        mallocs++; misses++; reserved += sz; in_use += sz;
        if (reserved > peak_reserved) peak_reserved = reserved;
        live[p] = sz;
        return p;
    }

    void free(void* p) {
        if (!p) return;
        std::lock_guard<std::mutex> g(mu);
        free_locked(p);
    }

    void free_locked(void* p) {
        auto it = live.find(p);
        if (it == live.end()) return;  // not ours: ignore rather than corrupt the cache
        size_t sz = it->second;
        live.erase(it);
        in_use -= sz; cached += sz;
        free_lists[sz].push_back(p);
    }

    // Gives every cached block back to the driver; returns the first cudaError_t of a cudaFree.
    int release_cached_locked(cudaStream_t stream) {
        int err = 0;
        if (cached > 0) cudaStreamSynchronize(stream);  // blocks may still be read by queued kernels
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

    // Frees live blocks too: only when the context goes away (its stream already synchronised).
    int release_all_locked(cudaStream_t stream) {
        for (auto& kv : live) free_lists[kv.second].push_back(kv.first);
        cached += in_use;
        in_use = 0;
        live.clear();
        return release_cached_locked(stream);
    }
};

}  // namespace ecu
