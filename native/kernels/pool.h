// 2-D max pooling over (B, C, H, W) planes, row-major.
#pragma once

#include <cstdint>

#include "common.h"

namespace pk {

struct PoolShape {
  i64 batch, channels, height, width, size, stride;
  i64 out_h() const { return (height - size) / stride + 1; }
  i64 out_w() const { return (width - size) / stride + 1; }
};

// y (B, C, OH, OW) = max over each window; argmax (same shape) receives the
// flat input index of each maximum (first one on ties) for the backward pass.
void f32_maxpool2d_forward(float* y, std::int32_t* argmax, const float* x, const PoolShape& s);
// dx (B, C, H, W) = 0, then dx[argmax] += dy. Each argmax index is read
// once and used only inside its own output's plane: returns -1, or the
// position of the first index outside it, with the value read in bad_value
// (dx is then partly written). JavaScript may change argmax meanwhile (a
// shared buffer); no index is used unchecked.
i64 f32_maxpool2d_backward(float* dx, const float* dy, const std::int32_t* argmax, const PoolShape& s,
                           std::int32_t* bad_value);

}  // namespace pk
