// Masking kernels; threaded over chunks for large tensors.
#include "mask.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "parallel.h"

namespace pk {
namespace {

PK_CLONES
void apply_mask_range(float* __restrict w, const std::uint8_t* __restrict mask, i64 lo, i64 hi) {
  for (i64 i = lo; i < hi; ++i) w[i] = mask[i] ? w[i] : 0.0f;
}

PK_CLONES
void sgd_range(float* __restrict w, float* __restrict v, const float* __restrict g,
               const std::uint8_t* __restrict mask, i64 lo, i64 hi, SgdParams p) {
  const float lr = p.lr, mu = p.momentum, wd = p.weight_decay;
  if (v == nullptr) {
    for (i64 i = lo; i < hi; ++i) {
      float step = g[i] + wd * w[i];
      float next = w[i] - lr * step;
      w[i] = (mask == nullptr || mask[i]) ? next : 0.0f;
    }
    return;
  }
  for (i64 i = lo; i < hi; ++i) {
    bool keep = mask == nullptr || mask[i];
    float grad = g[i] + wd * w[i];
    float vel = mu * v[i] + grad;
    float step = p.nesterov ? grad + mu * vel : vel;
    float next = w[i] - lr * step;
    v[i] = keep ? vel : 0.0f;
    w[i] = keep ? next : 0.0f;
  }
}

PK_CLONES
void adam_range(float* __restrict w, float* __restrict m, float* __restrict v, const float* __restrict g,
                const std::uint8_t* __restrict mask, i64 lo, i64 hi, AdamParams p) {
  const float b1 = p.beta1, b2 = p.beta2, decay = p.decoupled ? 1.0f - p.lr * p.weight_decay : 1.0f;
  const float l2 = p.decoupled ? 0.0f : p.weight_decay;
  const float step = p.lr / p.correction1, inv_c2 = 1.0f / p.correction2;
  for (i64 i = lo; i < hi; ++i) {
    bool keep = mask == nullptr || mask[i];
    float grad = g[i] + l2 * w[i];
    float mi = b1 * m[i] + (1.0f - b1) * grad;
    float vi = b2 * v[i] + (1.0f - b2) * grad * grad;
    float next = w[i] * decay - step * mi / (std::sqrt(vi * inv_c2) + p.eps);
    m[i] = keep ? mi : 0.0f;
    v[i] = keep ? vi : 0.0f;
    w[i] = keep ? next : 0.0f;
  }
}

// Squares summed in 32 double lanes, folded in a fixed order: the loop
// vectorizes without reassociation, so every build and thread count gives
// the same sum. A float's square is exact in double and cannot overflow it,
// so the sum is finite exactly when every value is.
PK_CLONES
double sum_squares(const float* __restrict x, i64 n) {
  constexpr int kLanes = 32;
  double lane[kLanes] = {};
  i64 i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) lane[j] += double(x[i + j]) * double(x[i + j]);
  for (int j = 0; i + j < n; ++j) lane[j] += double(x[i + j]) * double(x[i + j]);
  for (int width = kLanes / 2; width >= 1; width /= 2)
    for (int j = 0; j < width; ++j) lane[j] += lane[j + width];
  return lane[0];
}

PK_CLONES
void scale_range(float* __restrict x, i64 lo, i64 hi, float s) {
  for (i64 i = lo; i < hi; ++i) x[i] *= s;
}

}  // namespace

void f32_adam_masked(float* w, float* m, float* v, const float* grad, const std::uint8_t* mask, i64 n, AdamParams p) {
  parallel_ranges(n, [&](i64 lo, i64 hi) { adam_range(w, m, v, grad, mask, lo, hi, p); });
}

double f32_sum_squares(const float* x, i64 n) {
  return parallel_block_sum(n, 1 << 14, [&](i64 lo, i64 hi) { return sum_squares(x + lo, hi - lo); });
}

void f32_scale(float* x, i64 n, float s) {
  parallel_ranges(n, [&](i64 lo, i64 hi) { scale_range(x, lo, hi, s); });
}

void f32_apply_mask(float* w, const std::uint8_t* mask, i64 n) {
  parallel_ranges(n, [&](i64 lo, i64 hi) { apply_mask_range(w, mask, lo, hi); });
}

i64 u8_count_zeros(const std::uint8_t* mask, i64 n) {
  i64 zeros = 0;
  for (i64 i = 0; i < n; i++) zeros += mask[i] == 0;
  return zeros;
}

i64 u8_mask_and(std::uint8_t* dst, const std::uint8_t* src, i64 n) {
  i64 zeros = 0;
  for (i64 i = 0; i < n; i++) {
    const std::uint8_t kept = (dst[i] != 0) & (src[i] != 0);
    dst[i] = kept;
    zeros += kept ^ 1;
  }
  return zeros;
}

void f32_sgd_masked(float* w, float* velocity, const float* grad, const std::uint8_t* mask, i64 n,
                    SgdParams p) {
  if (p.momentum == 0.0f) velocity = nullptr;
  parallel_ranges(n, [&](i64 lo, i64 hi) { sgd_range(w, velocity, grad, mask, lo, hi, p); });
}

}  // namespace pk
