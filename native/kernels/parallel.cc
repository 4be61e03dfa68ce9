// Thread pool: workers spin briefly after a job before sleeping, so that the
// back-to-back calls of a training loop or a server do not pay a futex wake.
#include "parallel.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

namespace pk {
namespace {

// Set while this thread runs a task of the pool.
thread_local bool in_task = false;

class Pool {
 public:
  explicit Pool(int threads) : threads_(std::max(1, threads)) {}

  int threads() const { return threads_.load(); }
  void set_threads(int threads) { threads_.store(std::clamp(threads, 1, 64)); }

  void run(int tasks, const std::function<void(int)>& fn) {
    int wanted = std::min(tasks, threads_.load());
    // A parallel_for inside a task runs serially: its thread may hold busy_
    // already, and locking a std::mutex twice is undefined.
    if (wanted <= 1 || in_task) {
      for (int t = 0; t < tasks; ++t) fn(t);
      return;
    }
    std::unique_lock<std::mutex> busy(busy_, std::try_to_lock);
    if (!busy.owns_lock()) {
      for (int t = 0; t < tasks; ++t) fn(t);
      return;
    }
    error_ = nullptr;
    ensure_workers(wanted - 1);
    {
      std::lock_guard<std::mutex> lock(mutex_);
      job_ = &fn;
      tasks_ = tasks;
      next_.store(1);  // task 0 is the caller's (below)
      helpers_ = wanted - 1;
      pending_.store(tasks);
      generation_.fetch_add(1, std::memory_order_release);
    }
    wake_.notify_all();
    // The caller always runs task 0 and the helpers claim the rest, so the
    // first range of a call stays on the calling thread call after call, its
    // data in that thread's cache (batch-1 inference re-reads its weight
    // half). The caller then takes any task no helper has claimed yet: a
    // descheduled helper never holds a call up.
    run_task(0);
    work();
    // Wait for tasks other threads took (they finish in microseconds), then
    // retire the job once no helper is inside work(): a helper that woke late
    // must never claim a task of the next job with this job's function.
    while (pending_.load(std::memory_order_acquire) != 0) std::this_thread::yield();
    for (;;) {
      std::lock_guard<std::mutex> lock(mutex_);
      if (inside_.load() == 0) {
        job_ = nullptr;
        break;
      }
    }
    // A task that threw (e.g. std::bad_alloc) is reported on the caller's
    // thread, after every task has finished.
    if (error_) std::rethrow_exception(error_);
  }

 private:
  void ensure_workers(int count) {
    while (static_cast<int>(workers_.size()) < count) {
      int id = static_cast<int>(workers_.size());
      // The worker must see the job about to be published as new.
      unsigned long long seen = generation_.load();
      workers_.emplace_back([this, id, seen] { loop(id, seen); });
      workers_.back().detach();
    }
  }

  void run_task(int t) {
    in_task = true;
    try {
      (*job_)(t);
    } catch (...) {
      std::lock_guard<std::mutex> lock(error_mutex_);
      if (!error_) error_ = std::current_exception();
    }
    in_task = false;
    pending_.fetch_sub(1, std::memory_order_acq_rel);
  }

  void work() {
    const int tasks = tasks_;
    for (int t = next_.fetch_add(1); t < tasks; t = next_.fetch_add(1)) run_task(t);
  }

  void loop(int id, unsigned long long seen) {
    for (;;) {
      // Spin ~200 us for the next job, then sleep on the condition variable.
      auto spin_until = std::chrono::steady_clock::now() + std::chrono::microseconds(200);
      while (generation_.load(std::memory_order_acquire) == seen &&
             std::chrono::steady_clock::now() < spin_until) {
      }
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return generation_.load() != seen; });
      seen = generation_.load();
      bool chosen = id < helpers_ && job_ != nullptr;
      if (chosen) inside_.fetch_add(1);
      lock.unlock();
      if (chosen) {
        work();
        inside_.fetch_sub(1);
      }
    }
  }

  std::atomic<int> threads_;
  std::mutex busy_;
  std::mutex mutex_;
  std::condition_variable wake_;
  std::vector<std::thread> workers_;
  const std::function<void(int)>* job_ = nullptr;
  int tasks_ = 0;
  int helpers_ = 0;
  std::atomic<int> next_{0};
  std::atomic<int> pending_{0};
  std::atomic<int> inside_{0};
  std::mutex error_mutex_;
  std::exception_ptr error_;
  std::atomic<unsigned long long> generation_{0};
};

Pool& pool() {
  // Leaked on purpose: detached workers may outlive static destruction.
  static Pool* instance = new Pool(static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
  return *instance;
}

}  // namespace

int pool_threads() { return pool().threads(); }
void set_pool_threads(int threads) { pool().set_threads(threads); }
void parallel_for(int tasks, const std::function<void(int)>& fn) {
  if (tasks <= 0) return;
  pool().run(tasks, fn);
}

}  // namespace pk
