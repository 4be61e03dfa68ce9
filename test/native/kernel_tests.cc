// C++ kernel tests: every optimised kernel against its reference on random
// inputs of awkward sizes. Run by `npm test` (scripts/run-native-tests.js).
// Prints one line per failure and a closing "N passed, N failed" line.
#include <algorithm>
#include <thread>
#include <stdexcept>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "backend.h"
#include "conv.h"
#include "elementwise.h"
#include "gemm.h"
#include "gemm_small_m.h"
#include "mask.h"
#include "parallel.h"
#include "pool.h"
#include "regularize.h"
#include "select.h"
#include "spmm.h"
#include "transpose.h"

using pk::i64;

namespace {

int passed = 0, failed = 0;

void check(bool ok, const std::string& what) {
  if (ok) {
    ++passed;
  } else {
    ++failed;
    std::printf("FAIL %s\n", what.c_str());
  }
}

std::mt19937 rng(1234);

std::vector<float> randn(i64 n) {
  std::normal_distribution<float> d(0.0f, 1.0f);
  std::vector<float> v(static_cast<size_t>(n));
  for (auto& x : v) x = d(rng);
  return v;
}

// Relative error bound for float32 dot products of length k.
bool close(const std::vector<float>& a, const std::vector<float>& b, i64 k) {
  if (a.size() != b.size()) return false;
  double tol = 1e-5 * std::sqrt(double(std::max<i64>(k, 1))) + 1e-6;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::fabs(a[i] - b[i]) > tol * (1.0 + std::fabs(b[i]))) return false;
  return true;
}

std::string dims(const char* name, i64 m, i64 n, i64 k) {
  return std::string(name) + " " + std::to_string(m) + "x" + std::to_string(n) + "x" + std::to_string(k);
}

// --- gemm ---------------------------------------------------------------------

void test_gemm() {
  const i64 sizes[][3] = {{1, 1, 1}, {0, 5, 3}, {4, 0, 3}, {3, 4, 0}, {7, 13, 17}, {31, 37, 41},
                          {64, 64, 64}, {97, 1, 300}, {1, 300, 784}, {2, 10, 17}, {3, 37, 41}, {4, 300, 784},
                          {4, 7, 16}, {128, 100, 300}, {257, 129, 263}, {50, 64, 500}, {500, 64, 50}};
  const float alphas[] = {1.0f, -0.5f};
  const float betas[] = {0.0f, 1.0f, 0.25f};
  for (auto& s : sizes)
    for (int ta = 0; ta < 2; ++ta)
      for (int tb = 0; tb < 2; ++tb)
        for (float alpha : alphas)
          for (float beta : betas) {
            i64 m = s[0], n = s[1], k = s[2];
            auto a = randn(m * k), b = randn(k * n), c0 = randn(m * n);
            if (beta == 0.0f) std::fill(c0.begin(), c0.end(), NAN);  // must be ignored
            auto expect = c0, fast = c0, builtin = c0, serial = c0;
            pk::f32_gemm__reference(pk::gemm_packed(expect.data(), a.data(), b.data(), ta, tb, m, n, k, alpha, beta));
            pk::f32_gemm(pk::gemm_packed(fast.data(), a.data(), b.data(), ta, tb, m, n, k, alpha, beta));
            pk::f32_gemm__builtin(pk::gemm_packed(builtin.data(), a.data(), b.data(), ta, tb, m, n, k, alpha, beta));
            std::string tag = dims("gemm", m, n, k) + " ta=" + std::to_string(ta) + " tb=" + std::to_string(tb) +
                              " alpha=" + std::to_string(alpha) + " beta=" + std::to_string(beta);
            pk::f32_gemm_serial(pk::gemm_packed(serial.data(), a.data(), b.data(), ta, tb, m, n, k, alpha, beta));
            check(close(fast, expect, k), tag + " dispatched");
            check(close(serial, expect, k), tag + " serial");
            check(close(builtin, expect, k), tag + " builtin");
#ifdef PK_HAVE_GEMM_AVX512
            if (pk::backend().simd == pk::Simd::avx512) {
              auto tiled = c0;
              pk::f32_gemm__avx512(pk::gemm_packed(tiled.data(), a.data(), b.data(), ta, tb, m, n, k, alpha, beta));
              check(close(tiled, expect, k), tag + " avx512 tiles");
            }
#endif
          }
  // The batch-1..4 X.W^T kernels, each build the CPU can run (an AVX-512 CPU
  // runs the AVX2 one too), over K tails of every length mod 8 and mod 16.
  std::vector<pk::Simd> small_m_sets;
  if (pk::backend().simd != pk::Simd::generic) small_m_sets.push_back(pk::Simd::avx2);
  if (pk::backend().simd == pk::Simd::avx512) small_m_sets.push_back(pk::Simd::avx512);
  for (pk::Simd simd : small_m_sets)
    for (i64 m = 1; m <= 4; ++m)
      for (i64 n : {1, 3, 5, 37})
        for (i64 k = 16; k <= 800; k = k < 32 ? k + 1 : k + 768)  // 16..32, then 800
          for (float beta : {0.0f, 0.25f}) {
            auto a = randn(m * k), b = randn(k * n), c0 = randn(m * n);
            if (beta == 0.0f) std::fill(c0.begin(), c0.end(), NAN);
            auto expect = c0, got = c0;
            pk::f32_gemm__reference(pk::gemm_packed(expect.data(), a.data(), b.data(), false, true, m, n, k, -0.5f, beta));
            const auto g = pk::gemm_packed(got.data(), a.data(), b.data(), false, true, m, n, k, -0.5f, beta);
            check(pk::small_m_xwt_applies(g), dims("small-m applies", m, n, k));
            pk::small_m_xwt_on(simd, g, 0, n);
            check(close(got, expect, k), dims("small-m xwt", m, n, k) + " " + pk::simd_name(simd) +
                                             " beta=" + std::to_string(beta));
          }
#ifdef PK_HAVE_GEMM_AVX512
  // Past every block edge of the tiled kernel: k > 512 (two depth blocks),
  // n > 1024 (two column blocks), m > 112 (two row blocks per thread), on one
  // thread and split across two.
  if (pk::backend().simd == pk::Simd::avx512) {
    const int saved = pk::pool_threads();
    for (int threads : {1, 2})
      for (int ta = 0; ta < 2; ++ta)
        for (int tb = 0; tb < 2; ++tb) {
          pk::set_pool_threads(threads);
          const i64 m = 250, n = 1050, k = 531;
          auto a = randn(m * k), b = randn(k * n), c0 = randn(m * n);
          auto expect = c0, tiled = c0;
          pk::f32_gemm__reference(pk::gemm_packed(expect.data(), a.data(), b.data(), ta, tb, m, n, k, 0.5f, 0.25f));
          pk::f32_gemm__avx512(pk::gemm_packed(tiled.data(), a.data(), b.data(), ta, tb, m, n, k, 0.5f, 0.25f));
          check(close(tiled, expect, k), dims("gemm avx512 tiles", m, n, k) + " ta=" + std::to_string(ta) +
                                             " tb=" + std::to_string(tb) + " threads=" + std::to_string(threads));
        }
    pk::set_pool_threads(saved);
  }
#endif
}

