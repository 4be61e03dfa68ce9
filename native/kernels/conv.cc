// Convolution and pooling kernels.
#include "conv.h"

#include <algorithm>
#include <vector>

#include "gemm.h"

namespace pk {

void f32_im2col(float* cols, const float* image, const ConvShape& s, i64 ld) {
  const i64 oh = s.out_h(), ow = s.out_w();
  for (i64 c = 0; c < s.channels; ++c)
    for (i64 ky = 0; ky < s.kernel_h; ++ky)
      for (i64 kx = 0; kx < s.kernel_w; ++kx) {
        float* row = cols + ((c * s.kernel_h + ky) * s.kernel_w + kx) * ld;
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

void f32_col2im(float* image, const float* cols, const ConvShape& s, i64 ld) {
  const i64 oh = s.out_h(), ow = s.out_w();
  for (i64 c = 0; c < s.channels; ++c)
    for (i64 ky = 0; ky < s.kernel_h; ++ky)
      for (i64 kx = 0; kx < s.kernel_w; ++kx) {
        const float* row = cols + ((c * s.kernel_h + ky) * s.kernel_w + kx) * ld;
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

namespace {

// Samples per chunk so that the batched im2col buffer stays near 16 MB.
i64 chunk_samples(const ConvShape& s) {
  const i64 per_sample = s.patch() * s.out_h() * s.out_w();
  return std::max<i64>(1, std::min<i64>(s.batch, (i64(4) << 20) / std::max<i64>(1, per_sample)));
}

}  // namespace

// The samples of a chunk are unrolled side by side, cols (patch, n*OHW), so
// each layer is one large GEMM instead of one small GEMM per sample.
void f32_conv2d_forward(float* y, const float* x, const float* w, const float* bias, const ConvShape& s) {
  const i64 ohw = s.out_h() * s.out_w(), patch = s.patch(), image = s.channels * s.height * s.width;
  const i64 chunk = chunk_samples(s);
  thread_local std::vector<float> cols, out;
  for (i64 b0 = 0; b0 < s.batch; b0 += chunk) {
    const i64 n = std::min(chunk, s.batch - b0);
    cols.resize(size_t(patch * n * ohw));
    out.resize(size_t(s.out_channels * n * ohw));
    for (i64 b = 0; b < n; ++b) f32_im2col(cols.data() + b * ohw, x + (b0 + b) * image, s, n * ohw);
    // out (O, n*OHW) = w (O, patch) . cols (patch, n*OHW)
    f32_gemm(gemm_packed(out.data(), w, cols.data(), false, false, s.out_channels, n * ohw, patch, 1.0f, 0.0f));
    for (i64 b = 0; b < n; ++b)
      for (i64 o = 0; o < s.out_channels; ++o) {
        float* dst = y + ((b0 + b) * s.out_channels + o) * ohw;
        const float* src = out.data() + o * n * ohw + b * ohw;
        float add = bias ? bias[o] : 0.0f;
        for (i64 i = 0; i < ohw; ++i) dst[i] = src[i] + add;
      }
  }
}

void f32_conv2d_backward(float* dw, float* db, float* dx, const float* dy, const float* x, const float* w,
                         const ConvShape& s) {
  const i64 ohw = s.out_h() * s.out_w(), patch = s.patch(), image = s.channels * s.height * s.width;
  const i64 chunk = chunk_samples(s);
  thread_local std::vector<float> cols, dys, dcols;
  std::fill(dw, dw + s.out_channels * patch, 0.0f);
  std::fill(db, db + s.out_channels, 0.0f);
  for (i64 b0 = 0; b0 < s.batch; b0 += chunk) {
    const i64 n = std::min(chunk, s.batch - b0);
    cols.resize(size_t(patch * n * ohw));
    dys.resize(size_t(s.out_channels * n * ohw));
    for (i64 b = 0; b < n; ++b) {
      f32_im2col(cols.data() + b * ohw, x + (b0 + b) * image, s, n * ohw);
      for (i64 o = 0; o < s.out_channels; ++o) {
        const float* src = dy + ((b0 + b) * s.out_channels + o) * ohw;
        std::copy(src, src + ohw, dys.begin() + o * n * ohw + b * ohw);
        for (i64 i = 0; i < ohw; ++i) db[o] += src[i];
      }
    }
    // dw (O, patch) += dys (O, n*OHW) . cols^T (n*OHW, patch)
    f32_gemm(gemm_packed(dw, dys.data(), cols.data(), false, true, s.out_channels, patch, n * ohw, 1.0f, 1.0f));
    if (dx) {
      dcols.resize(size_t(patch * n * ohw));
      // dcols (patch, n*OHW) = w^T (patch, O) . dys (O, n*OHW)
      f32_gemm(gemm_packed(dcols.data(), w, dys.data(), true, false, patch, n * ohw, s.out_channels, 1.0f, 0.0f));
      for (i64 b = 0; b < n; ++b) {
        float* dxb = dx + (b0 + b) * image;
        std::fill(dxb, dxb + image, 0.0f);
        f32_col2im(dxb, dcols.data() + b * ohw, s, n * ohw);
      }
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
