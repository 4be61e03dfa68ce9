// Regularizer penalties and their gradients (lib/train/regularizers.ts):
// per-weight penalties, quantization toward a grid or a codebook, and group
// lasso. Each returns the unscaled penalty, summed in double in a fixed
// order; with grad not null it also adds scale times the penalty's
// derivative to grad (in double, rounded once to float).
#pragma once

#include "common.h"

namespace pk {

enum class Penalty {
  l2 = 0,    // w^2 / 2,        derivative w
  l1 = 1,    // |w|,            derivative sign(w) (0 at 0)
  grid = 2,  // (w - q)^2 / 2,  derivative w - q; q = the multiple of step nearest w, half up
};

double f32_penalty(float* grad, const float* w, i64 n, Penalty kind, double scale, double step);

// (w - q)^2 / 2 with q the nearest entry of the sorted codebook (the lower
// of two equally near ones); size >= 1.
double f32_penalty_codebook(float* grad, const float* w, i64 n, double scale, const double* book, i64 size);

// Group lasso over w viewed as [rows, channels, taps]: one group per row
// (by_channel false) or per channel, across every row and tap (by_channel
// true). Returns sum over groups of sqrt(group size) * ||w_g||; the gradient
// adds scale * sqrt(size) * w / ||w_g|| (nothing for an all-zero group; a
// NaN weight makes its own gradient NaN). An empty w has no groups.
double f32_group_lasso(float* grad, const float* w, i64 rows, i64 channels, i64 taps, bool by_channel, double scale);

}  // namespace pk
