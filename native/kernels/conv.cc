// Convolution and pooling kernels.
#include "conv.h"

#include <algorithm>
#include <vector>

#include "gemm.h"
#include "parallel.h"

namespace pk {

void f32_im2row(float* rows, const float* image, const ConvShape& s) {
  const i64 oh = s.out_h(), ow = s.out_w(), kh = s.kernel_h, kw = s.kernel_w;
  for (i64 oy = 0; oy < oh; ++oy)
    for (i64 ox = 0; ox < ow; ++ox) {
      float* row = rows + (oy * ow + ox) * s.patch();
      const i64 y0 = oy * s.stride - s.padding, x0 = ox * s.stride - s.padding;
      for (i64 c = 0; c < s.channels; ++c)
        for (i64 ky = 0; ky < kh; ++ky) {
          float* dst = row + (c * kh + ky) * kw;
          const i64 iy = y0 + ky;
          if (iy < 0 || iy >= s.height) {
            std::fill(dst, dst + kw, 0.0f);
            continue;
          }
          const float* src = image + (c * s.height + iy) * s.width;
          for (i64 kx = 0; kx < kw; ++kx) {
            const i64 ix = x0 + kx;
            dst[kx] = (ix >= 0 && ix < s.width) ? src[ix] : 0.0f;
          }
        }
    }
}

void f32_row2im(float* image, const float* rows, const ConvShape& s) {
  const i64 oh = s.out_h(), ow = s.out_w(), kh = s.kernel_h, kw = s.kernel_w;
  for (i64 oy = 0; oy < oh; ++oy)
    for (i64 ox = 0; ox < ow; ++ox) {
      const float* row = rows + (oy * ow + ox) * s.patch();
      const i64 y0 = oy * s.stride - s.padding, x0 = ox * s.stride - s.padding;
      for (i64 c = 0; c < s.channels; ++c)
        for (i64 ky = 0; ky < kh; ++ky) {
          const i64 iy = y0 + ky;
          if (iy < 0 || iy >= s.height) continue;
          const float* src = row + (c * kh + ky) * kw;
          float* dst = image + (c * s.height + iy) * s.width;
          for (i64 kx = 0; kx < kw; ++kx) {
            const i64 ix = x0 + kx;
            if (ix >= 0 && ix < s.width) dst[ix] += src[kx];
          }
        }
    }
}

namespace {

// Samples per chunk so that the batched im2row buffer stays near 16 MB.
i64 chunk_samples(const ConvShape& s) {
  const i64 per_sample = s.patch() * s.out_h() * s.out_w();
  return std::max<i64>(1, std::min<i64>(s.batch, (i64(4) << 20) / std::max<i64>(1, per_sample)));
}

}  // namespace

// Runs fn(b) for the samples [0, n) of a chunk, spread over the pool.
template <typename Fn>
void for_samples(i64 n, Fn fn) {
  const int parts = int(std::min<i64>(pool_threads(), n));
  parallel_for(parts, [&](int t) {
    for (i64 b = split_point(n, parts, t); b < split_point(n, parts, t + 1); ++b) fn(b);
  });
}

// The samples of a chunk are unrolled one after another into rows
// (n*OHW, patch), so each layer is one large GEMM instead of one small GEMM
// per sample.
void f32_conv2d_forward(float* y, const float* x, const float* w, const float* bias, const ConvShape& s) {
  const i64 ohw = s.out_h() * s.out_w(), patch = s.patch(), image = s.channels * s.height * s.width;
  const i64 chunk = chunk_samples(s);
  thread_local std::vector<float> rows, out;
  for (i64 b0 = 0; b0 < s.batch; b0 += chunk) {
    const i64 n = std::min(chunk, s.batch - b0);
    rows.resize(size_t(n * ohw * patch));
    out.resize(size_t(s.out_channels * n * ohw));
    float* rows_data = rows.data();
    for_samples(n, [&](i64 b) { f32_im2row(rows_data + b * ohw * patch, x + (b0 + b) * image, s); });
    // out (O, n*OHW) = w (O, patch) . rows^T (patch, n*OHW)
    f32_gemm(gemm_packed(out.data(), w, rows_data, false, true, s.out_channels, n * ohw, patch, 1.0f, 0.0f));
    const float* out_data = out.data();
    for_samples(n, [&](i64 b) {
      for (i64 o = 0; o < s.out_channels; ++o) {
        float* dst = y + ((b0 + b) * s.out_channels + o) * ohw;
        const float* src = out_data + o * n * ohw + b * ohw;
        const float add = bias ? bias[o] : 0.0f;
        for (i64 i = 0; i < ohw; ++i) dst[i] = src[i] + add;
      }
    });
  }
}

void f32_conv2d_backward(float* dw, float* db, float* dx, const float* dy, const float* x, const float* w,
                         const ConvShape& s) {
  const i64 ohw = s.out_h() * s.out_w(), patch = s.patch(), image = s.channels * s.height * s.width;
  const i64 chunk = chunk_samples(s);
  thread_local std::vector<float> rows, dys, drows;
  std::fill(dw, dw + s.out_channels * patch, 0.0f);
  std::fill(db, db + s.out_channels, 0.0f);
  for (i64 b0 = 0; b0 < s.batch; b0 += chunk) {
    const i64 n = std::min(chunk, s.batch - b0);
    rows.resize(size_t(n * ohw * patch));
    dys.resize(size_t(s.out_channels * n * ohw));
    float* rows_data = rows.data();
    float* dys_data = dys.data();
    for_samples(n, [&](i64 b) {
      f32_im2row(rows_data + b * ohw * patch, x + (b0 + b) * image, s);
      for (i64 o = 0; o < s.out_channels; ++o) {
        const float* src = dy + ((b0 + b) * s.out_channels + o) * ohw;
        std::copy(src, src + ohw, dys_data + o * n * ohw + b * ohw);
      }
    });
    // Bias sums in a fixed order (deterministic for any thread count).
    for (i64 o = 0; o < s.out_channels; ++o)
      for (i64 i = 0; i < n * ohw; ++i) db[o] += dys_data[o * n * ohw + i];
    // dw (O, patch) += dys (O, n*OHW) . rows (n*OHW, patch)
    f32_gemm(gemm_packed(dw, dys_data, rows_data, false, false, s.out_channels, patch, n * ohw, 1.0f, 1.0f));
    if (dx) {
      drows.resize(size_t(n * ohw * patch));
      // drows (n*OHW, patch) = dys^T (n*OHW, O) . w (O, patch)
      f32_gemm(gemm_packed(drows.data(), dys_data, w, true, false, n * ohw, patch, s.out_channels, 1.0f, 0.0f));
      const float* drows_data = drows.data();
      for_samples(n, [&](i64 b) {
        float* dxb = dx + (b0 + b) * image;
        std::fill(dxb, dxb + image, 0.0f);
        f32_row2im(dxb, drows_data + b * ohw * patch, s);
      });
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
