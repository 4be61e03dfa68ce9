// Convolution by im2col + GEMM (max pooling lives in pool.cc).
#include "conv.h"

#include <algorithm>
#include <vector>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "backend.h"
#include "gemm.h"
#include "parallel.h"

namespace pk {

namespace {

// Output columns [lo, hi) of a kernel offset read inside the image row, for
// stride 1: ix = ox + x0 must lie in [0, width).
inline void inside_span(i64 x0, i64 width, i64 ow, i64* lo, i64* hi) {
  *lo = std::clamp<i64>(-x0, 0, ow);
  *hi = std::clamp<i64>(width - x0, *lo, ow);
}

}  // namespace

namespace {

// Walks the rows of the columns matrix (C*KH*KW, OH*OW): for kernel offset
// (c, ky, kx) and output row oy it calls row(col_row, image_row, x0), where
// image_row is the image row that output row reads (null when the window lies
// above or below the image) and x0 the image column output column 0 reads.
// Always inlined, so a row operation compiled for AVX-512 inlines into an
// AVX-512 caller.
template <typename ColPtr, typename ImagePtr, typename Row>
[[gnu::always_inline]] inline void for_each_col_row(ColPtr cols, ImagePtr image, const ConvShape& s, const Row& row) {
  const i64 oh = s.out_h(), ow = s.out_w(), kh = s.kernel_h, kw = s.kernel_w;
  for (i64 c = 0; c < s.channels; ++c)
    for (i64 ky = 0; ky < kh; ++ky)
      for (i64 kx = 0; kx < kw; ++kx) {
        const ColPtr rows = cols + ((c * kh + ky) * kw + kx) * oh * ow;
        for (i64 oy = 0; oy < oh; ++oy) {
          const i64 iy = oy * s.stride - s.padding + ky;
          const ImagePtr image_row = iy < 0 || iy >= s.height ? nullptr : image + (c * s.height + iy) * s.width;
          row(rows + oy * ow, image_row, kx - s.padding);
        }
      }
}

}  // namespace

void f32_im2col__portable(float* cols, const float* image, const ConvShape& s) {
  const i64 ow = s.out_w();
  for_each_col_row(cols, image, s, [&](float* d, const float* src, i64 x0) {
    if (src == nullptr) {
      std::fill(d, d + ow, 0.0f);
    } else if (s.stride == 1) {
      i64 lo, hi;
      inside_span(x0, s.width, ow, &lo, &hi);
      std::fill(d, d + lo, 0.0f);
      std::copy(src + x0 + lo, src + x0 + hi, d + lo);
      std::fill(d + hi, d + ow, 0.0f);
    } else {
      for (i64 ox = 0; ox < ow; ++ox) {
        const i64 ix = ox * s.stride + x0;
        d[ox] = (ix >= 0 && ix < s.width) ? src[ix] : 0.0f;
      }
    }
  });
}

void f32_col2im__portable(float* image, const float* cols, const ConvShape& s) {
  const i64 ow = s.out_w();
  for_each_col_row(cols, image, s, [&](const float* r, float* dst, i64 x0) {
    if (dst == nullptr) return;
    if (s.stride == 1) {
      i64 lo, hi;
      inside_span(x0, s.width, ow, &lo, &hi);
      for (i64 ox = lo; ox < hi; ++ox) dst[ox + x0] += r[ox];
    } else {
      for (i64 ox = 0; ox < ow; ++ox) {
        const i64 ix = ox * s.stride + x0;
        if (ix >= 0 && ix < s.width) dst[ix] += r[ox];
      }
    }
  });
}

namespace {

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define PK_IM2COL_AVX512 1
// Stride 1 with vector rows: LeNet-5's rows are 24 and 8 columns, so copying
// them with std::copy was a memmove call per 32 to 96 bytes.
#define PK_AVX512F __attribute__((target("avx512f,avx")))

// d[0, n) = 0.
PK_AVX512F inline void zero_row(float* d, i64 n) {
  for (i64 j = 0; j < n; j += 16) _mm512_mask_storeu_ps(d + j, first_lanes(n - j), _mm512_setzero_ps());
}

// d[0, n) = s[0, n), or += with Accumulate. Whole vectors first, then one of
// eight lanes and one of four, then a masked tail of at most three: a masked
// load cost as much as the rest of a row on LeNet-5's 8-column rows.
template <bool Accumulate>
PK_AVX512F inline void copy_span(float* d, const float* s, i64 n) {
  i64 j = 0;
  for (; j + 16 <= n; j += 16) {
    __m512 v = _mm512_loadu_ps(s + j);
    if (Accumulate) v = _mm512_add_ps(v, _mm512_loadu_ps(d + j));
    _mm512_storeu_ps(d + j, v);
  }
  if (j + 8 <= n) {
    __m256 v = _mm256_loadu_ps(s + j);
    if (Accumulate) v = _mm256_add_ps(v, _mm256_loadu_ps(d + j));
    _mm256_storeu_ps(d + j, v);
    j += 8;
  }
  if (j + 4 <= n) {
    __m128 v = _mm_loadu_ps(s + j);
    if (Accumulate) v = _mm_add_ps(v, _mm_loadu_ps(d + j));
    _mm_storeu_ps(d + j, v);
    j += 4;
  }
  if (j < n) {
    const __mmask16 m = first_lanes(n - j);
    __m512 v = _mm512_maskz_loadu_ps(m, s + j);
    if (Accumulate) v = _mm512_add_ps(v, _mm512_maskz_loadu_ps(m, d + j));
    _mm512_mask_storeu_ps(d + j, m, v);
  }
}

// Row operations for stride 1 (function objects: a lambda would not carry
// the target attribute). Output column j reads image column x0 + j, inside
// the row for j in [lo, hi).
struct Im2colRowAvx512 {
  i64 width, ow;
  PK_AVX512F void operator()(float* d, const float* src, i64 x0) const {
    i64 lo, hi;
    inside_span(x0, width, ow, &lo, &hi);
    if (src == nullptr) return zero_row(d, ow);
    // Each value written once: the padding on either side, then the image.
    zero_row(d, lo);
    zero_row(d + hi, ow - hi);
    if (hi > lo) copy_span<false>(d + lo, src + (x0 + lo), hi - lo);
  }
};

struct Col2imRowAvx512 {
  i64 width, ow;
  PK_AVX512F void operator()(const float* r, float* dst, i64 x0) const {
    if (dst == nullptr) return;
    i64 lo, hi;
    inside_span(x0, width, ow, &lo, &hi);
    copy_span<true>(dst + (x0 + lo), r + lo, hi - lo);
  }
};

// Stride 1 and no padding: every window lies inside the image, so each
// kernel offset's rows are an OH x OW block of the image, copied (or added
// back) row after row with no bounds to work out; rows of 8 columns (LeNet-5's
// conv2) go two to a vector.
PK_AVX512F inline __m512 two_rows8(const float* a, const float* b) {
  const __m512d lo = _mm512_castpd256_pd512(_mm256_castps_pd(_mm256_loadu_ps(a)));
  return _mm512_castpd_ps(_mm512_insertf64x4(lo, _mm256_castps_pd(_mm256_loadu_ps(b)), 1));
}

PK_AVX512F void im2col_valid_avx512(float* cols, const float* image, const ConvShape& s) {
  const i64 oh = s.out_h(), ow = s.out_w(), w = s.width;
  float* d = cols;
  for (i64 c = 0; c < s.channels; ++c)
    for (i64 ky = 0; ky < s.kernel_h; ++ky)
      for (i64 kx = 0; kx < s.kernel_w; ++kx) {
        const float* src = image + (c * s.height + ky) * w + kx;
        i64 oy = 0;
        if (ow == 8)
          for (; oy + 2 <= oh; oy += 2, d += 16, src += 2 * w) _mm512_storeu_ps(d, two_rows8(src, src + w));
        for (; oy < oh; ++oy, d += ow, src += w) copy_span<false>(d, src, ow);
      }
}

PK_AVX512F void col2im_valid_avx512(float* image, const float* cols, const ConvShape& s) {
  const i64 oh = s.out_h(), ow = s.out_w(), w = s.width;
  const float* r = cols;
  for (i64 c = 0; c < s.channels; ++c)
    for (i64 ky = 0; ky < s.kernel_h; ++ky)
      for (i64 kx = 0; kx < s.kernel_w; ++kx) {
        float* dst = image + (c * s.height + ky) * w + kx;
        i64 oy = 0;
        if (ow == 8)
          for (; oy + 2 <= oh; oy += 2, r += 16, dst += 2 * w) {
            const __m512 sum = _mm512_add_ps(_mm512_loadu_ps(r), two_rows8(dst, dst + w));
            _mm256_storeu_ps(dst, _mm512_castps512_ps256(sum));
            _mm256_storeu_ps(dst + w, _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(sum), 1)));
          }
        for (; oy < oh; ++oy, r += ow, dst += w) copy_span<true>(dst, r, ow);
      }
}