// --- transpose ----------------------------------------------------------------

void test_transpose() {
  const i64 shapes[][2] = {{0, 3}, {1, 1}, {1, 17}, {16, 16}, {15, 33}, {32, 784}, {300, 32}, {37, 5}};
  for (auto& sh : shapes) {
    const i64 rows = sh[0], cols = sh[1], ld_src = cols + 3, ld_dst = rows + 5;
    auto src = randn(std::max<i64>(rows, 1) * ld_src);
    // Untouched gaps must stay as they were: start both outputs from the same junk.
    auto got = randn(std::max<i64>(cols, 1) * ld_dst), want = got;
    pk::f32_transpose(got.data(), ld_dst, src.data(), ld_src, rows, cols);
    pk::f32_transpose__reference(want.data(), ld_dst, src.data(), ld_src, rows, cols);
    check(got == want, dims("transpose", rows, cols, 0));
  }
}

void test_gather_rows() {
  for (i64 width : {i64(1), i64(5), i64(784)})
    for (i64 count : {i64(0), i64(1), i64(3), i64(128)}) {
      const i64 src_rows = 200;
      auto src = randn(src_rows * width);
      std::vector<std::int32_t> rows(static_cast<size_t>(count));
      for (auto& r : rows) r = std::int32_t(rng() % src_rows);
      auto got = randn(count * width);
      std::vector<float> want(got.size());
      for (i64 r = 0; r < count; ++r)
        for (i64 j = 0; j < width; ++j) want[size_t(r * width + j)] = src[size_t(rows[size_t(r)] * width + j)];
      const i64 bad = pk::f32_gather_rows(got.data(), src.data(), src_rows, width, rows.data(), count);
      check(bad == -1 && got == want, dims("gather_rows", count, width, 0));
      if (count < 3) continue;
      // A bad index anywhere: reported by position, and nothing is written.
      rows[2] = std::int32_t(src_rows);
      auto untouched = randn(count * width), before = untouched;
      check(pk::f32_gather_rows(untouched.data(), src.data(), src_rows, width, rows.data(), count) == 2 && untouched == before,
            dims("gather_rows refuses row 200 of 200", count, width, 0));
      rows[2] = -1;
      check(pk::f32_gather_rows(untouched.data(), src.data(), src_rows, width, rows.data(), count) == 2 && untouched == before,
            dims("gather_rows refuses row -1", count, width, 0));
    }
}

