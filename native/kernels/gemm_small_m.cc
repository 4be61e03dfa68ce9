// Small batches: X . W^T by row dot products.
//
// C (M, N) = alpha * A (M, K) . B^T + beta * C with B given as (N, K) and
// M <= 4: a Dense layer's forward at batch 1..4. BLAS packs B on every call,
// which dominates at these sizes; here each row of B streams once through
// registers and serves all M rows of A. An AVX-512 and an AVX2 build of the
// same loop: on a 2-vCPU Zen 3 (AVX2), OpenBLAS took 50-60 us for batch 1
// through LeNet-300-100's 784x300 layer.
#include "gemm_small_m.h"

#include <cassert>
#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace pk {

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
namespace {

#define PK_AVX512 __attribute__((target("avx512f,avx512dq,fma")))
#define PK_AVX2 __attribute__((target("avx2,fma")))

// C[i, j] = alpha * dot + beta * C[i, j], never reading C when beta == 0.
inline void store_dot(const GemmArgs& g, i64 i, i64 j, float dot) {
  float* c = g.c + i * g.ldc + j;
  *c = g.beta == 0.0f ? g.alpha * dot : g.alpha * dot + g.beta * *c;
}

// C[0, M) x [j, j + R): R rows of B at once, so each row of A loads once per
// R rows and the M x R accumulators give independent FMA chains. M is a
// template argument so the accumulators stay in registers (with a run-time
// M they went through the stack: 2-3x slower at batch 1).
template <int M, int R>
[[gnu::always_inline]] inline PK_AVX512 void xwt_block_avx512(const GemmArgs& g, i64 j) {
  const i64 k16 = g.k & ~i64(15);
  const __mmask16 tail = first_lanes(g.k - k16);
  const float* b[R];
  for (int r = 0; r < R; ++r) b[r] = g.b + (j + r) * g.ldb;
  __m512 acc[M][R];
  for (int i = 0; i < M; ++i)
    for (int r = 0; r < R; ++r) acc[i][r] = _mm512_setzero_ps();
  auto step = [&](i64 p, __mmask16 lanes) __attribute__((always_inline, target("avx512f,avx512dq,fma"))) {
    __m512 w[R];
    for (int r = 0; r < R; ++r) w[r] = _mm512_maskz_loadu_ps(lanes, b[r] + p);
    for (int i = 0; i < M; ++i) {
      const __m512 a = _mm512_maskz_loadu_ps(lanes, g.a + i * g.lda + p);
      for (int r = 0; r < R; ++r) acc[i][r] = _mm512_fmadd_ps(a, w[r], acc[i][r]);
    }
  };
  for (i64 p = 0; p < k16; p += 16) step(p, 0xFFFF);
  if (tail) step(k16, tail);
  for (int i = 0; i < M; ++i)
    for (int r = 0; r < R; ++r) store_dot(g, i, j + r, _mm512_reduce_add_ps(acc[i][r]));
}

template <int M>
PK_AVX512 void small_m_xwt_avx512(const GemmArgs& g, i64 n0, i64 n1) {
  i64 j = n0;
  for (; j + 4 <= n1; j += 4) xwt_block_avx512<M, 4>(g, j);
  for (; j < n1; ++j) xwt_block_avx512<M, 1>(g, j);
}

// AVX2 has 16 vector registers: M x R accumulators, R weights and one input
// must fit, so R shrinks as M grows. The tail of K is a masked load (the
// lanes past K read as zero, as AVX-512's maskz loads do).
template <int M, int R>
[[gnu::always_inline]] inline PK_AVX2 void xwt_block_avx2(const GemmArgs& g, i64 j) {
  const i64 k8 = g.k & ~i64(7);
  const i64 rest = g.k - k8;
  const __m256i tail = _mm256_cmpgt_epi32(_mm256_set1_epi32(int(rest)), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  const float* b[R];
  for (int r = 0; r < R; ++r) b[r] = g.b + (j + r) * g.ldb;
  __m256 acc[M][R];
  for (int i = 0; i < M; ++i)
    for (int r = 0; r < R; ++r) acc[i][r] = _mm256_setzero_ps();
  auto step = [&](i64 p, bool masked) __attribute__((always_inline, target("avx2,fma"))) {
    __m256 w[R];
    for (int r = 0; r < R; ++r) w[r] = masked ? _mm256_maskload_ps(b[r] + p, tail) : _mm256_loadu_ps(b[r] + p);
    for (int i = 0; i < M; ++i) {
      const float* x = g.a + i * g.lda + p;
      const __m256 a = masked ? _mm256_maskload_ps(x, tail) : _mm256_loadu_ps(x);
      for (int r = 0; r < R; ++r) acc[i][r] = _mm256_fmadd_ps(a, w[r], acc[i][r]);
    }
  };
  for (i64 p = 0; p < k8; p += 8) step(p, false);
  if (rest) step(k8, true);
  for (int i = 0; i < M; ++i)
    for (int r = 0; r < R; ++r) {
      const __m128 half = _mm_add_ps(_mm256_castps256_ps128(acc[i][r]), _mm256_extractf128_ps(acc[i][r], 1));
      const __m128 pair = _mm_add_ps(half, _mm_movehl_ps(half, half));
      store_dot(g, i, j + r, _mm_cvtss_f32(_mm_add_ss(pair, _mm_movehdup_ps(pair))));
    }
}

template <int M>
PK_AVX2 void small_m_xwt_avx2(const GemmArgs& g, i64 n0, i64 n1) {
  constexpr int R = M <= 2 ? 4 : 2;
  i64 j = n0;
  for (; j + R <= n1; j += R) xwt_block_avx2<M, R>(g, j);
  for (; j < n1; ++j) xwt_block_avx2<M, 1>(g, j);
}

}  // namespace

bool small_m_xwt_applies(const GemmArgs& g) {
  return g.m >= 1 && g.m <= 4 && !g.trans_a && g.trans_b && g.k >= 16 && backend().simd != Simd::generic;
}

void small_m_xwt_on(Simd simd, const GemmArgs& g, i64 n0, i64 n1) {
  assert(g.m >= 1 && g.m <= 4 && simd != Simd::generic);
  if (simd == Simd::avx512) {
    switch (g.m) {
      case 1: return small_m_xwt_avx512<1>(g, n0, n1);
      case 2: return small_m_xwt_avx512<2>(g, n0, n1);
      case 3: return small_m_xwt_avx512<3>(g, n0, n1);
      default: return small_m_xwt_avx512<4>(g, n0, n1);
    }
  }
  switch (g.m) {
    case 1: return small_m_xwt_avx2<1>(g, n0, n1);
    case 2: return small_m_xwt_avx2<2>(g, n0, n1);
    case 3: return small_m_xwt_avx2<3>(g, n0, n1);
    default: return small_m_xwt_avx2<4>(g, n0, n1);
  }
}

#else
bool small_m_xwt_applies(const GemmArgs&) { return false; }
void small_m_xwt_on(Simd, const GemmArgs&, i64, i64) { assert(false); }
#endif

void small_m_xwt(const GemmArgs& g, i64 n0, i64 n1) { small_m_xwt_on(backend().simd, g, n0, n1); }

}  // namespace pk
