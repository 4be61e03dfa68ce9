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
  ell.index.assign(lanes, 0);
  if (csr.code) {
    // The codebook need not hold a 0, so padding lanes are masked off instead.
    ell.code.assign(lanes, 0);
    ell.valid.assign(size_t(ell.start.back()), 0);
  } else {
    ell.values.assign(lanes, 0.0f);
  }
  for_each_entry(csr, [&](i64 g, i64 b, i64 lane, i64 slot, i64 k) {
    size_t at = size_t(ell.start[size_t(g * ell.blocks + b)] + slot) * size_t(G) + size_t(lane);
    if (csr.code) {
      ell.code[at] = csr.code[k];
      ell.valid[at / size_t(G)] |= std::uint16_t(1u << lane);
    } else
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

#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq")

namespace {

// Where a slot vector's 16 weights come from: float values, or one-byte codes
// into a codebook held in two registers (at most 32 entries: vpermt2ps) or
// gathered from memory (up to 256). Coded padding lanes get a 0 weight through
// the slot's valid-lane mask, as float padding lanes hold a 0 value.
enum class Weights { floats, book_in_registers, book_gathered };

template <Weights kind>
struct SlotWeights {
  const float* values;
  const std::uint8_t* code;
  const std::uint16_t* valid;
  const float* book;
  __m512 book_lo, book_hi;
  // at: the slot's first lane (slot * 16).
  inline __m512 operator()(i64 at) const {
    if constexpr (kind == Weights::floats) {
      return _mm512_loadu_ps(values + at);
    } else {
      __m512i c = _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(code + at)));
      const __mmask16 live = __mmask16(valid[at / BlockedEll::kRowsPerGroup]);
      if constexpr (kind == Weights::book_in_registers) return _mm512_maskz_permutex2var_ps(live, book_lo, c, book_hi);
      else return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), live, c, book, 4);
    }
  }
};

template <Weights kind>
void ell_xwt(float* y, const float* x, const float* bias, const BlockedEll& ell, const SlotWeights<kind>& weight,
             i64 rows, i64 cols, i64 b0, i64 b1, i64 g0, i64 g1) {
  // x is (B, cols), y is (B, rows); ell covers W (rows, cols)
  const i64 G = BlockedEll::kRowsPerGroup, C = BlockedEll::kColsPerBlock;
  const std::int32_t* start = ell.start.data();
  const std::uint8_t* index = ell.index.data();
  auto column = [&](i64 s) { return _mm512_cvtepu8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(index + s * G))); };
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
        __mmask16 lo_mask = first_lanes(left);
        __mmask16 hi_mask = first_lanes(left - 16);
        __m512 x_lo = _mm512_maskz_loadu_ps(lo_mask, xb + col0);
        __m512 x_hi = _mm512_maskz_loadu_ps(hi_mask, xb + col0 + 16);
        // A block of +0 inputs adds only ±0 products, which leave the sums
        // bit for bit as they are (finite weights): skip it. Images have whole
        // blocks of background, and the branch repeats its pattern for every
        // row group.
        __m512i bits = _mm512_or_si512(_mm512_castps_si512(x_lo), _mm512_castps_si512(x_hi));
        if (_mm512_test_epi32_mask(bits, bits) == 0) continue;
        i64 s = start[g * ell.blocks + blk], end = start[g * ell.blocks + blk + 1];
        for (; s + 1 < end; s += 2) {
          a0 = _mm512_fmadd_ps(weight(s * G), _mm512_permutex2var_ps(x_lo, column(s), x_hi), a0);
          a1 = _mm512_fmadd_ps(weight((s + 1) * G), _mm512_permutex2var_ps(x_lo, column(s + 1), x_hi), a1);
        }
        if (s < end) a0 = _mm512_fmadd_ps(weight(s * G), _mm512_permutex2var_ps(x_lo, column(s), x_hi), a0);
        if (pair) {
          s = start[(g + 1) * ell.blocks + blk];
          end = start[(g + 1) * ell.blocks + blk + 1];
          for (; s + 1 < end; s += 2) {
            c0 = _mm512_fmadd_ps(weight(s * G), _mm512_permutex2var_ps(x_lo, column(s), x_hi), c0);
            c1 = _mm512_fmadd_ps(weight((s + 1) * G), _mm512_permutex2var_ps(x_lo, column(s + 1), x_hi), c1);
          }
          if (s < end) c0 = _mm512_fmadd_ps(weight(s * G), _mm512_permutex2var_ps(x_lo, column(s), x_hi), c0);
        }
      }
      for (int half = 0; half < (pair ? 2 : 1); ++half) {
        i64 r0 = (g + half) * G;
        i64 n = std::min(G, rows - r0);
        __mmask16 m = first_lanes(n);
        __m512 sum = half == 0 ? _mm512_add_ps(a0, a1) : _mm512_add_ps(c0, c1);
        if (bias) sum = _mm512_add_ps(sum, _mm512_maskz_loadu_ps(m, bias + r0));
        _mm512_mask_storeu_ps(yb + r0, m, sum);
      }
    }
  }
}

}  // namespace

void f32_ell_xwt(float* y, const float* x, const float* bias, const BlockedEll& ell, const float* book,
                 i64 book_size, i64 rows, i64 cols, i64 b0, i64 b1, i64 g0, i64 g1) {
  if (ell.code.empty()) {
    ell_xwt(y, x, bias, ell, SlotWeights<Weights::floats>{ell.values.data(), nullptr, nullptr, nullptr, {}, {}}, rows, cols, b0,
            b1, g0, g1);
  } else if (book_size <= 32) {
    const __mmask16 lo = first_lanes(book_size);
    const __mmask16 hi = first_lanes(book_size - 16);
    SlotWeights<Weights::book_in_registers> w{nullptr, ell.code.data(), ell.valid.data(), book, _mm512_maskz_loadu_ps(lo, book),
                                              _mm512_maskz_loadu_ps(hi, book + 16)};
    ell_xwt(y, x, bias, ell, w, rows, cols, b0, b1, g0, g1);
  } else {
    ell_xwt(y, x, bias, ell, SlotWeights<Weights::book_gathered>{nullptr, ell.code.data(), ell.valid.data(), book, {}, {}}, rows, cols,
            b0, b1, g0, g1);
  }
}

#pragma GCC pop_options

#else

bool blocked_ell_supported() { return false; }
void f32_ell_xwt(float*, const float*, const float*, const BlockedEll&, const float*, i64, i64, i64, i64, i64, i64, i64) {}

#endif

}  // namespace pk