// Dropout: the same mask on any thread count (chunk edges included), a
// stream that continues across calls, and y, dx that match the mask.
void test_dropout() {
  const int threads = pk::pool_threads();
  for (i64 n : {i64(0), i64(1), i64(1000), i64(3 * 65536 + 7)}) {
    auto x = randn(n);
    const size_t len = static_cast<size_t>(n);
    std::vector<float> y(len), y1(len), halves(len);
    std::vector<std::uint8_t> keep(len), keep1(len), keep_halves(len);
    pk::f32_dropout_forward(y.data(), keep.data(), x.data(), n, 0.3, 5, 17);
    pk::set_pool_threads(1);
    pk::f32_dropout_forward(y1.data(), keep1.data(), x.data(), n, 0.3, 5, 17);
    pk::set_pool_threads(threads);
    const i64 h = n / 2;
    pk::f32_dropout_forward(halves.data(), keep_halves.data(), x.data(), h, 0.3, 5, 17);
    pk::f32_dropout_forward(halves.data() + h, keep_halves.data() + h, x.data() + h, n - h, 0.3, 5, 17 + std::uint64_t(h));
    check(y == y1 && keep == keep1 && y == halves && keep == keep_halves, dims("dropout repeats", n, threads, 0));
    bool consistent = true;
    i64 kept = 0;
    auto dy = randn(n);
    std::vector<float> dx(len);
    pk::f32_dropout_backward(dx.data(), dy.data(), keep.data(), n, 0.3);
    const double scale = 1.0 / 0.7;
    for (i64 i = 0; i < n; ++i) {
      const size_t k = size_t(i);
      kept += keep[k];
      consistent &= (keep[k] == 1 && y[k] == float(double(x[k]) * scale) && dx[k] == float(double(dy[k]) * scale)) ||
                    (keep[k] == 0 && y[k] == 0.0f && dx[k] == 0.0f);
    }
    check(consistent, dims("dropout y and dx follow keep", n, threads, 0));
    if (n > 100000) check(std::fabs(double(kept) / double(n) - 0.7) < 0.01, dims("dropout keeps 1 - p", n, threads, 0));
  }
}

// Regularizers against plain loops in long double, across block edges, with
// the same bits on any thread count.
void test_regularize() {
  const int threads = pk::pool_threads();
  std::vector<double> small_book = {-0.5, -0.1, 0.0, 0.3, 0.3, 0.9}, big_book(300);
  for (size_t j = 0; j < big_book.size(); ++j) big_book[j] = std::sin(double(j) * 7.1) * 0.6;
  std::sort(big_book.begin(), big_book.end());
  auto nearest = [](const std::vector<double>& b, double x) {
    double q = b[0];
    for (double v : b)
      if (std::fabs(v - x) < std::fabs(q - x)) q = v;
    return q;
  };
  // The largest size splits over threads (at least 64K values each) unevenly across 16K blocks.
  for (i64 n : {i64(1), i64(31), i64(513), i64((1 << 14) * 5 + 3), i64((1 << 14) * 17 + 3)}) {
    auto w = randn(n);
    for (int kind = 0; kind < 5; ++kind) {
      auto slope = [&](double x) -> double {
        switch (kind) {
          case 0: return x;
          case 1: return x > 0 ? 1.0 : x < 0 ? -1.0 : 0.0;
          case 2: {  // Math.round: half up
            const double v = x / 0.25, r = std::floor(v);
            return x - (v - r >= 0.5 ? r + 1 : r) * 0.25;
          }
          case 3: return x - nearest(small_book, x);
          default: return x - nearest(big_book, x);
        }
      };
      long double want = 0;
      std::vector<float> grad_want(static_cast<size_t>(n));
      auto grad = randn(n);
      for (i64 i = 0; i < n; ++i) {
        const double x = w[size_t(i)], d = slope(x);
        want += kind == 0 ? x * x / 2 : kind == 1 ? std::fabs(x) : d * d / 2;
        grad_want[size_t(i)] = float(double(grad[size_t(i)]) + 0.3 * d);
      }
      auto run = [&](float* g) {
        if (kind < 3) return pk::f32_penalty(g, w.data(), n, pk::Penalty(kind), 0.3, 0.25);
        const auto& book = kind == 3 ? small_book : big_book;
        return pk::f32_penalty_codebook(g, w.data(), n, 0.3, book.data(), i64(book.size()));
      };
      const double got = run(grad.data());
      pk::set_pool_threads(1);
      const double got1 = run(nullptr);
      pk::set_pool_threads(threads);
      const std::string tag = dims(("penalty kind " + std::to_string(kind)).c_str(), n, threads, 0);
      check(std::fabs(double(got - want)) <= 1e-12 * (1 + std::fabs(double(want))) && got == got1, tag);
      bool close_grads = true;
      for (i64 i = 0; i < n; ++i)
        close_grads &= std::fabs(grad[size_t(i)] - grad_want[size_t(i)]) <= 1e-6f * (1 + std::fabs(grad_want[size_t(i)]));
      check(close_grads, tag + " gradient");
    }
  }
  // Group lasso on a [4, 3, 2] weight whose second row is zero: rows and channels.
  const i64 rows = 4, channels = 3, taps = 2;
  auto w = randn(rows * channels * taps);
  for (i64 i = 6; i < 12; ++i) w[size_t(i)] = 0.0f;
  for (bool by_channel : {false, true}) {
    const i64 groups = by_channel ? channels : rows;
    std::vector<long double> sq(size_t(groups), 0);
    auto group_of = [&](i64 i) { return by_channel ? (i % (channels * taps)) / taps : i / (channels * taps); };
    for (i64 i = 0; i < rows * channels * taps; ++i) sq[size_t(group_of(i))] += (long double)w[size_t(i)] * w[size_t(i)];
    const double root = std::sqrt(double(by_channel ? rows * taps : channels * taps));
    long double want = 0;
    for (auto s : sq) want += root * std::sqrt(double(s));
    std::vector<float> grad(w.size(), 0.0f);
    const double got = pk::f32_group_lasso(grad.data(), w.data(), rows, channels, taps, by_channel, 0.5);
    bool ok = std::fabs(double(got - want)) < 1e-12;
    for (i64 i = 0; i < rows * channels * taps; ++i) {
      const double norm = std::sqrt(double(sq[size_t(group_of(i))]));
      const float expect = norm > 0 ? float(0.5 * root / norm * w[size_t(i)]) : 0.0f;
      ok &= std::fabs(grad[size_t(i)] - expect) <= 1e-6f;
    }
    check(ok, by_channel ? "group lasso by channel" : "group lasso by row");
  }
  // An empty weight whose shape names 2^31 - 1 groups: nothing to allocate.
  check(pk::f32_group_lasso(nullptr, nullptr, 2147483647, 0, 1, false, 1.0) == 0.0 &&
            pk::f32_group_lasso(nullptr, nullptr, 0, 2147483647, 1, true, 1.0) == 0.0,
        "group lasso of an empty weight");
}

