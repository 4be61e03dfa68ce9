// GEMM driver: times pk::f32_gemm from C++ (no N-API), the same kernel the
// addon calls, so bench/gemm.bench.ts can report the binding's overhead.
// Usage: gemm_driver M N K [reps] [nn|tb|tn|tt] [tiles]   -> prints one JSON object
//        (nn: neither operand transposed, tb: B, tn: A, tt: both)
//        (tiles: the built-in AVX-512 kernel instead of the dispatched one)
//        gemm_driver peak [threads]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "backend.h"
#include "gemm.h"
#include "peak.h"
#include "parallel.h"

int main(int argc, char** argv) {
  if (argc >= 2 && std::string(argv[1]) == "peak") {
    int threads = argc >= 3 ? std::atoi(argv[2]) : pk::pool_threads();
    std::printf("{\"peakGflops\": %.3f, \"threads\": %d}\n", pk::f32_fma_peak_gflops(threads, 1.0), threads);
    return 0;
  }
  if (argc < 4) {
    std::fprintf(stderr, "usage: gemm_driver M N K [reps] | gemm_driver peak [threads]\n");
    return 2;
  }
  long m = std::atol(argv[1]), n = std::atol(argv[2]), k = std::atol(argv[3]);
  int reps = argc >= 5 ? std::atoi(argv[4]) : 20;
  const std::string layout = argc >= 6 ? argv[5] : "nn";
  const bool trans_a = layout == "tn" || layout == "tt", trans_b = layout == "tb" || layout == "tt";
  bool tiles = argc >= 7 && std::string(argv[6]) == "tiles";
#ifdef PK_HAVE_GEMM_AVX512
  if (tiles && pk::backend().simd != pk::Simd::avx512) {
    std::fprintf(stderr, "gemm_driver: the tiled kernel needs AVX-512\n");
    return 2;
  }
  const auto kernel = tiles ? pk::f32_gemm__avx512 : pk::f32_gemm;
#else
  if (tiles) {
    std::fprintf(stderr, "gemm_driver: built without the tiled kernel\n");
    return 2;
  }
  const auto kernel = pk::f32_gemm;
#endif
  std::vector<float> a(size_t(m * k), 0.5f), b(size_t(k * n), 0.25f), c(size_t(m * n), 0.0f);
  auto once = [&] {
    auto t0 = std::chrono::steady_clock::now();
    kernel(pk::gemm_packed(c.data(), a.data(), b.data(), trans_a, trans_b, m, n, k, 1.0f, 0.0f));
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  // Enough warm-up calls for about 50 ms, as the TypeScript side gets.
  double first = once();
  for (int i = 0; i < 3 || i * first < 0.05; ++i) once();
  std::vector<double> times;
  for (int i = 0; i < reps; ++i) times.push_back(once());
  std::sort(times.begin(), times.end());
  double median = times[times.size() / 2];
  std::printf("{\"m\": %ld, \"n\": %ld, \"k\": %ld, \"medianSeconds\": %.9g, \"gflops\": %.3f}\n", m, n, k, median,
              2.0 * m * n * k / median / 1e9);
  return 0;
}
