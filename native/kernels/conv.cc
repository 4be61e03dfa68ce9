// Convolution and pooling kernels.
#include "conv.h"

#include <algorithm>
#include <vector>

#include "gemm.h"

namespace pk {

void f32_im2col(float* cols, const float* image, const ConvShape& s) {
  const i64 oh = s.out_h(), ow = s.out_w();
  for (i64 c = 0; c < s.channels; ++c)
    for (i64 ky = 0; ky < s.kernel_h; ++ky)
      for (i64 kx = 0; kx < s.kernel_w; ++kx) {
        float* row = cols + ((c * s.kernel_h + ky) * s.kernel_w + kx) * oh * ow;
        for (i64 oy = 0; oy < oh; ++oy) {
          i64 iy = oy * s.stride - s.padding + ky;
          float* out = row + oy * ow;
          if (iy < 0 || iy >= s.height) {
            std::fill(out, out + ow, 0.0f);
            continue;
          }
          const float* in = image + (c * s.height + iy) * s.width;
          for (i64 ox = 0; ox < ow; ++ox) {
            i64 ix = ox * s.stride - s.padding + kx;
            out[ox] = (ix >= 0 && ix < s.width) ? in[ix] : 0.0f;
          }
        }
      }
}

void f32_col2im(float* image, const float* cols, const ConvShape& s) {
  const i64 oh = s.out_h(), ow = s.out_w();
  for (i64 c = 0; c < s.channels; ++c)
    for (i64 ky = 0; ky < s.kernel_h; ++ky)
      for (i64 kx = 0; kx < s.kernel_w; ++kx) {
        const float* row = cols + ((c * s.kernel_h + ky) * s.kernel_w + kx) * oh * ow;
        for (i64 oy = 0; oy < oh; ++oy) {
          i64 iy = oy * s.stride - s.padding + ky;
          if (iy < 0 || iy >= s.height) continue;
          float* out = image + (c * s.height + iy) * s.width;
          for (i64 ox = 0; ox < ow; ++ox) {
            i64 ix = ox * s.stride - s.padding + kx;
            if (ix >= 0 && ix < s.width) out[ix] += row[oy * ow + ox];
          }
        }
      }
}

void f32_conv2d_forward(float* y, const float* x, const float* w, const float* bias, const ConvShape& s) {
  const i64 ohw = s.out_h() * s.out_w(), patch = s.patch();
  thread_local std::vector<float> cols;
  cols.resize(size_t(patch * ohw));
  for (i64 b = 0; b < s.batch; ++b) {
    f32_im2col(cols.data(), x + b * s.channels * s.height * s.width, s);
    float* yb = y + b * s.out_channels * ohw;
    // yb (O, OH*OW) = w (O, C*KH*KW) . cols (C*KH*KW, OH*OW)
    f32_gemm(gemm_packed(yb, w, cols.data(), false, false, s.out_channels, ohw, patch, 1.0f, 0.0f));
    if (bias)
      for (i64 o = 0; o < s.out_channels; ++o)
        for (i64 i = 0; i < ohw; ++i) yb[o * ohw + i] += bias[o];
  }
}

void f32_conv2d_backward(float* dw, float* db, float* dx, const float* dy, const float* x, const float* w,
                         const ConvShape& s) {
  const i64 ohw = s.out_h() * s.out_w(), patch = s.patch(), image = s.channels * s.height * s.width;
  thread_local std::vector<float> cols, dcols;
  cols.resize(size_t(patch * ohw));
  dcols.resize(size_t(patch * ohw));
  std::fill(dw, dw + s.out_channels * patch, 0.0f);
  std::fill(db, db + s.out_channels, 0.0f);
  for (i64 b = 0; b < s.batch; ++b) {
    const float* dyb = dy + b * s.out_channels * ohw;
    for (i64 o = 0; o < s.out_channels; ++o)
      for (i64 i = 0; i < ohw; ++i) db[o] += dyb[o * ohw + i];
    f32_im2col(cols.data(), x + b * image, s);
    // dw (O, patch) += dyb (O, OHW) . cols^T (OHW, patch)
    f32_gemm(gemm_packed(dw, dyb, cols.data(), false, true, s.out_channels, patch, ohw, 1.0f, 1.0f));
    if (dx) {
      // dcols (patch, OHW) = w^T (patch, O) . dyb (O, OHW)
      f32_gemm(gemm_packed(dcols.data(), w, dyb, true, false, patch, ohw, s.out_channels, 1.0f, 0.0f));
      float* dxb = dx + b * image;
      std::fill(dxb, dxb + image, 0.0f);
      f32_col2im(dxb, dcols.data(), s);
    }
  }
}

void f32_conv2d_forward__reference(float* y, const float* x, const float* w, const float* bias, const ConvShape& s) {
  const i64 oh = s.out_h(), ow = s.out_w();
  for (i64 b = 0; b < s.batch; ++b)
    for (i64 o = 0; o < s.out_channels; ++o)
      for (i64 oy = 0; oy < oh; ++oy)
        for (i64 ox = 0; ox < ow; ++ox) {
          double acc = bias ? bias[o] : 0.0;
          for (i64 c = 0; c < s.channels; ++c)
            for (i64 ky = 0; ky < s.kernel_h; ++ky)
              for (i64 kx = 0; kx < s.kernel_w; ++kx) {
                i64 iy = oy * s.stride - s.padding + ky, ix = ox * s.stride - s.padding + kx;
                if (iy < 0 || iy >= s.height || ix < 0 || ix >= s.width) continue;
                acc += double(x[((b * s.channels + c) * s.height + iy) * s.width + ix]) *
                       w[((o * s.channels + c) * s.kernel_h + ky) * s.kernel_w + kx];
              }
          y[((b * s.out_channels + o) * oh + oy) * ow + ox] = float(acc);
        }
}

void f32_maxpool2d_forward(float* y, std::int32_t* argmax, const float* x, const PoolShape& s) {
  const i64 oh = s.out_h(), ow = s.out_w();
  for (i64 bc = 0; bc < s.batch * s.channels; ++bc) {
    const float* plane = x + bc * s.height * s.width;
    for (i64 oy = 0; oy < oh; ++oy)
      for (i64 ox = 0; ox < ow; ++ox) {
        i64 best = (oy * s.stride) * s.width + ox * s.stride;
        for (i64 ky = 0; ky < s.size; ++ky)
          for (i64 kx = 0; kx < s.size; ++kx) {
            i64 at = (oy * s.stride + ky) * s.width + ox * s.stride + kx;
            // NaN wins, so it propagates rather than vanishing.
            if (plane[at] > plane[best] || (plane[at] != plane[at] && plane[best] == plane[best])) best = at;
          }
        i64 out = (bc * oh + oy) * ow + ox;
        y[out] = plane[best];
        argmax[out] = std::int32_t(bc * s.height * s.width + best);
      }
  }
}

void f32_maxpool2d_backward(float* dx, const float* dy, const std::int32_t* argmax, const PoolShape& s) {
  std::fill(dx, dx + s.batch * s.channels * s.height * s.width, 0.0f);
  const i64 n = s.batch * s.channels * s.out_h() * s.out_w();
  for (i64 i = 0; i < n; ++i) dx[argmax[i]] += dy[i];
}

}  // namespace pk