// --- sparse -------------------------------------------------------------------

std::vector<std::uint8_t> random_mask(i64 n, double sparsity) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  std::vector<std::uint8_t> m(static_cast<size_t>(n));
  for (auto& x : m) x = u(rng) >= sparsity;
  return m;
}

void test_sparse() {
  const i64 shapes[][2] = {{1, 1}, {3, 5}, {10, 784}, {300, 784}, {17, 33}};
  const i64 batches[] = {0, 1, 2, 3, 5, 15, 16, 17, 31, 32, 33, 64, 128};
  const double sparsities[] = {0.0, 0.5, 0.92, 0.99, 1.0};
  for (auto& sh : shapes)
    for (double sp : sparsities)
      for (i64 batch : batches) {
        i64 rows = sh[0], cols = sh[1];
        auto w = randn(rows * cols);
        auto mask = random_mask(rows * cols, sp);
        pk::Csr csr = pk::csr_from_dense(w.data(), mask.data(), rows, cols);
        pk::CsrView v = csr.view();
        auto x = randn(batch * cols), dy = randn(batch * rows), bias = randn(rows);
        std::vector<float> y(size_t(batch * rows), NAN), y_ref(y.size(), NAN);
        pk::f32_spmm_xwt(y.data(), x.data(), bias.data(), v, batch);
        pk::f32_spmm_xwt__reference(y_ref.data(), x.data(), bias.data(), v, batch);
        std::string tag = dims("spmm", rows, cols, batch) + " sparsity=" + std::to_string(sp);
        check(close(y, y_ref, cols), tag + " xwt");

        // Dense GEMM with the masked weight gives the same forward.
        auto wm = w;
        pk::f32_apply_mask(wm.data(), mask.data(), rows * cols);
        std::vector<float> y_dense(size_t(batch * rows));
        for (i64 b = 0; b < batch; ++b) std::copy(bias.begin(), bias.end(), y_dense.begin() + b * rows);
        pk::f32_gemm(pk::gemm_packed(y_dense.data(), x.data(), wm.data(), false, true, batch, rows, cols, 1.0f, 1.0f));
        check(close(y, y_dense, cols), tag + " xwt == dense");

        std::vector<float> dx(size_t(batch * cols), NAN), dx_ref(dx.size(), NAN);
        pk::f32_spmm_xw(dx.data(), dy.data(), v, batch);
        pk::f32_spmm_xw__reference(dx_ref.data(), dy.data(), v, batch);
        check(close(dx, dx_ref, rows), tag + " xw");

        std::vector<float> dw(size_t(rows * cols), NAN), dw_ref(dw.size(), NAN);
        pk::f32_sddmm(dw.data(), dy.data(), x.data(), v, batch);
        pk::f32_sddmm__reference(dw_ref.data(), dy.data(), x.data(), v, batch);
        check(close(dw, dw_ref, batch), tag + " sddmm");
      }
}

// --- masking --------------------------------------------------------------------

void test_masking() {
  for (i64 n : {i64(0), i64(1), i64(7), i64(1000003)}) {
    auto w = randn(n), g = randn(n), v = randn(n);
    auto mask = random_mask(n, 0.6);
    for (int nesterov = 0; nesterov < 2; ++nesterov) {
      auto w1 = w, v1 = v, w2 = w, v2 = v;
      pk::SgdParams p{0.1f, 0.9f, 1e-3f, bool(nesterov)};
      pk::f32_sgd_masked(w1.data(), v1.data(), g.data(), mask.data(), n, p);
      bool ok = true;
      for (i64 i = 0; i < n; ++i) {
        float grad = g[i] + p.weight_decay * w2[i];
        float vel = p.momentum * v2[i] + grad;
        float step = p.nesterov ? grad + p.momentum * vel : vel;
        float next = mask[i] ? w2[i] - p.lr * step : 0.0f;
        float vnext = mask[i] ? vel : 0.0f;
        if (std::fabs(next - w1[i]) > 1e-6f * (1 + std::fabs(next)) || std::fabs(vnext - v1[i]) > 1e-6f * (1 + std::fabs(vnext)))
          ok = false;
        if (!mask[i] && (std::signbit(w1[i]) || w1[i] != 0.0f)) ok = false;
      }
      check(ok, "sgd_masked n=" + std::to_string(n) + " nesterov=" + std::to_string(nesterov));
    }
    auto wm = w;
    pk::f32_apply_mask(wm.data(), mask.data(), n);
    bool ok = true;
    for (i64 i = 0; i < n; ++i) ok = ok && (mask[i] ? wm[i] == w[i] : wm[i] == 0.0f);
    check(ok, "apply_mask n=" + std::to_string(n));
  }
}

