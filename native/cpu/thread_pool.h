// The engine's own worker pool: thread_count()-1 workers plus the calling thread. A worker that finishes
// a job spins for a short while (SPIN_MICROS) before it sleeps, so the back-to-back kernels of one
// inference or training step wake it in well under a microsecond instead of a futex round trip
// (libgomp's passive mode costs several microseconds per region; its active mode spins for much longer
// and starved OpenBLAS on the 2-core machines). One job runs at a time: a caller that finds the pool
// busy (another thread's job, or a kernel nested in a job) runs its work inline on its own thread.
#pragma once
#include <atomic>
#include <cstdint>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>
#include <type_traits>
#if defined(__linux__)
#include <sched.h>
#endif
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
    // Most parts one job may have (the claim counter's 16 bits).
    static constexpr int MAX_PARTS = 0xffff;

    typedef void (*Task)(void* ctx, int tid, int nt);

    // Runs task(ctx, t, parts) for t in [0, parts) on up to nt threads, t = 0 on the calling thread;
    // returns when all have finished. Indices 1.. are claimed by whoever gets there first: a worker, or the
    // caller once its own part is done. So the caller never waits for a worker that has not started (one
    // that is still asleep, or was woken onto the caller's own core and cannot run until the caller stops):
    // it runs that part itself; with more parts than threads, a thread that a busy host slows down takes
    // fewer of them. parts defaults to nt (at most the workers + 1 when fewer threads exist). With the pool
    // busy, or nt <= 1, runs task(ctx, 0, 1) inline: the task must do all the work.
    // An exception thrown by any part (on any thread) is caught where it is thrown, the job still runs to
    // its end, and the first one is rethrown here, on the caller, once every part has finished.
    void run(Task task, void* ctx, int nt, int parts = 0) {
        if (nt <= 1 || busy_.test_and_set(std::memory_order_acquire)) {
            task(ctx, 0, 1);
            return;
        }
        if (nt - 1 > requested_) {  // grow once per new size, even if the system gave fewer threads
            requested_ = nt - 1;
            resize(requested_);
        }
        const int used = parts > 0 ? std::min(parts, MAX_PARTS) : std::min<int>(nt, (int)workers_.size() + 1);
        task_.store(task, std::memory_order_relaxed);
        ctx_.store(ctx, std::memory_order_relaxed);
        caller_cpu_.store(current_cpu(), std::memory_order_relaxed);
        done_.store(0, std::memory_order_relaxed);
        const uint32_t e = epoch_of(state_.load(std::memory_order_relaxed)) + 1;
        state_.store(pack(e, used, 1), std::memory_order_seq_cst);  // index 0 is the caller's
        if (sleepers_.load(std::memory_order_seq_cst) > 0) {
            std::lock_guard<std::mutex> lock(mutex_);
            wake_.notify_all();
        }
        guarded(task, ctx, 0, used);  // error_ is null here: every job clears it before it releases the pool
        int mine = 1, t, n;
        while (claim(e, t, n)) { guarded(task, ctx, t, used); mine++; }
        for (int spins = 0; done_.load(std::memory_order_acquire) != used - mine; spins++) {
            if (spins < 4096) ENGINE_CPU_RELAX();
            else std::this_thread::yield();
        }
        std::exception_ptr failure = error_;  // every part is done: no worker writes it any more
        error_ = nullptr;
        busy_.clear(std::memory_order_release);
        if (failure) std::rethrow_exception(failure);
    }

    // Sends spinning workers to sleep now: called before another thread pool (OpenBLAS's) needs the cores.
    void park() { parks_.fetch_add(1, std::memory_order_relaxed); }

