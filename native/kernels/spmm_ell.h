// Blocked ELL: a layout of a sparse weight for small-batch forward passes on
// AVX-512 CPUs, built next to the CSR.
//
// Rows are grouped 16 at a time (one zmm of outputs) and columns 32 at a time
// (two zmm of inputs). For each (row group, column block) the k-th stored
// entry of each of the 16 rows sits in lane r of slot vector k: its value, and
// its column within the block (0..31, one byte). A forward pass then loads a
// block of x into two registers and, per slot vector, fetches 16 inputs with
// one in-register permute (vpermt2ps) and one FMA: no gathers, which
// microcode mitigations (Downfall) make slow on many Intel CPUs.
#pragma once

#include <vector>

#include "common.h"

namespace pk {

struct BlockedEll {
  static constexpr i64 kRowsPerGroup = 16;
  static constexpr i64 kColsPerBlock = 32;
  i64 groups = 0;
  i64 blocks = 0;
  std::vector<std::int32_t> start;  // groups * blocks + 1 offsets, in slot vectors
  std::vector<float> values;        // 16 per slot vector (0 in padding lanes)
  std::vector<std::uint8_t> code;   // instead of values, for codebook execution
  std::vector<std::uint16_t> valid; // with codes: per slot vector, the lanes holding an entry
  std::vector<std::uint8_t> index;  // 16 per slot vector
  bool empty() const { return start.empty(); }
};

// Builds the layout from a CSR (whose column indices are sorted within rows).
BlockedEll blocked_ell_from_csr(CsrView csr);
// Refreshes the values after the CSR's values changed (same pattern).
void blocked_ell_update_values(BlockedEll& ell, CsrView csr);

// True when this CPU can run f32_ell_xwt (AVX-512).
bool blocked_ell_supported();

// Y (B, rows) = X (B, cols) . W^T + bias for samples [b0, b1), row groups [g0, g1).
// A layout built with codes reads its weights from book (book_size entries).
void f32_ell_xwt(float* y, const float* x, const float* bias, const BlockedEll& ell, const float* book,
                 i64 book_size, i64 rows, i64 cols, i64 b0, i64 b1, i64 g0, i64 g1);

}  // namespace pk