void test_sum_squares() {
  const int threads = pk::pool_threads();
  for (i64 n : {i64(0), i64(1), i64(31), i64(33), i64(16383), i64(16385), i64(100003), i64(1000003)}) {
    auto x = randn(n);
    long double reference = 0;
    for (float v : x) reference += (long double)v * v;
    pk::set_pool_threads(1);
    const double one = pk::f32_sum_squares(x.data(), n);
    pk::set_pool_threads(2);
    const double two = pk::f32_sum_squares(x.data(), n);
    pk::set_pool_threads(threads);
    check(std::fabs(one - double(reference)) <= 1e-12 * (1.0 + double(reference)) && one == two,
          "sum_squares n=" + std::to_string(n) + " (double precision, same for 1 and 2 threads)");
  }
  std::vector<float> big(70000, 1e20f);
  const double sum = pk::f32_sum_squares(big.data(), i64(big.size()));
  check(std::isfinite(sum) && std::fabs(sum / (70000.0 * 1e40) - 1) < 1e-6, "sum_squares of finite 1e20s is finite");
  big[69999] = std::nanf("");
  check(std::isnan(pk::f32_sum_squares(big.data(), i64(big.size()))), "sum_squares with a NaN is NaN");
  big[69999] = -INFINITY;
  check(std::isinf(pk::f32_sum_squares(big.data(), i64(big.size()))), "sum_squares with -Inf is Inf");
}

// --- selection ------------------------------------------------------------------

void compare_threshold(std::vector<std::vector<float>>& xs, i64 k, const std::string& tag) {
  std::vector<std::vector<std::uint8_t>> m1, m2;
  std::vector<pk::MagnitudeSpan> s1, s2;
  for (auto& x : xs) {
    m1.emplace_back(x.size(), 7);
    m2.emplace_back(x.size(), 9);
  }
  for (size_t i = 0; i < xs.size(); ++i) {
    s1.push_back({xs[i].data(), m1[i].data(), i64(xs[i].size())});
    s2.push_back({xs[i].data(), m2[i].data(), i64(xs[i].size())});
  }
  auto a = pk::f32_magnitude_threshold(s1.data(), i64(s1.size()), k);
  auto b = pk::f32_magnitude_threshold__reference(s2.data(), i64(s2.size()), k);
  check(a.threshold == b.threshold && a.pruned == b.pruned && a.nan_span == b.nan_span &&
            a.nan_index == b.nan_index && (a.nan_span >= 0 || m1 == m2),
        tag + " k=" + std::to_string(k));
}

void test_select() {
  for (i64 n : {i64(1), i64(2), i64(5), i64(97), i64(100000), i64(300001)}) {
    std::vector<std::vector<float>> xs{randn(n)};
    for (i64 k : {i64(0), i64(1), n / 2, n - 1, n}) compare_threshold(xs, k, "threshold n=" + std::to_string(n));
  }
  // Heavy ties: values from a tiny set, including +-0.
  {
    std::uniform_int_distribution<int> d(-3, 3);
    std::vector<std::vector<float>> xs(1, std::vector<float>(200003));
    for (auto& v : xs[0]) v = float(d(rng)) * 0.5f;
    for (i64 k : {i64(1), i64(20000), i64(100001), i64(199999)}) compare_threshold(xs, k, "threshold ties");
  }
  // Global over several spans, including an empty one.
  {
    std::vector<std::vector<float>> xs{randn(70001), {}, randn(3), randn(130000)};
    for (auto& v : xs[3]) v = std::round(v * 4) / 4;  // ties across spans
    i64 total = 200004;
    for (i64 k : {i64(0), i64(1), total / 3, total - 1, total}) compare_threshold(xs, k, "global threshold");
  }
  // Large enough for the sampled fast path (>= 262144 values): ties, several
  // spans, and input built so the sample brackets the wrong range (fallback).
  {
    std::uniform_int_distribution<int> d(-50, 50);
    std::vector<std::vector<float>> xs(1, std::vector<float>(1000003));
    for (auto& v : xs[0]) v = float(d(rng)) * 0.01f;
    for (i64 k : {i64(1), i64(123456), i64(500001), i64(999999)}) compare_threshold(xs, k, "threshold ties (sampled)");
    std::vector<std::vector<float>> spans{randn(400000), randn(17), randn(600000)};
    for (i64 k : {i64(1), i64(333333), i64(999990)}) compare_threshold(spans, k, "global threshold (sampled)");
    const i64 n = 1 << 20, samples = 1 << 16;
    std::vector<std::vector<float>> adversarial(1, std::vector<float>(size_t(n), 1.0f));
    for (i64 j = 0; j < samples; ++j) adversarial[0][size_t(((2 * j + 1) * n) / (2 * samples))] = 0.0f;
    for (i64 k : {i64(1), n / 2, n - 1}) compare_threshold(adversarial, k, "threshold (sample misleads)");
  }
  // NaN is reported, not selected.
  {
    std::vector<std::vector<float>> xs{randn(1000), randn(200000)};
    xs[1][123456] = NAN;
    xs[1][150000] = NAN;
    compare_threshold(xs, 500, "threshold NaN");
    compare_threshold(xs, 0, "threshold NaN, k = 0");
    std::vector<std::vector<float>> big{randn(500000)};
    big[0][499999] = NAN;
    compare_threshold(big, 1000, "threshold NaN (sampled)");
  }
  // Percentile against sorting.
  for (i64 n : {i64(1), i64(2), i64(10), i64(100001), i64(700001)}) {
    auto x = randn(n);
    auto sorted = x;
    std::sort(sorted.begin(), sorted.end());
    for (double q : {0.0, 12.5, 50.0, 90.0, 99.9, 100.0}) {
      double rank = q / 100.0 * double(n - 1);
      i64 lo = i64(rank);
      i64 hi = std::min(lo + 1, n - 1);
      double expect = sorted[size_t(lo)] + (double(sorted[size_t(hi)]) - sorted[size_t(lo)]) * (rank - double(lo));
      auto got = pk::f32_percentile(x.data(), n, q);
      check(got.nan_index == -1 && std::fabs(got.value - expect) <= 1e-6 * (1 + std::fabs(expect)),
            "percentile n=" + std::to_string(n) + " q=" + std::to_string(q));
    }
  }
}

