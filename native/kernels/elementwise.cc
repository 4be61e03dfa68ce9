// Elementwise kernels; auto-vectorised per ISA through target clones.
#include "elementwise.h"

#include <algorithm>
#include <cmath>

#include "parallel.h"

namespace pk {
namespace {

// NaN propagates (as in PyTorch): a NaN input must not vanish into a 0.
PK_CLONES void relu(float* __restrict y, const float* __restrict x, i64 n) {
  for (i64 i = 0; i < n; ++i) y[i] = x[i] < 0.0f ? 0.0f : x[i];
}
PK_CLONES void relu_grad(float* dx, const float* dy, const float* __restrict y, i64 n) {
  for (i64 i = 0; i < n; ++i) dx[i] = y[i] > 0.0f ? dy[i] : 0.0f;
}
PK_CLONES void tanh_grad(float* dx, const float* dy, const float* __restrict y, i64 n) {
  for (i64 i = 0; i < n; ++i) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}
PK_CLONES void sigmoid_grad(float* dx, const float* dy, const float* __restrict y, i64 n) {
  for (i64 i = 0; i < n; ++i) dx[i] = dy[i] * y[i] * (1.0f - y[i]);
}

// splitmix64's finaliser: a bijection whose output bits each depend on every
// input bit, so consecutive counters give independent-looking draws.
inline std::uint64_t mix64(std::uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// Kept when the draw's top 32 bits reach round(p * 2^32): P(keep) = 1 - p to 2^-33.
std::uint64_t drop_below(double p) {
  return std::uint64_t(std::floor(p * 4294967296.0 + 0.5));  // exact: p * 2^32 < 2^32
}

PK_CLONES void dropout_range(float* y, std::uint8_t* __restrict keep, const float* x, i64 lo, i64 hi, double scale,
                             std::uint64_t below, std::uint64_t key, std::uint64_t first) {
  for (i64 i = lo; i < hi; ++i) {
    const std::uint64_t draw = mix64(key + (first + std::uint64_t(i)) * 0x9e3779b97f4a7c15ULL) >> 32;
    const bool kept = draw >= below;
    keep[i] = kept;
    y[i] = float(double(x[i]) * (kept ? scale : 0.0));
  }
}

PK_CLONES void dropout_grad_range(float* dx, const float* dy, const std::uint8_t* __restrict keep, i64 lo, i64 hi,
                                  double scale) {
  for (i64 i = lo; i < hi; ++i) dx[i] = float(double(dy[i]) * (keep[i] ? scale : 0.0));
}

// Applied in double and rounded once, as x * (1 / (1 - p)) in JavaScript.
double dropout_scale(double p) {
  return 1.0 / (1.0 - p);
}

}  // namespace

void f32_dropout_forward(float* y, std::uint8_t* keep, const float* x, i64 n, double p, std::uint64_t seed,
                         std::uint64_t offset) {
  const double scale = dropout_scale(p);
  const std::uint64_t below = drop_below(p), key = mix64(seed ^ 0x6a09e667f3bcc909ULL);
  parallel_ranges(n, [&](i64 lo, i64 hi) { dropout_range(y, keep, x, lo, hi, scale, below, key, offset); });
}

void f32_dropout_backward(float* dx, const float* dy, const std::uint8_t* keep, i64 n, double p) {
  const double scale = dropout_scale(p);
  parallel_ranges(n, [&](i64 lo, i64 hi) { dropout_grad_range(dx, dy, keep, lo, hi, scale); });
}

PK_CLONES void f32_bias_add(float* y, const float* bias, i64 rows, i64 cols) {
  for (i64 r = 0; r < rows; ++r) {
    float* row = y + r * cols;
    for (i64 c = 0; c < cols; ++c) row[c] += bias[c];
  }
}

PK_CLONES void f32_bias_grad(float* db, const float* dy, i64 rows, i64 cols) {
  std::fill(db, db + cols, 0.0f);
  for (i64 r = 0; r < rows; ++r) {
    const float* row = dy + r * cols;
    for (i64 c = 0; c < cols; ++c) db[c] += row[c];
  }
}

void f32_activation_forward(float* y, const float* x, i64 n, Activation f) {
  switch (f) {
    case Activation::relu: relu(y, x, n); break;
    case Activation::tanh: for (i64 i = 0; i < n; ++i) y[i] = std::tanh(x[i]); break;
    case Activation::sigmoid:
      // Stable for large |x|: exp of a non-positive number only.
      for (i64 i = 0; i < n; ++i) {
        float v = x[i];
        float e = std::exp(-std::fabs(v));
        y[i] = v >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
      }
      break;
  }
}

void f32_activation_backward(float* dx, const float* dy, const float* y, i64 n, Activation f) {
  switch (f) {
    case Activation::relu: relu_grad(dx, dy, y, n); break;
    case Activation::tanh: tanh_grad(dx, dy, y, n); break;
    case Activation::sigmoid: sigmoid_grad(dx, dy, y, n); break;
  }
}

double f32_softmax_cross_entropy(float* dlogits, const float* logits, const std::int32_t* labels, i64 batch,
                                 i64 classes, i64* correct) {
  // logits is (B, classes)
  double total = 0.0;
  i64 hits = 0;
  const float scale = batch > 0 ? 1.0f / float(batch) : 0.0f;
  for (i64 b = 0; b < batch; ++b) {
    const float* z = logits + b * classes;
    i64 best = 0;
    float zmax = z[0];
    for (i64 c = 1; c < classes; ++c)
      if (z[c] > zmax) zmax = z[c], best = c;
    const std::int32_t label = labels[b];
    hits += best == label;
    // Each exponential once, in float (they were half of a training step's
    // loss time); with a gradient to write, kept in its row until scaled.
    float* g = dlogits ? dlogits + b * classes : nullptr;
    double sum = 0.0;
    for (i64 c = 0; c < classes; ++c) {
      const float e = std::exp(z[c] - zmax);
      if (g) g[c] = e;
      sum += e;
    }
    total += std::log(sum) - double(z[label] - zmax);
    if (g) {
      const double inv_sum = 1.0 / sum;
      for (i64 c = 0; c < classes; ++c) g[c] = float(g[c] * inv_sum) * scale;
      g[label] -= scale;
    }
  }
  if (correct) *correct = hits;
  return batch > 0 ? total / double(batch) : 0.0;
}

}  // namespace pk