PK_AVX512F void im2col_stride1_avx512(float* cols, const float* image, const ConvShape& s) {
  for_each_col_row(cols, image, s, Im2colRowAvx512{s.width, s.out_w()});
}

PK_AVX512F void col2im_stride1_avx512(float* image, const float* cols, const ConvShape& s) {
  for_each_col_row(cols, image, s, Col2imRowAvx512{s.width, s.out_w()});
}
#endif

}  // namespace

void f32_im2col(float* cols, const float* image, const ConvShape& s) {
#ifdef PK_IM2COL_AVX512
  if (s.stride == 1 && s.padding == 0 && backend().simd == Simd::avx512) return im2col_valid_avx512(cols, image, s);
  if (s.stride == 1 && backend().simd == Simd::avx512) return im2col_stride1_avx512(cols, image, s);
#endif
  f32_im2col__portable(cols, image, s);
}

void f32_col2im(float* image, const float* cols, const ConvShape& s) {
#ifdef PK_IM2COL_AVX512
  if (s.stride == 1 && s.padding == 0 && backend().simd == Simd::avx512) return col2im_valid_avx512(image, cols, s);
  if (s.stride == 1 && backend().simd == Simd::avx512) return col2im_stride1_avx512(image, cols, s);
#endif
  f32_col2im__portable(image, cols, s);
}