// --- convolution ----------------------------------------------------------------

// The convolution's gradients against their definitions, in double.
void check_conv_backward(const pk::ConvShape& s, const std::vector<float>& x, const std::vector<float>& w, const std::string& tag) {
  const i64 oh = s.out_h(), ow = s.out_w(), O = s.out_channels;
  auto dy = randn(s.batch * O * oh * ow);
  std::vector<double> dw(w.size(), 0.0), db(size_t(O), 0.0), dx(x.size(), 0.0);
  for (i64 b = 0; b < s.batch; ++b)
    for (i64 o = 0; o < O; ++o)
      for (i64 oy = 0; oy < oh; ++oy)
        for (i64 ox = 0; ox < ow; ++ox) {
          const double g = dy[size_t(((b * O + o) * oh + oy) * ow + ox)];
          db[size_t(o)] += g;
          for (i64 c = 0; c < s.channels; ++c)
            for (i64 ky = 0; ky < s.kernel_h; ++ky)
              for (i64 kx = 0; kx < s.kernel_w; ++kx) {
                const i64 iy = oy * s.stride - s.padding + ky, ix = ox * s.stride - s.padding + kx;
                if (iy < 0 || iy >= s.height || ix < 0 || ix >= s.width) continue;
                const size_t xi = size_t(((b * s.channels + c) * s.height + iy) * s.width + ix);
                const size_t wi = size_t(((o * s.channels + c) * s.kernel_h + ky) * s.kernel_w + kx);
                dw[wi] += g * x[xi];
                dx[xi] += g * w[wi];
              }
        }
  std::vector<float> got_dw(w.size()), got_db(static_cast<size_t>(O)), got_dx(x.size(), NAN);
  pk::f32_conv2d_backward(got_dw.data(), got_db.data(), got_dx.data(), dy.data(), x.data(), w.data(), s);
  auto to_float = [](const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); };
  const i64 terms = s.batch * oh * ow;
  check(close(got_dw, to_float(dw), terms) && close(got_db, to_float(db), terms) && close(got_dx, to_float(dx), O * s.kernel_h * s.kernel_w),
        tag + " backward == definition (batch " + std::to_string(s.batch) + ")");
}