private:
    // state_: job epoch (32 bits) | thread count of the job (16) | next index to claim (16).
    static uint64_t pack(uint32_t epoch, int nt, int next) { return (uint64_t)epoch << 32 | (uint64_t)(nt & 0xffff) << 16 | (uint64_t)(next & 0xffff); }
    static uint32_t epoch_of(uint64_t s) { return (uint32_t)(s >> 32); }

    // Runs one part of the job; an exception (an allocation in a kernel, say) must not escape a worker
    // thread (that would terminate the JVM), so the first one is kept for run() to rethrow on the caller.
    void guarded(Task task, void* ctx, int t, int nt) {
        try {
            task(ctx, t, nt);
        } catch (...) {
            std::lock_guard<std::mutex> lock(error_mutex_);
            if (!error_) error_ = std::current_exception();
        }
    }

    // Claims the next index of job e: true with t (the index) and nt; false when none is left or the job is over.
    bool claim(uint32_t e, int& t, int& nt) {
        uint64_t s = state_.load(std::memory_order_acquire);
        for (;;) {
            nt = (int)(s >> 16 & 0xffff);
            t = (int)(s & 0xffff);
            if (epoch_of(s) != e || t >= nt) return false;
            if (state_.compare_exchange_weak(s, s + 1, std::memory_order_acq_rel, std::memory_order_acquire)) return true;
        }
    }

    // Changes the number of workers (joins the old ones). Called by run() while it holds the pool.
    void resize(int workers) {
        if ((int)workers_.size() == workers) return;
        {
            std::lock_guard<std::mutex> lock(mutex_);
            stop_ = true;
            state_.store(pack(epoch_of(state_.load()) + 1, 0, 0), std::memory_order_seq_cst);
            wake_.notify_all();
        }
        for (std::thread& t : workers_) t.join();
        workers_.clear();
        stop_ = false;
        // Each worker starts from the current epoch, read here: a job posted before it is scheduled still wakes it.
        uint32_t start = epoch_of(state_.load(std::memory_order_acquire));
        for (int i = 0; i < workers; i++) {
            try {
                workers_.emplace_back([this, start] { loop(start); });
            } catch (...) {
                break;  // the system refused another thread: run with the workers we have
            }
        }
    }

    void loop(uint32_t seen) {
        for (;;) {
            bool slept = false;
            uint32_t e = wait_for_job(seen, slept);
            if (stop_) return;
            seen = e;
            if (slept) leave_callers_cpu();
            int t, nt;
            while (claim(e, t, nt)) {
                // the job cannot finish (and task_/ctx_ cannot change) before this index is done
                guarded(task_.load(std::memory_order_relaxed), ctx_.load(std::memory_order_relaxed), t, nt);
                done_.fetch_add(1, std::memory_order_release);
            }
        }
    }

    static int current_cpu() {
#if defined(__linux__)
        return sched_getcpu();
#else
        return -1;
#endif
    }

    // A worker woken from sleep may be placed on the caller's own CPU (a hypervisor marks an idle vCPU as
    // preempted, so Linux avoids waking threads onto it), where it cannot run until the caller stops, and
    // stays there for milliseconds (figures: benchmarks/results/NOTES.md, "idle spells"). Such a worker
    // moves itself: its allowed CPUs minus this one for a moment (the move happens at once), then all again.
    void leave_callers_cpu() {
#if defined(__linux__)
        int cpu = current_cpu();
        if (cpu < 0 || cpu != caller_cpu_.load(std::memory_order_relaxed)) return;
        cpu_set_t all, others;
        if (sched_getaffinity(0, sizeof all, &all) != 0 || !CPU_ISSET(cpu, &all) || CPU_COUNT(&all) < 2) return;
        others = all;
        CPU_CLR(cpu, &others);
        if (sched_setaffinity(0, sizeof others, &others) == 0) sched_setaffinity(0, sizeof all, &all);
#endif
    }

    uint32_t wait_for_job(uint32_t seen, bool& slept) {
        auto until = std::chrono::steady_clock::now() + std::chrono::microseconds(SPIN_MICROS);
        uint64_t parks = parks_.load(std::memory_order_relaxed);
        for (int i = 1;; i++) {
            uint32_t e = epoch_of(state_.load(std::memory_order_acquire));
            if (e != seen) return e;
            if (parks_.load(std::memory_order_relaxed) != parks) break;
            ENGINE_CPU_RELAX();
            if ((i & 63) == 0 && std::chrono::steady_clock::now() > until) break;
        }
        slept = true;
        std::unique_lock<std::mutex> lock(mutex_);
        sleepers_.fetch_add(1, std::memory_order_seq_cst);
        wake_.wait(lock, [&] { return epoch_of(state_.load(std::memory_order_seq_cst)) != seen; });
        sleepers_.fetch_sub(1, std::memory_order_relaxed);
        return epoch_of(state_.load(std::memory_order_acquire));
    }

    // The job (state and what to run) on one cache line, written once per job by the caller and polled by
    // the workers; the completion count on its own line, polled by the caller.
    alignas(64) std::atomic<uint64_t> state_{0};
    std::atomic<Task> task_{nullptr};
    std::atomic<void*> ctx_{nullptr};
    std::atomic<uint64_t> parks_{0};  // bumped by park(): spinning workers go to sleep at once
    std::atomic<int> caller_cpu_{-1};  // the CPU the current job's caller ran on when it posted the job
    alignas(64) std::atomic<int> done_{0};  // indices finished by workers in the current job
    alignas(64) std::atomic<int> sleepers_{0};
    std::atomic_flag busy_ = ATOMIC_FLAG_INIT;
    std::atomic<bool> stop_{false};
    std::vector<std::thread> workers_;
    int requested_ = 0;  // most workers asked for so far
    std::mutex mutex_;
    std::condition_variable wake_;
    std::mutex error_mutex_;
    std::exception_ptr error_;  // the first exception of the current job (see guarded)
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

