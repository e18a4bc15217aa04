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
#include <type_traits>
#if defined(__x86_64__)
#include <immintrin.h>
#define ENGINE_CPU_RELAX() _mm_pause()
#else
#define ENGINE_CPU_RELAX() ((void)0)
#endif

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define ENGINE_POOL_DISPATCH __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define ENGINE_POOL_DISPATCH
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
        if (nt - 1 > requested_) {  // grow once per new size, even if the system gave fewer threads
            requested_ = nt - 1;
            resize(requested_);
        }
        int used = std::min<int>(nt, (int)workers_.size() + 1);
        job_.task = task;
        job_.ctx = ctx;
        job_.nt = used;
        pending_.store((int)workers_.size(), std::memory_order_relaxed);
        job_.epoch.fetch_add(1, std::memory_order_seq_cst);
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

    // Sends spinning workers to sleep now: called before another thread pool (OpenBLAS's) needs the cores.
    void park() { job_.parks.fetch_add(1, std::memory_order_relaxed); }

private:
    // Changes the number of workers (joins the old ones). Called by run() while it holds the pool.
    void resize(int workers) {
        if ((int)workers_.size() == workers) return;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
            job_.epoch.fetch_add(1, std::memory_order_seq_cst);
            wake_.notify_all();
        }
        for (std::thread& t : workers_) t.join();
        workers_.clear();
        stop_ = false;
        // Each worker starts from the current epoch, read here: a job posted before it is scheduled still wakes it.
        uint64_t start = job_.epoch.load(std::memory_order_acquire);
        for (int i = 0; i < workers; i++) {
            try {
                workers_.emplace_back([this, i, start] { loop(i + 1, start); });
            } catch (...) {
                break;  // the system refused another thread: run with the workers we have
            }
        }
    }

    void loop(int tid, uint64_t seen) {
        for (;;) {
            uint64_t e = wait_for_job(seen);
            if (stop_) return;
            seen = e;
            if (tid < job_.nt) job_.task(job_.ctx, tid, job_.nt);
            pending_.fetch_sub(1, std::memory_order_release);
        }
    }

    uint64_t wait_for_job(uint64_t seen) {
        auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(SPIN_MICROS);
        uint64_t parks = job_.parks.load(std::memory_order_relaxed);
        for (int i = 1;; i++) {
            uint64_t e = job_.epoch.load(std::memory_order_acquire);
            if (e != seen) return e;
            if (job_.parks.load(std::memory_order_relaxed) != parks) break;
            ENGINE_CPU_RELAX();
            if ((i & 63) == 0 && std::chrono::steady_clock::now() > until) break;
        }
        std::unique_lock<std::mutex> lock(mutex_);
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        wake_.wait(lock, [&] { return job_.epoch.load(std::memory_order_seq_cst) != seen; });
        sleepers_.fetch_sub(1, std::memory_order_relaxed);
        return job_.epoch.load(std::memory_order_acquire);
    }

    // The job and its epoch share one cache line, written once per job by the caller and polled by the
    // workers; the completion count has its own line, polled by the caller: one line transfer each way.
    struct alignas(64) Job {
        std::atomic<uint64_t> epoch{0};
        std::atomic<uint64_t> parks{0};  // bumped by park(): spinning workers go to sleep at once
        Task task = nullptr;
        void* ctx = nullptr;
        int nt = 1;
    };
    Job job_;
    alignas(64) std::atomic<int> pending_{0};
    alignas(64) std::atomic<int> sleepers_{0};
    std::atomic_flag busy_ = ATOMIC_FLAG_INIT;
    std::atomic<bool> stop_{false};
    std::vector<std::thread> workers_;
    int requested_ = 0;  // most workers asked for so far
    std::mutex mutex_;
    std::condition_variable wake_;
};

// The process-wide pool (with the backend registry, the only global state: one per loaded library). Never
// destroyed: joining workers from a static destructor at JVM exit could race a kernel still running.
inline ThreadPool& thread_pool() { static ThreadPool* pool = new ThreadPool(); return *pool; }

// The pool's entry into body, compiled for each instruction set like the kernels (a lambda does not
// inherit its enclosing function's target, so without this the body would run baseline x86-64 code);
// flatten inlines the body and everything it calls into each clone.
template <typename F>
ENGINE_POOL_DISPATCH __attribute__((flatten)) void run_body(void* body, int t, int nt) { (*static_cast<F*>(body))(t, nt); }

// Runs body(t, nt) on nt threads of the pool; body(0, 1) on the caller when nt <= 1 or the pool is busy.
// Either way the body runs through run_body's clone for this CPU.
template <typename F>
inline void run_on_threads(int nt, F&& body) {
    typedef typename std::remove_reference<F>::type Body;
    if (nt <= 1) { run_body<Body>((void*)&body, 0, 1); return; }
    thread_pool().run(&run_body<Body>, (void*)&body, nt);
}

}  // namespace engine
