// Masking: pruned means mask 0 and weight exactly 0, through training.
#pragma once

#include "common.h"

namespace pk {

// w[i] = 0 where mask[i] == 0.
void f32_apply_mask(float* w, const std::uint8_t* mask, i64 n);

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

}  // namespace pk
