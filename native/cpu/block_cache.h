// Caching allocator for large CPU buffers. A training step frees and re-allocates the same multi-MB
// activations every step; handed back to glibc they go back to the OS (mmap/munmap, trimming) and every
// page faults in again on the next step, which cost element-wise ops several times their memory time.
// Blocks of at least MIN_CACHED bytes are rounded up to a size class and, when freed, kept on that class's
// free list for the next request of the class. The host process's malloc settings are left alone.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace engine {

class BlockCache {
public:
    static constexpr size_t MIN_CACHED = size_t(256) << 10;
    // The cache holds at most max(FLOOR_LIMIT, 2 x the peak bytes in use); a freed block beyond that goes to the system.
    static constexpr size_t FLOOR_LIMIT = size_t(256) << 20;
    static constexpr int CLASSES_PER_DOUBLING = 8;  // rounding wastes < 1/8 of a block

    // Bytes actually allocated for a request of n bytes (n already rounded to 64).
    static size_t class_size(size_t n) {
        if (n < MIN_CACHED) return n;
        size_t top = size_t(1) << (63 - __builtin_clzll((unsigned long long)n));
        size_t step = top / CLASSES_PER_DOUBLING;
        return (n + step - 1) / step * step;
    }

    void* allocate(size_t n) {
        size_t size = class_size(n);
        if (size < MIN_CACHED) return system_alloc(size);
        {
            std::lock_guard<std::mutex> lock(mu_);
            auto it = free_.find(size);
            if (it != free_.end() && !it->second.empty()) {
                void* p = it->second.back();  // the most recently freed block is the likeliest to be in cache
                it->second.pop_back();
                cached_ -= size;
                take(size);
                hits_++;
                return p;
            }
            misses_++;
        }
        void* p = system_alloc(size);
        if (p == nullptr) {
            empty();  // cached blocks of other classes may be what the system is missing
            p = system_alloc(size);
            if (p == nullptr) return nullptr;
        }
        std::lock_guard<std::mutex> lock(mu_);
        system_allocs_++;
        reserved_ += size;
        if (reserved_ > peak_reserved_) peak_reserved_ = reserved_;
        take(size);
        return p;
    }

    void release(void* p, size_t n) {
        if (p == nullptr) return;
        size_t size = class_size(n);
        if (size < MIN_CACHED) { std::free(p); return; }
        {
            std::lock_guard<std::mutex> lock(mu_);
            in_use_ -= size;
            size_t limit = peak_in_use_ * 2 > FLOOR_LIMIT ? peak_in_use_ * 2 : FLOOR_LIMIT;
            if (cached_ + size <= limit) {
                free_[size].push_back(p);
                cached_ += size;
                return;
            }
            reserved_ -= size;
            system_frees_++;
        }
        std::free(p);
    }

    // Returns every cached block to the system; blocks in use are untouched.
    void empty() {
        std::vector<void*> out;
        {
            std::lock_guard<std::mutex> lock(mu_);
            for (auto& kv : free_) {
                for (void* p : kv.second) out.push_back(p);
                reserved_ -= kv.first * kv.second.size();
            }
            free_.clear();
            cached_ = 0;
            system_frees_ += out.size();
        }
        for (void* p : out) std::free(p);
    }

    // [systemAllocs, systemFrees, reserved, inUse, cached, hits, misses, peakReserved]
    void stats(int64_t* out) {
        std::lock_guard<std::mutex> lock(mu_);
        int64_t v[8] = {(int64_t)system_allocs_, (int64_t)system_frees_, (int64_t)reserved_, (int64_t)in_use_,
                        (int64_t)cached_, (int64_t)hits_, (int64_t)misses_, (int64_t)peak_reserved_};
        for (int i = 0; i < 8; i++) out[i] = v[i];
    }

private:
    static void* system_alloc(size_t size) {
        void* p = nullptr;
        return posix_memalign(&p, 64, size) == 0 ? p : nullptr;
    }

    void take(size_t size) {  // under mu_
        in_use_ += size;
        if (in_use_ > peak_in_use_) peak_in_use_ = in_use_;
    }

    std::mutex mu_;
    std::unordered_map<size_t, std::vector<void*>> free_;
    size_t cached_ = 0, in_use_ = 0, peak_in_use_ = 0, reserved_ = 0, peak_reserved_ = 0;
    uint64_t system_allocs_ = 0, system_frees_ = 0, hits_ = 0, misses_ = 0;
};

// One per process, never destroyed: the JVM's cleaner may free buffers while the library unloads.
inline BlockCache& block_cache() {
    static BlockCache* cache = new BlockCache();
    return *cache;
}

}  // namespace engine
