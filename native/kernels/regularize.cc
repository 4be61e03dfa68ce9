// Regularizers: one pass over the weights, vectorised per ISA through target
// clones and threaded over fixed blocks. Sums run in 32 double lanes folded
// in a fixed order, so they vectorise without reassociation and give the
// same result on any thread count; the gradient variant is a separate
// instantiation, so no loop holds a branch.
// Nothing here reads the floating-point exception flags: without trapping
// math, floor() and the sign selects vectorise (the values do not change).
#pragma GCC optimize("no-trapping-math")

#include "regularize.h"

#include <cmath>
#include <vector>

#include "parallel.h"

namespace pk {
namespace {

// Enough double accumulators for four AVX-512 registers: the adds overlap.
constexpr int kLanes = 32;
// Blocks summed in block order, whichever thread sums them.
constexpr i64 kBlock = 1 << 14;

double fold(double* lanes) {
  for (int width = kLanes / 2; width >= 1; width /= 2)
    for (int j = 0; j < width; ++j) lanes[j] += lanes[j + width];
  return lanes[0];
}

constexpr i64 kTile = 512;
#define PK_INLINE __attribute__((always_inline)) inline

// Sum over w of a penalty, adding scale times its derivative to grad when
// kGrad. fill(x, m, value, slope) evaluates one tile held in L1; each step
// is a flat loop of its own, so each vectorises.
template <bool kGrad, typename Fill>
PK_INLINE double per_weight_block(float* __restrict grad, const float* __restrict w, i64 n, double scale, Fill fill) {
  double value[kTile], slope[kTile], lanes[kLanes] = {};
  for (i64 at = 0; at < n; at += kTile) {
    const i64 m = n - at < kTile ? n - at : kTile;
    fill(w + at, m, value, slope);
    if constexpr (kGrad)
      for (i64 i = 0; i < m; ++i) grad[at + i] = float(double(grad[at + i]) + scale * slope[i]);
    i64 i = 0;
    for (; i + kLanes <= m; i += kLanes)
      for (int l = 0; l < kLanes; ++l) lanes[l] += value[i + l];
    for (int l = 0; i + l < m; ++l) lanes[l] += value[i + l];
  }
  return fold(lanes);
}

template <typename Fill>
PK_INLINE double per_weight_range(float* grad, const float* w, i64 n, double scale, Fill fill) {
  return grad ? per_weight_block<true>(grad, w, n, scale, fill) : per_weight_block<false>(nullptr, w, n, scale, fill);
}

// A tile filled value by value from f(x, &derivative) -> value.
template <typename F>
PK_INLINE auto each(F f) {
  return [f](const float* __restrict x, i64 m, double* __restrict value, double* __restrict slope)
             __attribute__((always_inline)) {
    for (i64 i = 0; i < m; ++i) value[i] = f(double(x[i]), slope[i]);
  };
}

struct L2 {
  PK_INLINE double operator()(double x, double& d) const { return d = x, x * x / 2; }
};
struct L1 {
  // sign(x): 0 at 0, NaN stays NaN (as Math.sign).
  PK_INLINE double operator()(double x, double& d) const {
    d = x > 0.0 ? 1.0 : (x < 0.0 ? -1.0 : x);
    return std::fabs(x);
  }
};
struct Grid {
  double step;
  PK_INLINE double operator()(double x, double& d) const {
    // Half up, as Math.round: floor(v + 0.5) would round 0.49999999999999994
    // up, while v - floor(v) is exact.
    const double v = x / step, below = std::floor(v);
    d = x - (below + (v - below >= 0.5 ? 1.0 : 0.0)) * step;
    return d * d / 2;
  }
};

// Codebooks up to this size are searched by counting the entries below each
// weight, one entry at a time across the tile (vectorised); larger ones by
// binary search, one weight at a time.
constexpr i64 kCountedBook = 256;

// The nearest codebook entry: the last entry below x or the first at or
// above it, the lower one on a tie (a NaN weight meets book[0]).
struct Codebook {
  const double* book;
  i64 size;
  PK_INLINE void operator()(const float* __restrict x, i64 m, double* __restrict value, double* __restrict slope) const {
    i64 above[kTile];  // the first entry >= x, or size
    if (size <= kCountedBook) {
      for (i64 i = 0; i < m; ++i) above[i] = 0;
      for (i64 j = 0; j < size; ++j) {
        const double b = book[j];
        for (i64 i = 0; i < m; ++i) above[i] += b < double(x[i]);
      }
    } else {
      for (i64 i = 0; i < m; ++i) {
        i64 lo = 0, hi = size;
        while (lo < hi) {
          const i64 mid = (lo + hi) >> 1;
          if (book[mid] < double(x[i])) lo = mid + 1;
          else hi = mid;
        }
        above[i] = lo;
      }
    }
    for (i64 i = 0; i < m; ++i) {
      const double v = x[i];
      const i64 hi = above[i] < size ? above[i] : size - 1;
      const i64 lo = hi > 0 ? hi - 1 : 0;
      const double q = std::fabs(book[lo] - v) <= std::fabs(book[hi] - v) ? book[lo] : book[hi];
      const double d = v - q;
      slope[i] = d;
      value[i] = d * d / 2;
    }
  }
};

PK_CLONES double l2(float* grad, const float* w, i64 n, double scale) { return per_weight_range(grad, w, n, scale, each(L2{})); }
PK_CLONES double l1(float* grad, const float* w, i64 n, double scale) { return per_weight_range(grad, w, n, scale, each(L1{})); }
PK_CLONES double grid(float* grad, const float* w, i64 n, double scale, double step) {
  return per_weight_range(grad, w, n, scale, each(Grid{step}));
}
PK_CLONES double codebook(float* grad, const float* w, i64 n, double scale, const double* book, i64 size) {
  return per_weight_range(grad, w, n, scale, Codebook{book, size});
}

// A per-weight pass over fixed blocks, threaded: the same sum on any thread count.
template <typename Pass>
double per_weight(float* grad, const float* w, i64 n, Pass pass) {
  return parallel_block_sum(n, kBlock, [&](i64 lo, i64 hi) { return pass(grad ? grad + lo : nullptr, w + lo, hi - lo); });
}

PK_CLONES double sum_squares_lanes(const float* __restrict x, i64 n) {
  double lanes[kLanes] = {};
  i64 i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int l = 0; l < kLanes; ++l) lanes[l] += double(x[i + l]) * double(x[i + l]);
  for (int l = 0; i + l < n; ++l) lanes[l] += double(x[i + l]) * double(x[i + l]);
  return fold(lanes);
}

PK_CLONES void add_squares(double* __restrict sq, const float* __restrict x, i64 n) {
  for (i64 i = 0; i < n; ++i) sq[i] += double(x[i]) * double(x[i]);
}

PK_CLONES void add_scaled(float* __restrict grad, const float* __restrict w, i64 n, double f) {
  for (i64 i = 0; i < n; ++i) grad[i] = float(double(grad[i]) + f * double(w[i]));
}

PK_CLONES void add_scaled_each(float* __restrict grad, const float* __restrict w, const double* __restrict f, i64 n) {
  for (i64 i = 0; i < n; ++i) grad[i] = float(double(grad[i]) + f[i] * double(w[i]));
}

}  // namespace

