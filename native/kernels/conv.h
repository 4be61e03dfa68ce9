// 2-D convolution by im2col + GEMM, one image per task.
//
// Legend: B batch, C input channels, H x W input, O output channels,
// KH x KW kernel, OH x OW output; x is (B, C, H, W), w is (O, C, KH, KW),
// y is (B, O, OH, OW); row-major throughout.
#pragma once

#include "common.h"

namespace pk {

struct ConvShape {
  i64 batch, channels, height, width;
  i64 out_channels, kernel_h, kernel_w;
  i64 stride, padding;
  i64 out_h() const { return (height + 2 * padding - kernel_h) / stride + 1; }
  i64 out_w() const { return (width + 2 * padding - kernel_w) / stride + 1; }
  i64 patch() const { return channels * kernel_h * kernel_w; }
};

// cols (C*KH*KW, OH*OW) <- one image (C, H, W): row (c, ky, kx) holds the
// input each output position sees at that kernel offset, zeros where the
// window leaves the image. With stride 1 each output row is one contiguous
// copy, so the unrolling runs at copy speed.
void f32_im2col(float* cols, const float* image, const ConvShape& s);
// image (C, H, W) += cols folded back (the adjoint of im2col).
void f32_col2im(float* image, const float* cols, const ConvShape& s);
// The scalar versions f32_im2col and f32_col2im use without AVX-512 (tests).
void f32_im2col__portable(float* cols, const float* image, const ConvShape& s);
void f32_col2im__portable(float* image, const float* cols, const ConvShape& s);

// y = conv(x, w) + bias (bias may be null).
void f32_conv2d_forward(float* y, const float* x, const float* w, const float* bias, const ConvShape& s);
// dw, db (overwritten) and dx (overwritten, may be null) from dy.
void f32_conv2d_backward(float* dw, float* db, float* dx, const float* dy, const float* x, const float* w,
                         const ConvShape& s);
// Direct nested loops: the oracle for tests.
void f32_conv2d_forward__reference(float* y, const float* x, const float* w, const float* bias, const ConvShape& s);

}  // namespace pk
