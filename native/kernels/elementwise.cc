// Elementwise kernels; auto-vectorised per ISA through target clones.
#include "elementwise.h"

#include <algorithm>
#include <cmath>

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

}  // namespace

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
