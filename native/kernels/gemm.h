// Dense GEMM: C = alpha * op(A) * op(B) + beta * C, float32, row-major.
//
// A is (M, K), or (K, M) when trans_a; B is (K, N), or (N, K) when trans_b;
// leading dimensions are given explicitly so a caller can address a block.
// beta == 0 overwrites C without reading it (as BLAS does), so NaN in an
// uninitialised C never leaks into the result.
#pragma once

#include "common.h"

namespace pk {

struct GemmArgs {
  float* c;
  const float* a;
  const float* b;
  bool trans_a;
  bool trans_b;
  i64 m, n, k;
  i64 lda, ldb, ldc;
  float alpha;
  float beta;
};

// Packed leading dimensions for contiguous row-major operands.
GemmArgs gemm_packed(float* c, const float* a, const float* b, bool trans_a, bool trans_b,
                     i64 m, i64 n, i64 k, float alpha, float beta);

// C = beta * C without reading C when beta == 0: the whole product when
// k == 0 or alpha == 0.
void gemm_scale_c(const GemmArgs& g);

// Triple loop in double precision: the oracle for tests.
void f32_gemm__reference(const GemmArgs& g);
// Cache-blocked, packed, auto-vectorised: the fallback without OpenBLAS.
void f32_gemm__builtin(const GemmArgs& g);
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define PK_HAVE_GEMM_AVX512 1
// Packed 14x32 AVX-512 tiles, threaded over the pool itself; AVX-512 CPUs
// only. The built-in backend's GEMM there (5-7x the portable kernel), and
// beside OpenBLAS the GEMM of mid-sized products (see f32_gemm).
void f32_gemm__avx512(const GemmArgs& g);
void f32_gemm__avx512_on(const GemmArgs& g, int max_threads);
#endif
#ifdef PRUNEKIT_HAVE_OPENBLAS
// One single-threaded cblas_sgemm call; threading is done by f32_gemm.
void f32_gemm__openblas(const GemmArgs& g);
#endif

// The dispatched entry point: picks the backend chosen at start-up, handles
// empty sizes, and splits large products across the pool's threads.
void f32_gemm(const GemmArgs& g);
// The same product on the calling thread only: for callers that already
// split their work across the pool (one image per task in a convolution).
void f32_gemm_serial(const GemmArgs& g);

}  // namespace pk
