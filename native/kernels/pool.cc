// 2-D max pooling: forward with argmax, backward by the argmax (a scatter,
// or for 2x2 windows of stride 2 one vector pass that writes each input once).
#include "pool.h"

#include <algorithm>
#include <mutex>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "backend.h"
#include "parallel.h"

namespace pk {

namespace {

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define PK_POOL_AVX512 1
// 2x2 windows, stride 2, sixteen outputs per step: the four candidates come
// from two rows split into even and odd columns, and the same "later value
// wins if greater, or if NaN over a number" rule as the scalar loop picks
// each lane's maximum and its index. Short rows (LeNet-5 pools 24 and 8
// columns) run masked.
__attribute__((target("avx512f"))) void pool2x2_row_avx512(float* y, std::int32_t* argmax, const float* r0,
                                                          const float* r1, std::int32_t at0, i64 width, i64 ow) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i odd = _mm512_add_epi32(even, _mm512_set1_epi32(1));
  const __m512i w = _mm512_set1_epi32(std::int32_t(width)), one = _mm512_set1_epi32(1);
  for (i64 ox = 0; ox < ow; ox += 16) {
    // Output columns [ox, ox + n) read input columns [2 ox, 2 ox + 2n), all inside the row.
    const i64 n = std::min<i64>(16, ow - ox);
    const __mmask16 lo = first_lanes(2 * n), hi = first_lanes(2 * n - 16);
    const __m512 a0 = _mm512_maskz_loadu_ps(lo, r0 + 2 * ox), a1 = _mm512_maskz_loadu_ps(hi, r0 + 2 * ox + 16);
    const __m512 b0 = _mm512_maskz_loadu_ps(lo, r1 + 2 * ox), b1 = _mm512_maskz_loadu_ps(hi, r1 + 2 * ox + 16);
    const __m512 cand[3] = {_mm512_permutex2var_ps(a0, odd, a1), _mm512_permutex2var_ps(b0, even, b1),
                            _mm512_permutex2var_ps(b0, odd, b1)};
    const __m512i base = _mm512_add_epi32(_mm512_set1_epi32(at0 + std::int32_t(2 * ox)), even);
    const __m512i where[3] = {_mm512_add_epi32(base, one), _mm512_add_epi32(base, w),
                              _mm512_add_epi32(_mm512_add_epi32(base, w), one)};
    __m512 top = _mm512_permutex2var_ps(a0, even, a1);
    __m512i best = base;
    for (int c = 0; c < 3; ++c) {
      const __mmask16 take = _mm512_cmp_ps_mask(cand[c], top, _CMP_GT_OQ) |
                             (_mm512_cmp_ps_mask(cand[c], cand[c], _CMP_UNORD_Q) & _mm512_cmp_ps_mask(top, top, _CMP_ORD_Q));
      top = _mm512_mask_mov_ps(top, take, cand[c]);
      best = _mm512_mask_mov_epi32(best, take, where[c]);
    }
    _mm512_mask_storeu_ps(y + ox, first_lanes(n), top);
    _mm512_mask_storeu_epi32(argmax + ox, first_lanes(n), best);
  }
}

// The backward pass of the same windows, written once: each input of a
// window gets 0, except the window's maximum, which gets dy. Sixteen outputs
// per step: four compares find each lane's argmax among its window's four
// inputs, and two rows are woven back from even and odd columns. Returns
// false when some index is not one of its own window's inputs; the caller
// then redoes the plane with the general scatter, which accepts any index
// inside the plane and reports one outside it.
__attribute__((target("avx512f"))) bool unpool2x2_row_avx512(float* d0, float* d1, const float* dy,
                                                            const std::int32_t* argmax, std::int32_t at0, i64 width,
                                                            i64 ow) {
  const __m512i even = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
  const __m512i low = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
  const __m512i high = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  const __m512i w = _mm512_set1_epi32(std::int32_t(width)), one = _mm512_set1_epi32(1);
  for (i64 ox = 0; ox < ow; ox += 16) {
    const i64 n = std::min<i64>(16, ow - ox);
    const __mmask16 m = first_lanes(n);
    // One read of each index: the value compared is the value used.
    __m512i a = _mm512_maskz_loadu_epi32(m, argmax + ox);
    asm volatile("" : "+v"(a));  // never reloaded from shared memory
    const __m512 g = _mm512_maskz_loadu_ps(m, dy + ox);
    const __m512i top_left = _mm512_add_epi32(_mm512_set1_epi32(at0 + std::int32_t(2 * ox)), even);
    const __mmask16 k00 = _mm512_cmpeq_epi32_mask(a, top_left);
    const __mmask16 k01 = _mm512_cmpeq_epi32_mask(a, _mm512_add_epi32(top_left, one));
    const __mmask16 k10 = _mm512_cmpeq_epi32_mask(a, _mm512_add_epi32(top_left, w));
    const __mmask16 k11 = _mm512_cmpeq_epi32_mask(a, _mm512_add_epi32(_mm512_add_epi32(top_left, w), one));
    if (__mmask16((k00 | k01 | k10 | k11) & m) != m) return false;
    // 0 + dy, as the scatter computes it: -0 becomes +0, bit for bit the same.
    const __m512 zero = _mm512_setzero_ps();
    const __m512 v00 = _mm512_maskz_add_ps(k00, zero, g), v01 = _mm512_maskz_add_ps(k01, zero, g);
    const __m512 v10 = _mm512_maskz_add_ps(k10, zero, g), v11 = _mm512_maskz_add_ps(k11, zero, g);
    const __mmask16 lo = first_lanes(2 * n), hi = first_lanes(2 * n - 16);
    _mm512_mask_storeu_ps(d0 + 2 * ox, lo, _mm512_permutex2var_ps(v00, low, v01));
    _mm512_mask_storeu_ps(d0 + 2 * ox + 16, hi, _mm512_permutex2var_ps(v00, high, v01));
    _mm512_mask_storeu_ps(d1 + 2 * ox, lo, _mm512_permutex2var_ps(v10, low, v11));
    _mm512_mask_storeu_ps(d1 + 2 * ox + 16, hi, _mm512_permutex2var_ps(v10, high, v11));
  }
  return true;
}
#endif

}  // namespace