void test_conv() {
  const i64 cases[][9] = {
      // B, C, H, W, O, KH, KW, stride, padding
      {1, 1, 5, 5, 1, 3, 3, 1, 0}, {2, 3, 7, 6, 4, 3, 3, 1, 1}, {3, 2, 9, 9, 5, 5, 5, 2, 2},
      {2, 1, 28, 28, 20, 5, 5, 1, 0}, {1, 4, 8, 5, 3, 2, 3, 3, 1}, {5, 20, 12, 12, 50, 5, 5, 1, 0},
      {2, 2, 6, 7, 3, 5, 5, 1, 4},  // padding of kernel - 1 (the largest allowed)
      // Rows wider than one and two vectors, padded at both ends.
      {1, 2, 5, 40, 2, 3, 3, 1, 1}, {1, 1, 4, 35, 1, 3, 5, 1, 4}, {2, 3, 3, 17, 2, 1, 1, 1, 0},
      // No padding: 8-column rows two to a vector, with an odd row count left over.
      {1, 3, 9, 12, 2, 3, 5, 1, 0}, {1, 2, 11, 8, 1, 5, 1, 1, 0},
  };
  for (auto& c : cases) {
    pk::ConvShape s{c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8]};
    auto x = randn(s.batch * s.channels * s.height * s.width), w = randn(s.out_channels * s.patch()), b = randn(s.out_channels);
    i64 ny = s.batch * s.out_channels * s.out_h() * s.out_w();
    std::vector<float> y(static_cast<size_t>(ny)), y_ref(static_cast<size_t>(ny));
    pk::f32_conv2d_forward(y.data(), x.data(), w.data(), b.data(), s);
    pk::f32_conv2d_forward__reference(y_ref.data(), x.data(), w.data(), b.data(), s);
    std::string tag = "conv " + std::to_string(s.channels) + "x" + std::to_string(s.height) + "x" + std::to_string(s.width) +
                      " k" + std::to_string(s.kernel_h) + " s" + std::to_string(s.stride) + " p" + std::to_string(s.padding);
    check(close(y, y_ref, s.patch()), tag + " im2col + GEMM == direct");
    check_conv_backward(s, x, w, tag);
    // im2col against its definition, element by element.
    pk::ConvShape one = s;
    one.batch = 1;
    auto img = randn(s.channels * s.height * s.width), cols = randn(s.patch() * s.out_h() * s.out_w());
    std::vector<float> a(cols.size()), back(img.size(), 0.0f);
    for (int portable = 0; portable < 2; ++portable) {
      const std::string path = portable ? " (portable)" : "";
      std::fill(back.begin(), back.end(), 0.0f);
      std::fill(a.begin(), a.end(), NAN);  // every element must be written
      (portable ? pk::f32_im2col__portable : pk::f32_im2col)(a.data(), img.data(), one);
      bool same = true;
      const i64 ohw = s.out_h() * s.out_w();
      for (i64 c = 0; c < s.channels; ++c)
        for (i64 ky = 0; ky < s.kernel_h; ++ky)
          for (i64 kx = 0; kx < s.kernel_w; ++kx)
            for (i64 oy = 0; oy < s.out_h(); ++oy)
              for (i64 ox = 0; ox < s.out_w(); ++ox) {
                const i64 iy = oy * s.stride - s.padding + ky, ix = ox * s.stride - s.padding + kx;
                const bool inside = iy >= 0 && iy < s.height && ix >= 0 && ix < s.width;
                const float want = inside ? img[size_t((c * s.height + iy) * s.width + ix)] : 0.0f;
                same = same && a[size_t(((c * s.kernel_h + ky) * s.kernel_w + kx) * ohw + oy * s.out_w() + ox)] == want;
              }
      check(same, tag + " im2col matches its definition" + path);
      // col2im is the adjoint of im2col: <im2col(img), cols> == <img, col2im(cols)>
      (portable ? pk::f32_col2im__portable : pk::f32_col2im)(back.data(), cols.data(), one);
      double lhs = 0, rhs = 0;
      for (size_t i = 0; i < a.size(); ++i) lhs += double(a[i]) * cols[i];
      for (size_t i = 0; i < img.size(); ++i) rhs += double(img[i]) * back[i];
      check(std::fabs(lhs - rhs) <= 1e-4 * (1 + std::fabs(lhs)), tag + " col2im is im2col's adjoint" + path);
    }
  }
}

// Max pooling against a plain loop, with ties and NaN: first maximum wins,
// NaN beats numbers. Widths cover the masked AVX-512 rows (24 and 8 columns
// as in LeNet-5), more than 16 outputs per row, and odd widths.
void test_pool() {
  const i64 cases[][6] = {{2, 3, 24, 24, 2, 2}, {3, 2, 8, 8, 2, 2}, {1, 2, 9, 67, 2, 2}, {2, 1, 7, 5, 3, 2}, {1, 1, 6, 6, 3, 3},
                          {2, 2, 4, 40, 2, 2}, {1, 2, 6, 16, 2, 2}};  // rows of 20 and 8 outputs, written once
  for (auto& c : cases) {
    pk::PoolShape s{c[0], c[1], c[2], c[3], c[4], c[5]};
    const i64 n_in = s.batch * s.channels * s.height * s.width, n_out = s.batch * s.channels * s.out_h() * s.out_w();
    auto x = randn(n_in);
    for (auto& v : x) v = std::round(v * 2.0f) / 2.0f;  // few distinct values: ties in most windows
    for (i64 i = 3; i < n_in; i += 41) x[size_t(i)] = NAN;
    std::vector<float> y(static_cast<size_t>(n_out)), want_y(static_cast<size_t>(n_out));
    std::vector<std::int32_t> arg(static_cast<size_t>(n_out)), want_arg(static_cast<size_t>(n_out));
    pk::f32_maxpool2d_forward(y.data(), arg.data(), x.data(), s);
    for (i64 bc = 0; bc < s.batch * s.channels; ++bc)
      for (i64 oy = 0; oy < s.out_h(); ++oy)
        for (i64 ox = 0; ox < s.out_w(); ++ox) {
          i64 best = -1;
          for (i64 ky = 0; ky < s.size; ++ky)
            for (i64 kx = 0; kx < s.size; ++kx) {
              const i64 at = bc * s.height * s.width + (oy * s.stride + ky) * s.width + ox * s.stride + kx;
              if (best < 0 || (std::isnan(x[size_t(at)]) && !std::isnan(x[size_t(best)])) ||
                  (!std::isnan(x[size_t(best)]) && x[size_t(at)] > x[size_t(best)]))
                best = at;
            }
          const i64 out = (bc * s.out_h() + oy) * s.out_w() + ox;
          want_arg[size_t(out)] = std::int32_t(best);
          want_y[size_t(out)] = x[size_t(best)];
        }
    bool same = arg == want_arg;
    for (i64 i = 0; i < n_out; ++i)
      same = same && (y[size_t(i)] == want_y[size_t(i)] || (std::isnan(y[size_t(i)]) && std::isnan(want_y[size_t(i)])));
    check(same, "maxpool " + std::to_string(s.height) + "x" + std::to_string(s.width) + " size " + std::to_string(s.size) +
                    " stride " + std::to_string(s.stride) + " == plain loop");
    // Backward: dx = 0, then dx[argmax] += dy, against a plain loop, bit for
    // bit (a -0 gradient comes out +0 on every path).
    auto dy = randn(n_out);
    dy[0] = -0.0f;
    std::vector<float> dx(static_cast<size_t>(n_in), 7.0f), want_dx(static_cast<size_t>(n_in), 0.0f);
    for (i64 i = 0; i < n_out; ++i) want_dx[size_t(want_arg[size_t(i)])] += dy[size_t(i)];
    std::int32_t bad_value = 0;
    check(pk::f32_maxpool2d_backward(dx.data(), dy.data(), arg.data(), s, &bad_value) == -1 &&
              std::memcmp(dx.data(), want_dx.data(), dx.size() * sizeof(float)) == 0,
          "maxpool backward " + std::to_string(s.height) + "x" + std::to_string(s.width) + " == plain loop");
    // Indices inside the plane but outside their own window (two outputs
    // naming one input): still dx[argmax] += dy, from the general path.
    std::vector<std::int32_t> moved = arg;
    moved[1] = moved[0];
    moved[size_t(n_out - 1)] = std::int32_t((s.batch * s.channels - 1) * s.height * s.width);
    std::fill(want_dx.begin(), want_dx.end(), 0.0f);
    for (i64 i = 0; i < n_out; ++i) want_dx[size_t(moved[size_t(i)])] += dy[size_t(i)];
    std::fill(dx.begin(), dx.end(), 7.0f);
    check(pk::f32_maxpool2d_backward(dx.data(), dy.data(), moved.data(), s, &bad_value) == -1 && dx == want_dx,
          "maxpool backward " + std::to_string(s.height) + "x" + std::to_string(s.width) + " with indices outside their windows");
    // Indices outside their own plane: the first one is reported, none is used.
    if (s.batch * s.channels < 2) continue;
    const i64 out_plane = s.out_h() * s.out_w(), in_plane = s.height * s.width;
    arg[size_t(out_plane + 1)] = std::int32_t(0);                     // plane 0's index in plane 1
    arg[size_t(n_out - 1)] = std::int32_t(n_in);                      // past the end
    arg[size_t(out_plane + 2)] = std::int32_t(2 * in_plane);          // plane 2's first index in plane 1
    check(pk::f32_maxpool2d_backward(dx.data(), dy.data(), arg.data(), s, &bad_value) == out_plane + 1 && bad_value == 0,
          "maxpool backward reports the first index outside its plane, and the value it read");
  }
}

