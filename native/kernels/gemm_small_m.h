// X . W^T for batches of 1..4 rows (see gemm_small_m.cc).
#pragma once

#include "backend.h"
#include "gemm.h"

namespace pk {

// True for C = alpha * A . B^T + beta * C with 1 <= M <= 4, A not
// transposed, K >= 16, on a CPU with AVX2 or AVX-512.
bool small_m_xwt_applies(const GemmArgs& g);
// Columns [n0, n1) of C with the kernel built for `simd` (avx2 or avx512);
// tests call it directly so both builds run on an AVX-512 CPU.
void small_m_xwt_on(Simd simd, const GemmArgs& g, i64 n0, i64 n1);
// The same with the CPU's own kernel set.
void small_m_xwt(const GemmArgs& g, i64 n0, i64 n1);

}  // namespace pk