namespace {

// A bias gradient's row sum in 32 float lanes folded in a fixed order: it
// vectorises, where one float chain waited on every add (1.5M adds a batch
// for LeNet-5's first layer).
PK_CLONES float row_sum(const float* __restrict x, i64 n) {
  constexpr int kLanes = 32;
  float lane[kLanes] = {};
  i64 i = 0;
  for (; i + kLanes <= n; i += kLanes)
    for (int j = 0; j < kLanes; ++j) lane[j] += x[i + j];
  for (int j = 0; i + j < n; ++j) lane[j] += x[i + j];
  for (int width = kLanes / 2; width >= 1; width /= 2)
    for (int j = 0; j < width; ++j) lane[j] += lane[j + width];
  return lane[0];
}

}  // namespace

// One image per task: its columns (patch, OH*OW) stay in the thread's L2
// (128 KB for LeNet-5's conv2) between im2col and the single-threaded GEMM
// that reads them, instead of a batch-wide buffer making a round trip through
// memory.
void f32_conv2d_forward(float* y, const float* x, const float* w, const float* bias, const ConvShape& s) {
  const i64 ohw = s.out_h() * s.out_w(), patch = s.patch(), image = s.channels * s.height * s.width;
  parallel_each(s.batch, [&](i64 b) {
    thread_local std::vector<float> cols;
    cols.resize(size_t(patch * ohw));
    f32_im2col(cols.data(), x + b * image, s);
    // y_b (O, OHW) = bias + w (O, patch) . cols (patch, OHW)
    float* yb = y + b * s.out_channels * ohw;
    if (bias)
      for (i64 o = 0; o < s.out_channels; ++o) std::fill(yb + o * ohw, yb + (o + 1) * ohw, bias[o]);
    f32_gemm_serial(gemm_packed(yb, w, cols.data(), false, false, s.out_channels, ohw, patch, 1.0f, bias ? 1.0f : 0.0f));
  });
}

// Each task sums the weight and bias gradients of its own images into its own
// buffer; the buffers are added in task order, so the result depends on the
// thread count but never on timing.
void f32_conv2d_backward(float* dw, float* db, float* dx, const float* dy, const float* x, const float* w,
                         const ConvShape& s) {
  const i64 ohw = s.out_h() * s.out_w(), patch = s.patch(), image = s.channels * s.height * s.width;
  const i64 dw_size = s.out_channels * patch, stride = dw_size + s.out_channels;
  const int parts = int(std::max<i64>(1, std::min<i64>(pool_threads(), s.batch)));
  thread_local std::vector<float> partial;
  partial.assign(size_t(parts * stride), 0.0f);
  float* partial_data = partial.data();
  parallel_for(parts, [&](int t) {
    thread_local std::vector<float> cols, dcols;
    cols.resize(size_t(patch * ohw));
    if (dx) dcols.resize(size_t(patch * ohw));
    float* dwt = partial_data + t * stride;
    float* dbt = dwt + dw_size;
    for (i64 b = split_point(s.batch, parts, t); b < split_point(s.batch, parts, t + 1); ++b) {
      const float* dyb = dy + b * s.out_channels * ohw;
      f32_im2col(cols.data(), x + b * image, s);
      // dw (O, patch) += dy_b (O, OHW) . cols^T (OHW, patch)
      f32_gemm_serial(gemm_packed(dwt, dyb, cols.data(), false, true, s.out_channels, patch, ohw, 1.0f, 1.0f));
      for (i64 o = 0; o < s.out_channels; ++o) dbt[o] += row_sum(dyb + o * ohw, ohw);
      if (dx) {
        // dcols (patch, OHW) = w^T (patch, O) . dy_b (O, OHW)
        f32_gemm_serial(gemm_packed(dcols.data(), w, dyb, true, false, patch, ohw, s.out_channels, 1.0f, 0.0f));
        float* dxb = dx + b * image;
        std::fill(dxb, dxb + image, 0.0f);
        f32_col2im(dxb, dcols.data(), s);
      }
    }
  });
  std::fill(dw, dw + dw_size, 0.0f);
  std::fill(db, db + s.out_channels, 0.0f);
  for (int t = 0; t < parts; ++t) {
    const float* dwt = partial_data + t * stride;
    for (i64 i = 0; i < dw_size; ++i) dw[i] += dwt[i];
    for (i64 o = 0; o < s.out_channels; ++o) db[o] += dwt[dw_size + o];
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

}  // namespace pk
