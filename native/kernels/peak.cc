// FMA throughput loop: 12 independent accumulator chains hide the FMA latency
// on every x86 core prunekit targets (latency 4, two ports -> 8 in flight).
#include "peak.h"

#include <algorithm>
#include <vector>
#include <chrono>

#include "backend.h"
#include "common.h"
#include "parallel.h"

namespace pk {
namespace {

constexpr int kChains = 12;
constexpr long kRounds = 1 << 20;

#define PK_FMA_BODY(VW)                                                  \
  typedef float vf __attribute__((vector_size(VW * 4)));                 \
  vf acc[kChains];                                                       \
  for (int c = 0; c < kChains; ++c) acc[c] = vf{} + float(c + 1) * 1e-3f; \
  vf mul = vf{} + 0.999999f, add = vf{} + 1e-7f;                         \
  for (long r = 0; r < rounds; ++r) {                                    \
    _Pragma("GCC unroll 12") for (int c = 0; c < kChains; ++c) acc[c] = acc[c] * mul + add; \
  }                                                                      \
  float sink = 0;                                                        \
  for (int c = 0; c < kChains; ++c) sink += acc[c][0];                   \
  return sink;

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((target("avx512f,fma"))) float fma_loop_avx512(long rounds) { PK_FMA_BODY(16) }
__attribute__((target("avx2,fma"))) float fma_loop_avx2(long rounds) { PK_FMA_BODY(8) }
#endif
float fma_loop_generic(long rounds) { PK_FMA_BODY(4) }

// Flops per call of the loop at the chosen width.
double run_loop(long rounds, float* sink) {
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
  if (backend().simd == Simd::avx512) {
    *sink += fma_loop_avx512(rounds);
    return 2.0 * 16 * kChains * double(rounds);
  }
  if (backend().simd == Simd::avx2) {
    *sink += fma_loop_avx2(rounds);
    return 2.0 * 8 * kChains * double(rounds);
  }
#endif
  *sink += fma_loop_generic(rounds);
  return 2.0 * 4 * kChains * double(rounds);
}

}  // namespace

double f32_fma_peak_gflops(int threads, double seconds) {
  using clock = std::chrono::steady_clock;
  threads = std::max(1, threads);
  int saved = pool_threads();
  set_pool_threads(threads);
  std::vector<double> flops(size_t(threads), 0.0);
  std::vector<float> sinks(size_t(threads), 0.0f);
  auto start = clock::now();
  auto deadline = start + std::chrono::duration<double>(seconds);
  parallel_for(threads, [&](int t) {
    float sink = 0;
    double mine = 0;
    while (clock::now() < deadline) mine += run_loop(kRounds / 16, &sink);
    flops[size_t(t)] = mine;
    sinks[size_t(t)] = sink;
  });
  double elapsed = std::chrono::duration<double>(clock::now() - start).count();
  set_pool_threads(saved);
  double total = 0, sink = 0;
  for (int t = 0; t < threads; ++t) total += flops[size_t(t)], sink += sinks[size_t(t)];
  // The sink keeps the loop's result observable so it cannot be optimised away.
  return total / elapsed / 1e9 + (sink == 12345.0 ? 1e-30 : 0.0);
}

}  // namespace pk
