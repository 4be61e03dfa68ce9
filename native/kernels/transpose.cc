// Transpose: 16x16 register blocks on AVX-512 (four rounds of in-register
// shuffles instead of 256 scalar moves), cache-blocked scalar elsewhere.
// Row gather: one memcpy per row, split over the pool for whole batches.
#include "transpose.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "backend.h"
#include "parallel.h"

namespace pk {

i64 f32_gather_rows(float* dst, const float* src, i64 src_rows, i64 width, const std::int32_t* rows, i64 count) {
  for (i64 r = 0; r < count; ++r)
    if (rows[r] < 0 || rows[r] >= src_rows) return r;
  // A batch of MNIST rows (128 x 784) is scattered over the dataset: two
  // threads keep twice the cache misses in flight.
  const int tasks = count * width < (1 << 16) ? 1 : int(std::min<i64>(pool_threads(), count));
  parallel_for(tasks, [&](int t) {
    for (i64 r = split_point(count, tasks, t); r < split_point(count, tasks, t + 1); ++r)
      std::memcpy(dst + r * width, src + i64(rows[r]) * width, sizeof(float) * std::size_t(width));
  });
  return -1;
}

void f32_transpose__reference(float* dst, i64 ld_dst, const float* src, i64 ld_src, i64 rows, i64 cols) {
  for (i64 i = 0; i < rows; ++i)
    for (i64 j = 0; j < cols; ++j) dst[j * ld_dst + i] = src[i * ld_src + j];
}

void f32_transpose_padded(float* dst, i64 width, const float* src, i64 ld_src, i64 samples, i64 cols) {
  f32_transpose(dst, width, src, ld_src, samples, cols);
  if (samples < width)
    for (i64 c = 0; c < cols; ++c) std::fill(dst + c * width + samples, dst + (c + 1) * width, 0.0f);
}

float* aligned_scratch(std::vector<float>& buf, i64 floats) {
  if (buf.size() < std::size_t(floats + 16)) buf.resize(std::size_t(floats + 16));
  std::uintptr_t at = reinterpret_cast<std::uintptr_t>(buf.data());
  return reinterpret_cast<float*>((at + 63) & ~std::uintptr_t(63));
}

namespace {

void transpose_blocked(float* dst, i64 ld_dst, const float* src, i64 ld_src, i64 rows, i64 cols) {
  constexpr i64 kBlock = 32;
  for (i64 i0 = 0; i0 < rows; i0 += kBlock)
    for (i64 j0 = 0; j0 < cols; j0 += kBlock) {
      const i64 i1 = std::min(rows, i0 + kBlock), j1 = std::min(cols, j0 + kBlock);
      for (i64 i = i0; i < i1; ++i)
        for (i64 j = j0; j < j1; ++j) dst[j * ld_dst + i] = src[i * ld_src + j];
    }
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define PK_TRANSPOSE_AVX512 1

#define PK_AVX512 __attribute__((target("avx512f,avx512dq,avx512vl")))

// r[i] holds row i of a 16x16 block on entry and column i on return.
PK_AVX512 inline void transpose16(__m512 r[16]) {
  __m512 t[16], u[16];
  for (int i = 0; i < 16; i += 2) {
    t[i] = _mm512_unpacklo_ps(r[i], r[i + 1]);
    t[i + 1] = _mm512_unpackhi_ps(r[i], r[i + 1]);
  }
  for (int i = 0; i < 16; i += 4) {
    u[i] = _mm512_shuffle_ps(t[i], t[i + 2], 0x44);
    u[i + 1] = _mm512_shuffle_ps(t[i], t[i + 2], 0xEE);
    u[i + 2] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0x44);
    u[i + 3] = _mm512_shuffle_ps(t[i + 1], t[i + 3], 0xEE);
  }
  // Each 128-bit lane of u[i] now holds a 4x4 sub-block; gather lanes.
  for (int i = 0; i < 4; ++i) {
    t[i] = _mm512_shuffle_f32x4(u[i], u[i + 4], 0x88);
    t[i + 4] = _mm512_shuffle_f32x4(u[i], u[i + 4], 0xDD);
    t[i + 8] = _mm512_shuffle_f32x4(u[i + 8], u[i + 12], 0x88);
    t[i + 12] = _mm512_shuffle_f32x4(u[i + 8], u[i + 12], 0xDD);
  }
  for (int i = 0; i < 8; ++i) {
    r[i] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0x88);
    r[i + 8] = _mm512_shuffle_f32x4(t[i], t[i + 8], 0xDD);
  }
}

PK_AVX512 void transpose_avx512(float* dst, i64 ld_dst, const float* src, i64 ld_src, i64 rows, i64 cols) {
  for (i64 i0 = 0; i0 < rows; i0 += 16) {
    const i64 ni = std::min<i64>(16, rows - i0);
    const __mmask16 row_lanes = first_lanes(ni);
    for (i64 j0 = 0; j0 < cols; j0 += 16) {
      const i64 nj = std::min<i64>(16, cols - j0);
      const __mmask16 col_lanes = first_lanes(nj);
      __m512 r[16];
      for (i64 i = 0; i < 16; ++i)
        r[i] = i < ni ? _mm512_maskz_loadu_ps(col_lanes, src + (i0 + i) * ld_src + j0) : _mm512_setzero_ps();
      transpose16(r);
      for (i64 j = 0; j < nj; ++j) _mm512_mask_storeu_ps(dst + (j0 + j) * ld_dst + i0, row_lanes, r[j]);
    }
  }
}
#endif

}  // namespace

void f32_transpose(float* dst, i64 ld_dst, const float* src, i64 ld_src, i64 rows, i64 cols) {
#ifdef PK_TRANSPOSE_AVX512
  if (backend().simd == Simd::avx512) {
    transpose_avx512(dst, ld_dst, src, ld_src, rows, cols);
    return;
  }
#endif
  transpose_blocked(dst, ld_dst, src, ld_src, rows, cols);
}

}  // namespace pk
