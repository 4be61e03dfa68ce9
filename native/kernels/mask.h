// Masking: pruned means mask 0 and weight exactly 0, through training.
#pragma once

#include "common.h"

namespace pk {

// w[i] = 0 where mask[i] == 0.
void f32_apply_mask(float* w, const std::uint8_t* mask, i64 n);
// Entries of a mask that are 0.
i64 u8_count_zeros(const std::uint8_t* mask, i64 n);
// dst[i] = (dst[i] && src[i]) ? 1 : 0; returns the zeros of the result.
i64 u8_mask_and(std::uint8_t* dst, const std::uint8_t* src, i64 n);

struct SgdParams {
  float lr;
  float momentum;      // 0 disables the velocity buffer
  float weight_decay;  // L2, added to the gradient as in torch.optim.SGD
  bool nesterov;
};

// One SGD step, PyTorch semantics (dampening 0):
//   g = grad + wd * w;  v = momentum * v + g;  step = nesterov ? g + momentum * v : v
//   w -= lr * step
// Where mask[i] == 0 the weight and its velocity are set to exactly 0.
// mask may be null (no pruning); velocity may be null when momentum == 0.
void f32_sgd_masked(float* w, float* velocity, const float* grad, const std::uint8_t* mask, i64 n,
                    SgdParams p);

struct AdamParams {
  float lr;
  float beta1, beta2, eps;
  float weight_decay;
  bool decoupled;      // AdamW: w -= lr * wd * w; otherwise L2 added to the gradient
  float correction1;   // 1 - beta1^t
  float correction2;   // 1 - beta2^t
};

// One Adam/AdamW step (torch.optim semantics):
//   m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2
//   w -= lr * (m / c1) / (sqrt(v / c2) + eps)
// Pruned entries (mask 0) keep w, m and v exactly 0. mask may be null.
void f32_adam_masked(float* w, float* m, float* v, const float* grad, const std::uint8_t* mask, i64 n, AdamParams p);

// Sum of squares in double precision (gradient-norm clipping, finiteness
// checks): finite exactly when every value is; the same for any thread count.
double f32_sum_squares(const float* x, i64 n);
// x *= s.
void f32_scale(float* x, i64 n, float s);

}  // namespace pk
