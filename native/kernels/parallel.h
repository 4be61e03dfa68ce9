// A small persistent thread pool for the kernels that prunekit threads itself
// (sparse products, selection, masking, and the split of GEMM across
// single-threaded OpenBLAS calls).
#pragma once

#include <algorithm>
#include <functional>
#include <vector>

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

// Elements per task below which one thread is faster (a hand-off costs ~1 us).
constexpr long long kParallelMin = 1 << 16;

// fn(lo, hi) over contiguous ranges covering [0, n): one per thread, none
// under kParallelMin elements (so small n runs on the caller alone).
template <typename Fn>
void parallel_ranges(long long n, Fn fn) {
  const int tasks = int(std::min<long long>(pool_threads(), std::max<long long>(1, n / kParallelMin)));
  if (tasks == 1) return fn(0LL, n);
  parallel_for(tasks, [&](int t) { fn(split_point(n, tasks, t), split_point(n, tasks, t + 1)); });
}

// fn(i) for every i in [0, n), one contiguous range per thread (task t
// always gets the same range for the same thread count): for items, such as
// images, each worth a hand-off.
template <typename Fn>
void parallel_each(long long n, Fn fn) {
  const int parts = int(std::min<long long>(pool_threads(), n));
  if (parts <= 0) return;
  parallel_for(parts, [&](int t) {
    for (long long i = split_point(n, parts, t); i < split_point(n, parts, t + 1); ++i) fn(i);
  });
}

// The sum of fn(lo, hi) over fixed blocks of `block` elements, added in
// block order: the threads only choose who sums a block, so the result is
// the same for any thread count.
template <typename Fn>
double parallel_block_sum(long long n, long long block, Fn fn) {
  const long long blocks = (n + block - 1) / block;
  if (blocks <= 1) return fn(0LL, n);
  std::vector<double> partial(static_cast<size_t>(blocks), 0.0);
  parallel_ranges(n, [&](long long lo, long long hi) {
    for (long long b = (lo + block - 1) / block; b * block < hi; ++b)
      partial[static_cast<size_t>(b)] = fn(b * block, std::min(n, (b + 1) * block));
  });
  double total = 0.0;
  for (double p : partial) total += p;
  return total;
}

}  // namespace pk
