// A small persistent thread pool for the kernels that prunekit threads itself
// (sparse products, selection, masking, and the split of GEMM across
// single-threaded OpenBLAS calls).
#pragma once

#include <functional>

namespace pk {

// Threads a parallel_for uses, the calling thread included (>= 1).
int pool_threads();
// Sets the thread count (clamped to [1, 64]); takes effect on the next call.
void set_pool_threads(int threads);

// Runs fn(task) for every task in [0, tasks). The calling thread takes part.
// When another parallel_for is already running (e.g. two async jobs at once)
// the tasks run serially on the caller instead of waiting for the pool.
void parallel_for(int tasks, const std::function<void(int)>& fn);

// Splits [0, n) into `parts` contiguous ranges; returns the start of range p.
inline long long split_point(long long n, int parts, int p) {
  return n * p / parts;
}

}  // namespace pk
