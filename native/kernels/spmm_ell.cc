// Blocked ELL construction and the AVX-512 small-batch forward kernel.
#include "spmm_ell.h"

#include <algorithm>
#include <cstring>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "backend.h"

namespace pk {

namespace {

// Calls fn(group, block, lane, slot, k) for every stored entry k of the CSR,
// where slot is the entry's position among its row's entries in that block.
template <typename Fn>
void for_each_entry(CsrView csr, Fn fn) {
  const i64 G = BlockedEll::kRowsPerGroup, C = BlockedEll::kColsPerBlock;
  for (i64 r = 0; r < csr.rows; ++r) {
    i64 block = -1, slot = 0;
    for (i64 k = csr.row_ptr[r]; k < csr.row_ptr[r + 1]; ++k) {
      i64 b = csr.col_idx[k] / C;
      slot = b == block ? slot + 1 : 0;
      block = b;
      fn(r / G, b, r % G, slot, k);
    }
  }
}

}  // namespace

BlockedEll blocked_ell_from_csr(CsrView csr) {
  BlockedEll ell;
  const i64 G = BlockedEll::kRowsPerGroup, C = BlockedEll::kColsPerBlock;
  ell.groups = (csr.rows + G - 1) / G;
  ell.blocks = (csr.cols + C - 1) / C;
  const i64 cells = ell.groups * ell.blocks;
  std::vector<std::int32_t> depth(size_t(cells), 0);
  for_each_entry(csr, [&](i64 g, i64 b, i64, i64 slot, i64) {
    std::int32_t& d = depth[size_t(g * ell.blocks + b)];
    d = std::max<std::int32_t>(d, std::int32_t(slot + 1));
  });
  ell.start.assign(size_t(cells + 1), 0);
  for (i64 c = 0; c < cells; ++c) ell.start[size_t(c + 1)] = ell.start[size_t(c)] + depth[size_t(c)];
  const size_t lanes = size_t(ell.start.back()) * size_t(G);
  ell.values.assign(lanes, 0.0f);
  ell.index.assign(lanes, 0);
  for_each_entry(csr, [&](i64 g, i64 b, i64 lane, i64 slot, i64 k) {
    size_t at = size_t(ell.start[size_t(g * ell.blocks + b)] + slot) * size_t(G) + size_t(lane);
    ell.values[at] = csr.values[k];
    ell.index[at] = std::uint8_t(csr.col_idx[k] % C);
  });
  return ell;
}

void blocked_ell_update_values(BlockedEll& ell, CsrView csr) {
  const i64 G = BlockedEll::kRowsPerGroup;
  for_each_entry(csr, [&](i64 g, i64 b, i64 lane, i64 slot, i64 k) {
    ell.values[size_t(ell.start[size_t(g * ell.blocks + b)] + slot) * size_t(G) + size_t(lane)] = csr.values[k];
  });
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)

bool blocked_ell_supported() { return backend().simd == Simd::avx512; }

__attribute__((target("avx512f,avx512bw,avx512vl,avx512dq"))) void f32_ell_xwt(
    float* y, const float* x, const float* bias, const BlockedEll& ell, i64 rows, i64 cols, i64 b0, i64 b1,
    i64 g0, i64 g1) {
  // x is (B, cols), y is (B, rows); ell covers W (rows, cols)
  const i64 G = BlockedEll::kRowsPerGroup, C = BlockedEll::kColsPerBlock;
  const std::int32_t* start = ell.start.data();
  const float* values = ell.values.data();
  const std::uint8_t* index = ell.index.data();
  for (i64 b = b0; b < b1; ++b) {
    const float* xb = x + b * cols;
    float* yb = y + b * rows;
    // Two groups at a time: four independent FMA chains hide the latency.
    for (i64 g = g0; g < g1; g += 2) {
      const bool pair = g + 1 < g1;
      __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
      __m512 c0 = _mm512_setzero_ps(), c1 = _mm512_setzero_ps();
      for (i64 blk = 0; blk < ell.blocks; ++blk) {
        i64 col0 = blk * C;
        i64 left = cols - col0;
        __mmask16 lo_mask = left >= 16 ? __mmask16(0xffff) : __mmask16((1u << left) - 1);
        __mmask16 hi_mask = left >= 32 ? __mmask16(0xffff) : left <= 16 ? __mmask16(0) : __mmask16((1u << (left - 16)) - 1);
        __m512 x_lo = _mm512_maskz_loadu_ps(lo_mask, xb + col0);
        __m512 x_hi = _mm512_maskz_loadu_ps(hi_mask, xb + col0 + 16);
        i64 s = start[g * ell.blocks + blk], end = start[g * ell.blocks + blk + 1];
        for (; s + 1 < end; s += 2) {
          __m512i i0 = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(index + s * G)));
          __m512i i1 = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(index + (s + 1) * G)));
          a0 = _mm512_fmadd_ps(_mm512_loadu_ps(values + s * G), _mm512_permutex2var_ps(x_lo, i0, x_hi), a0);
          a1 = _mm512_fmadd_ps(_mm512_loadu_ps(values + (s + 1) * G), _mm512_permutex2var_ps(x_lo, i1, x_hi), a1);
        }
        if (s < end) {
          __m512i i0 = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(index + s * G)));
          a0 = _mm512_fmadd_ps(_mm512_loadu_ps(values + s * G), _mm512_permutex2var_ps(x_lo, i0, x_hi), a0);
        }
        if (pair) {
          s = start[(g + 1) * ell.blocks + blk];
          end = start[(g + 1) * ell.blocks + blk + 1];
          for (; s + 1 < end; s += 2) {
            __m512i i0 = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(index + s * G)));
            __m512i i1 = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(index + (s + 1) * G)));
            c0 = _mm512_fmadd_ps(_mm512_loadu_ps(values + s * G), _mm512_permutex2var_ps(x_lo, i0, x_hi), c0);
            c1 = _mm512_fmadd_ps(_mm512_loadu_ps(values + (s + 1) * G), _mm512_permutex2var_ps(x_lo, i1, x_hi), c1);
          }
          if (s < end) {
            __m512i i0 = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(index + s * G)));
            c0 = _mm512_fmadd_ps(_mm512_loadu_ps(values + s * G), _mm512_permutex2var_ps(x_lo, i0, x_hi), c0);
          }
        }
      }
      for (int half = 0; half < (pair ? 2 : 1); ++half) {
        i64 r0 = (g + half) * G;
        i64 n = std::min(G, rows - r0);
        __mmask16 m = n >= 16 ? __mmask16(0xffff) : __mmask16((1u << n) - 1);
        __m512 sum = half == 0 ? _mm512_add_ps(a0, a1) : _mm512_add_ps(c0, c1);
        if (bias) sum = _mm512_add_ps(sum, _mm512_maskz_loadu_ps(m, bias + r0));
        _mm512_mask_storeu_ps(yb + r0, m, sum);
      }
    }
  }
}

#else

bool blocked_ell_supported() { return false; }
void f32_ell_xwt(float*, const float*, const float*, const BlockedEll&, i64, i64, i64, i64, i64, i64) {}

#endif

}  // namespace pk
