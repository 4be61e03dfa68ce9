// Sparse (CSR) x dense products for pruned Dense layers, and CSR construction.
//
// A pruned Dense layer with weight W (rows, cols) = (out, in) needs:
//   forward        Y  (B, rows) = X (B, cols) . W^T + bias       spmm_xwt
//   input grad     dX (B, cols) = dY (B, rows) . W                spmm_xw
//   weight grad    dW (rows, cols) = dY^T . X on W's pattern      sddmm
#pragma once

#include <vector>

#include "common.h"
#include "spmm_ell.h"

namespace pk {

// Owning CSR storage; view() borrows it.
struct Csr {
  std::vector<std::int32_t> row_ptr;
  std::vector<std::int32_t> col_idx;
  std::vector<float> values;
  std::vector<std::uint16_t> col_idx16;  // filled when cols <= 65536
  BlockedEll ell;                         // built on AVX-512 CPUs
  std::vector<std::uint8_t> code;         // codebook execution: weight k = book[code[k]]
  std::vector<float> book;
  i64 rows = 0;
  i64 cols = 0;
  CsrView view() const {
    return CsrView{row_ptr.data(), col_idx.data(), values.data(), rows, cols,
                   col_idx16.empty() && !col_idx.empty() ? nullptr : col_idx16.data(),
                   ell.empty() ? nullptr : &ell,
                   book.empty() ? nullptr : code.data(), book.empty() ? nullptr : book.data(), i64(book.size())};
  }
  // Derives the kernels' extra layouts (narrow indices, blocked ELL) from
  // row_ptr, col_idx and values.
  void prepare();
  // Re-reads the stored entries' values from a dense (rows, cols) matrix.
  void refresh_values(const float* w);
  // Switches to codebook execution for forward products: one byte per entry
  // indexing the distinct stored values (a weight-shared layer's codebook),
  // and no float values. False, changing nothing, when there are more than
  // 256 distinct values. The backward products need float values.
  bool use_codebook();
  // For forward products only (a compiled plan): frees the 32-bit column
  // indices where 16-bit ones exist. Only the backward products and
  // refresh_values read them then.
  void drop_backward_indices();
};

// Keeps entry (r, c) when mask[r*cols + c] != 0, or, without a mask, when the
// weight is non-zero.
Csr csr_from_dense(const float* w, const std::uint8_t* mask, i64 rows, i64 cols);
// Refreshes values from a dense matrix with the same pattern (after training).
void csr_gather_values(float* values, const float* w, CsrView pattern);

void f32_spmm_xwt__reference(float* y, const float* x, const float* bias, CsrView w, i64 batch);
void f32_spmm_xw__reference(float* dx, const float* dy, CsrView w, i64 batch);
void f32_sddmm__reference(float* dw, const float* dy, const float* x, CsrView w, i64 batch);

// Optimised, threaded, dispatched on the CPU's vector width.
void f32_spmm_xwt(float* y, const float* x, const float* bias, CsrView w, i64 batch);
void f32_spmm_xw(float* dx, const float* dy, CsrView w, i64 batch);
void f32_sddmm(float* dw, const float* dy, const float* x, CsrView w, i64 batch);

// One tile at a time, for running several layers per tile (the inference
// plan): a tile holds spmm_tile_width() samples transposed to (features,
// width), 64-byte aligned. yt (rows, width) = W . xt (+ bias per row); each
// sample's sums are those f32_spmm_xwt computes whenever
// spmm_xwt_uses_tiles(w, batch), so the two agree bit for bit.
i64 spmm_tile_width();
bool spmm_xwt_uses_tiles(CsrView w, i64 batch);
void f32_spmm_tile_t(float* yt, const float* xt, const float* bias, CsrView w);

}  // namespace pk