void f32_maxpool2d_forward(float* y, std::int32_t* argmax, const float* x, const PoolShape& s) {
  const i64 oh = s.out_h(), ow = s.out_w();
  parallel_each(s.batch * s.channels, [&](i64 bc) {
    const float* plane = x + bc * s.height * s.width;
    for (i64 oy = 0; oy < oh; ++oy) {
      i64 ox = 0;
#ifdef PK_POOL_AVX512
      if (s.size == 2 && s.stride == 2 && backend().simd == Simd::avx512) {
        const i64 row = 2 * oy * s.width;
        pool2x2_row_avx512(y + (bc * oh + oy) * ow, argmax + (bc * oh + oy) * ow, plane + row, plane + row + s.width,
                           std::int32_t(bc * s.height * s.width + row), s.width, ow);
        ox = ow;
      }
#endif
      for (; ox < ow; ++ox) {
        // Branch-free (the comparisons are coin flips on real images): the
        // first maximum wins ties, and NaN wins, so it propagates.
        i64 best = (oy * s.stride) * s.width + ox * s.stride;
        float top = plane[best];
        for (i64 ky = 0; ky < s.size; ++ky)
          for (i64 kx = 0; kx < s.size; ++kx) {
            const i64 at = (oy * s.stride + ky) * s.width + ox * s.stride + kx;
            const float v = plane[at];
            const bool take = (v > top) | ((v != v) & (top == top));
            best = take ? at : best;
            top = take ? v : top;
          }
        i64 out = (bc * oh + oy) * ow + ox;
        y[out] = top;
        argmax[out] = std::int32_t(bc * s.height * s.width + best);
      }
    }
  });
}

// argmax[i] must lie in the plane of output i (the forward pass makes it
// so), which keeps the planes independent: each is checked as it is used.
i64 f32_maxpool2d_backward(float* dx, const float* dy, const std::int32_t* argmax, const PoolShape& s,
                           std::int32_t* bad_value) {
  const i64 in_plane = s.height * s.width, out_plane = s.out_h() * s.out_w();
  std::mutex bad_mutex;
  i64 first_bad = -1;
  const i64 oh = s.out_h(), ow = s.out_w();
  parallel_each(s.batch * s.channels, [&](i64 bc) {
    float* plane = dx + bc * in_plane;
    const i64 base = bc * in_plane;
#ifdef PK_POOL_AVX512
    // Windows that tile the plane exactly: every input written once. Below 8
    // outputs a row (LeNet-5's second pool has 4) the vectors run mostly
    // empty and the scatter is faster.
    if (s.size == 2 && s.stride == 2 && 2 * oh == s.height && 2 * ow == s.width && ow >= 8 &&
        backend().simd == Simd::avx512) {
      bool done = true;
      for (i64 oy = 0; oy < oh && done; ++oy) {
        float* row = plane + 2 * oy * s.width;
        done = unpool2x2_row_avx512(row, row + s.width, dy + (bc * oh + oy) * ow, argmax + (bc * oh + oy) * ow,
                                    std::int32_t(base + 2 * oy * s.width), s.width, ow);
      }
      if (done) return;
    }
#endif
    std::fill(plane, plane + in_plane, 0.0f);
    for (i64 i = bc * out_plane; i < (bc + 1) * out_plane; ++i) {
      // One read (atomic, for a shared buffer another thread writes): the
      // value checked is the value used, and the value reported.
      const std::int32_t read = __atomic_load_n(argmax + i, __ATOMIC_RELAXED);
      const i64 at = i64(read) - base;
      if (at < 0 || at >= in_plane) {
        std::lock_guard<std::mutex> lock(bad_mutex);
        if (first_bad < 0 || i < first_bad) {
          first_bad = i;
          *bad_value = read;
        }
        return;
      }
      plane[at] += dy[i];
    }
  });
  return first_bad;
}

}  // namespace pk