// --- clone dispatch -------------------------------------------------------------

// a*b + c in a PK_CLONES function: the x86-64-v3/v4 clones contract it into
// one FMA (one rounding), the baseline clone rounds twice. The inputs make
// the two differ, so the result tells which clone the loader picked.
PK_CLONES float clone_probe(float a, float b, float c) { return a * b + c; }

// The pool: every task exactly once with more tasks than threads, a throw
// from the caller's own task 0 rethrown only after every task ran, and a
// parallel_for inside a task run serially on that thread.
void test_thread_pool() {
  const int threads = pk::pool_threads();
  for (int tasks : {1, 2, 3, 7, 13}) {
    std::vector<std::atomic<int>> runs(static_cast<size_t>(tasks));
    for (auto& r : runs) r = 0;
    pk::parallel_for(tasks, [&](int t) { runs[size_t(t)]++; });
    bool once = true;
    for (auto& r : runs) once &= r == 1;
    check(once, "pool runs each of " + std::to_string(tasks) + " tasks once");
  }
  std::atomic<int> ran{0};
  bool rethrown = false;
  try {
    pk::parallel_for(5, [&](int t) {
      ran++;
      if (t == 0) throw std::runtime_error("task 0");
    });
  } catch (const std::runtime_error&) {
    rethrown = true;
  }
  check(rethrown && ran == 5, "pool rethrows task 0's error after all 5 tasks ran");
  std::atomic<int> inner{0};
  pk::parallel_for(threads, [&](int) {
    const auto outer = std::this_thread::get_id();
    pk::parallel_for(4, [&](int) { inner += std::this_thread::get_id() == outer; });
  });
  check(inner == 4 * threads, "pool runs a nested parallel_for serially");
}

void test_clone_dispatch() {
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && __GNUC__ >= 12
  __builtin_cpu_init();
  const bool has_fma = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  volatile float a = 1.0f + 1.0f / 4096.0f, c = -(1.0f + 1.0f / 2048.0f);
  const float fused = clone_probe(a, a, c);  // 2^-24 when fused, 0 when rounded twice
  check((fused != 0.0f) == has_fma, std::string("PK_CLONES runs the ") + (fused != 0.0f ? "FMA" : "baseline") +
                                        " clone on a CPU " + (has_fma ? "with" : "without") + " AVX2 and FMA");
#endif
}

}  // namespace

int main() {
  std::printf("prunekit kernel tests: backend %s, kernel set %s, simd %s, %d threads\n", pk::backend().name,
              pk::blas_kernel_set().c_str(), pk::simd_name(pk::backend().simd), pk::pool_threads());
  test_clone_dispatch();
  test_thread_pool();
  test_sum_squares();
  for (int threads : {1, pk::pool_threads()}) {
    pk::set_pool_threads(threads);
    test_gemm();
    test_transpose();
    test_gather_rows();
    test_dropout();
    test_regularize();
    test_sparse();
    test_masking();
    test_select();
    test_conv();
    test_pool();
  }
  std::printf("kernels: %d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