double f32_penalty(float* grad, const float* w, i64 n, Penalty kind, double scale, double step) {
  switch (kind) {
    case Penalty::l2: return per_weight(grad, w, n, [&](float* g, const float* x, i64 m) { return l2(g, x, m, scale); });
    case Penalty::l1: return per_weight(grad, w, n, [&](float* g, const float* x, i64 m) { return l1(g, x, m, scale); });
    case Penalty::grid:
      return per_weight(grad, w, n, [&](float* g, const float* x, i64 m) { return grid(g, x, m, scale, step); });
  }
  return 0.0;
}

double f32_penalty_codebook(float* grad, const float* w, i64 n, double scale, const double* book, i64 size) {
  return per_weight(grad, w, n, [&](float* g, const float* x, i64 m) { return codebook(g, x, m, scale, book, size); });
}

double f32_group_lasso(float* grad, const float* w, i64 rows, i64 channels, i64 taps, bool by_channel, double scale) {
  const i64 per_row = channels * taps;
  // An empty weight has no groups (and its shape may name billions of them).
  if (rows * per_row == 0) return 0.0;
  const i64 groups = by_channel ? channels : rows;
  const double root_size = std::sqrt(double(by_channel ? rows * taps : per_row));
  // Squares per group, rows streamed in memory order either way.
  std::vector<double> squares(static_cast<size_t>(groups), 0.0);
  for (i64 r = 0; r < rows; ++r) {
    const float* row = w + r * per_row;
    if (!by_channel) squares[size_t(r)] = sum_squares_lanes(row, per_row);
    else if (taps == 1) add_squares(squares.data(), row, channels);
    else
      for (i64 c = 0; c < channels; ++c) squares[size_t(c)] += sum_squares_lanes(row + c * taps, taps);
  }
  double total = 0.0;
  std::vector<double> factor(static_cast<size_t>(groups));
  for (i64 g = 0; g < groups; ++g) {
    const double norm = std::sqrt(squares[size_t(g)]);
    total += root_size * norm;
    // An all-zero group adds nothing; a NaN weight still reaches its gradient (0 * NaN).
    factor[size_t(g)] = norm > 0.0 ? scale * root_size / norm : 0.0;
  }
  if (!grad) return total;
  for (i64 r = 0; r < rows; ++r) {
    const i64 at = r * per_row;
    if (!by_channel) add_scaled(grad + at, w + at, per_row, factor[size_t(r)]);
    else if (taps == 1) add_scaled_each(grad + at, w + at, factor.data(), channels);
    else
      for (i64 c = 0; c < channels; ++c) add_scaled(grad + at + c * taps, w + at + c * taps, taps, factor[size_t(c)]);
  }
  return total;
}

}  // namespace pk