// A body and its part count, for run_parts.
template <typename F>
struct PartsJob { F* body; int parts; };

// run_parts' entry into the body: one part, or all of them in order when the pool runs the job inline
// (n == 1). Compiled for each instruction set like run_body.
template <typename F>
ENGINE_POOL_DISPATCH __attribute__((flatten)) void run_part(void* job, int t, int n) {
    const PartsJob<F>& j = *static_cast<PartsJob<F>*>(job);
    if (n == 1) for (int p = 0; p < j.parts; p++) (*j.body)(p);
    else (*j.body)(t);
}

// Runs body(p) for p in [0, parts) on up to nt threads, each part claimed by the next free thread, so on a
// host that stalls one thread the others take its share. parts must be independent (results must not
// depend on which thread runs which part); at most ThreadPool::MAX_PARTS.
template <typename F>
inline void run_parts(int nt, int parts, F&& body) {
    typedef typename std::remove_reference<F>::type Body;
    PartsJob<Body> job{&body, parts < 1 ? 0 : std::min(parts, (int)ThreadPool::MAX_PARTS)};
    if (nt <= 1 || job.parts <= 1) { run_part<Body>(&job, 0, 1); return; }
    thread_pool().run(&run_part<Body>, &job, nt, job.parts);
}

// Parts per thread that run_shares makes: a thread the host stalls holds back a quarter of its share.
const int SHARES_PER_THREAD = 4;

// Runs body(part, parts) over min(items, 4 nt) parts claimed by up to nt threads (see run_parts), for a
// body that works on items [items * part / parts, items * (part + 1) / parts) alone, the same whichever
// thread runs it (scratch per thread is fine, state per thread index is not). One thread, or the pool
// busy: body(0, 1) on the caller.
template <typename F>
inline void run_shares(int nt, long long items, F&& body) {
    const long long most = nt <= 1 ? 1 : (long long)SHARES_PER_THREAD * nt;
    const int parts = (int)std::max<long long>(1, std::min<long long>(items, most));
    run_parts(nt, parts, [&](int p) { body(p, parts); });
}

}  // namespace engine
