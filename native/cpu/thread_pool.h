// The engine's own worker pool: thread_count()-1 workers plus the calling thread. A worker that finishes
// a job spins for a short while (SPIN_MICROS) before it sleeps, so the back-to-back kernels of one
// inference or training step wake it in well under a microsecond instead of a futex round trip
// (libgomp's passive mode costs several microseconds per region; its active mode spins for much longer
// and starved OpenBLAS on the 2-core machines). One job runs at a time: a caller that finds the pool
// busy (another thread's job, or a kernel nested in a job) runs its work inline on its own thread.
#pragma once
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>
#if defined(__x86_64__)
#include <immintrin.h>
#define ENGINE_CPU_RELAX() _mm_pause()
#else
#define ENGINE_CPU_RELAX() ((void)0)
#endif

namespace engine {

class ThreadPool {
public:
    // How long an idle worker keeps polling for the next job before it sleeps.
    static constexpr int SPIN_MICROS = 50;

    typedef void (*Task)(void* ctx, int tid, int nt);

    // Runs task(ctx, t, nt) for t in [0, nt), t = 0 on the calling thread; returns when all have finished.
    // With the pool busy, or nt <= 1, runs task(ctx, 0, 1) inline: the task must then do all the work.
    void run(Task task, void* ctx, int nt) {
        if (nt <= 1 || busy_.test_and_set(std::memory_order_acquire)) {
            task(ctx, 0, 1);
            return;
        }
        if ((int)workers_.size() < nt - 1) resize(nt - 1);
        int used = std::min<int>(nt, (int)workers_.size() + 1);
        task_ = task;
        ctx_ = ctx;
        nt_ = used;
        pending_.store((int)workers_.size(), std::memory_order_relaxed);
        epoch_.fetch_add(1, std::memory_order_seq_cst);
        if (sleepers_.load(std::memory_order_seq_cst) > 0) {
            std::lock_guard<std::mutex> lock(mutex_);
            wake_.notify_all();
        }
        task(ctx, 0, used);
        for (int spins = 0; pending_.load(std::memory_order_acquire) != 0; spins++) {
            if (spins < 4096) ENGINE_CPU_RELAX();
            else std::this_thread::yield();
        }
        busy_.clear(std::memory_order_release);
    }

    // Changes the number of workers (joins the old ones). Only called while no job runs.
    void resize(int workers) {
        if ((int)workers_.size() == workers) return;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
            epoch_.fetch_add(1, std::memory_order_seq_cst);
            wake_.notify_all();
        }
        for (std::thread& t : workers_) t.join();
        workers_.clear();
        stop_ = false;
        // Each worker starts from the current epoch, read here: a job posted before it is scheduled still wakes it.
        uint64_t start = epoch_.load(std::memory_order_acquire);
        for (int i = 0; i < workers; i++) workers_.emplace_back([this, i, start] { loop(i + 1, start); });
    }

    // Reserves the pool for resizing; false while a job runs.
    bool try_lock() { return !busy_.test_and_set(std::memory_order_acquire); }
    void unlock() { busy_.clear(std::memory_order_release); }

private:
    void loop(int tid, uint64_t seen) {
        for (;;) {
            uint64_t e = wait_for_job(seen);
            if (stop_) return;
            seen = e;
            if (tid < nt_) task_(ctx_, tid, nt_);
            pending_.fetch_sub(1, std::memory_order_release);
        }
    }

    uint64_t wait_for_job(uint64_t seen) {
        auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(SPIN_MICROS);
        for (int i = 1;; i++) {
            uint64_t e = epoch_.load(std::memory_order_acquire);
            if (e != seen) return e;
            ENGINE_CPU_RELAX();
            if ((i & 63) == 0 && std::chrono::steady_clock::now() > until) break;
        }
        std::unique_lock<std::mutex> lock(mutex_);
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        wake_.wait(lock, [&] { return epoch_.load(std::memory_order_seq_cst) != seen; });
        sleepers_.fetch_sub(1, std::memory_order_relaxed);
        return epoch_.load(std::memory_order_acquire);
    }

    std::vector<std::thread> workers_;
    std::atomic_flag busy_ = ATOMIC_FLAG_INIT;
    std::atomic<uint64_t> epoch_{0};
    std::atomic<int> pending_{0};
    std::atomic<int> sleepers_{0};
    std::mutex mutex_;
    std::condition_variable wake_;
    Task task_ = nullptr;
    void* ctx_ = nullptr;
    int nt_ = 1;
    std::atomic<bool> stop_{false};
};

// The process-wide pool (with the backend registry, the only global state: one per loaded library). Never
// destroyed: joining workers from a static destructor at JVM exit could race a kernel still running.
inline ThreadPool& thread_pool() { static ThreadPool* pool = new ThreadPool(); return *pool; }

// Runs body(t, nt) on nt threads of the pool (inline as body(0, 1) when it is busy or nt <= 1).
template <typename F>
inline void run_on_threads(int nt, F&& body) {
    thread_pool().run([](void* c, int t, int n) { (*static_cast<F*>(c))(t, n); }, (void*)&body, nt);
}

}  // namespace engine
