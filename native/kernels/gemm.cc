// Dense GEMM kernels: reference, built-in blocked, OpenBLAS, and the threaded
// dispatcher.
#include "gemm.h"

#include <algorithm>
#include <cstring>
#include <vector>

#include "backend.h"
#include "gemm_small_m.h"
#include "parallel.h"

#ifdef PRUNEKIT_HAVE_OPENBLAS
#include <cblas.h>
#endif

namespace pk {

GemmArgs gemm_packed(float* c, const float* a, const float* b, bool trans_a, bool trans_b,
                     i64 m, i64 n, i64 k, float alpha, float beta) {
  return GemmArgs{c, a, b, trans_a, trans_b, m, n, k,
                  trans_a ? m : k, trans_b ? k : n, n, alpha, beta};
}

namespace {

inline float a_at(const GemmArgs& g, i64 i, i64 p) {
  return g.trans_a ? g.a[p * g.lda + i] : g.a[i * g.lda + p];
}
inline float b_at(const GemmArgs& g, i64 p, i64 j) {
  return g.trans_b ? g.b[j * g.ldb + p] : g.b[p * g.ldb + j];
}

}  // namespace

void gemm_scale_c(const GemmArgs& g) {
  for (i64 i = 0; i < g.m; ++i) {
    float* row = g.c + i * g.ldc;
    if (g.beta == 0.0f) {
      std::fill(row, row + g.n, 0.0f);
    } else if (g.beta != 1.0f) {
      for (i64 j = 0; j < g.n; ++j) row[j] *= g.beta;
    }
  }
}

// --- reference ---------------------------------------------------------------

void f32_gemm__reference(const GemmArgs& g) {
  // C is (M, N); accumulate in double so the oracle is more exact than any
  // optimised path under test.
  for (i64 i = 0; i < g.m; ++i) {
    for (i64 j = 0; j < g.n; ++j) {
      double acc = 0.0;
      for (i64 p = 0; p < g.k; ++p) acc += double(a_at(g, i, p)) * double(b_at(g, p, j));
      float prior = g.beta == 0.0f ? 0.0f : g.beta * g.c[i * g.ldc + j];
      g.c[i * g.ldc + j] = float(g.alpha * acc) + prior;
    }
  }
}

// --- built-in blocked --------------------------------------------------------
//
// Goto-style blocking: B is packed in KC x NR column panels, A in MR x KC row
// panels, and a register-tile micro-kernel accumulates MR x NR outputs.

namespace {

constexpr i64 kMR = 6;
constexpr i64 kNR = 32;
constexpr i64 kKC = 256;
constexpr i64 kMC = 120;
constexpr i64 kNC = 2048;

// acc (MR, NR) += Ap (KC, MR) * Bp (KC, NR); then C += alpha * acc.
PK_CLONES
void micro_kernel(i64 kc, const float* __restrict ap, const float* __restrict bp, float* c, i64 ldc,
                  i64 mr, i64 nr, float alpha) {
  float acc[kMR][kNR] = {};
  for (i64 p = 0; p < kc; ++p) {
    const float* brow = bp + p * kNR;
    const float* acol = ap + p * kMR;
#pragma GCC unroll 6
    for (i64 r = 0; r < kMR; ++r) {
      float av = acol[r];
#pragma GCC ivdep
      for (i64 j = 0; j < kNR; ++j) acc[r][j] += av * brow[j];
    }
  }
  for (i64 r = 0; r < mr; ++r)
    for (i64 j = 0; j < nr; ++j) c[r * ldc + j] += alpha * acc[r][j];
}

void pack_b(const GemmArgs& g, i64 p0, i64 kc, i64 j0, i64 nc, float* out) {
  for (i64 jp = 0; jp < nc; jp += kNR) {
    i64 nr = std::min(kNR, nc - jp);
    for (i64 p = 0; p < kc; ++p) {
      float* dst = out + jp * kc + p * kNR;
      for (i64 j = 0; j < nr; ++j) dst[j] = b_at(g, p0 + p, j0 + jp + j);
      for (i64 j = nr; j < kNR; ++j) dst[j] = 0.0f;
    }
  }
}

void pack_a(const GemmArgs& g, i64 i0, i64 mc, i64 p0, i64 kc, float* out) {
  for (i64 ip = 0; ip < mc; ip += kMR) {
    i64 mr = std::min(kMR, mc - ip);
    for (i64 p = 0; p < kc; ++p) {
      float* dst = out + ip * kc + p * kMR;
      for (i64 r = 0; r < mr; ++r) dst[r] = a_at(g, i0 + ip + r, p0 + p);
      for (i64 r = mr; r < kMR; ++r) dst[r] = 0.0f;
    }
  }
}

}  // namespace

void f32_gemm__builtin(const GemmArgs& g) {
  gemm_scale_c(g);
  if (g.k == 0 || g.alpha == 0.0f) return;
  thread_local std::vector<float> packed_a, packed_b;
  packed_a.resize(size_t((kMC + kMR) * kKC));
  packed_b.resize(size_t((kNC + kNR) * kKC));
  for (i64 j0 = 0; j0 < g.n; j0 += kNC) {
    i64 nc = std::min(kNC, g.n - j0);
    for (i64 p0 = 0; p0 < g.k; p0 += kKC) {
      i64 kc = std::min(kKC, g.k - p0);
      pack_b(g, p0, kc, j0, nc, packed_b.data());
      for (i64 i0 = 0; i0 < g.m; i0 += kMC) {
        i64 mc = std::min(kMC, g.m - i0);
        pack_a(g, i0, mc, p0, kc, packed_a.data());
        for (i64 jp = 0; jp < nc; jp += kNR) {
          for (i64 ip = 0; ip < mc; ip += kMR) {
            micro_kernel(kc, packed_a.data() + ip * kc, packed_b.data() + jp * kc,
                         g.c + (i0 + ip) * g.ldc + j0 + jp, g.ldc, std::min(kMR, mc - ip),
                         std::min(kNR, nc - jp), g.alpha);
          }
        }
      }
    }
  }
}

// --- OpenBLAS ----------------------------------------------------------------

#ifdef PRUNEKIT_HAVE_OPENBLAS
void f32_gemm__openblas(const GemmArgs& g) {
  if (g.k == 0) {
    gemm_scale_c(g);
    return;
  }
  cblas_sgemm(CblasRowMajor, g.trans_a ? CblasTrans : CblasNoTrans,
              g.trans_b ? CblasTrans : CblasNoTrans, int(g.m), int(g.n), int(g.k), g.alpha, g.a,
              int(std::max<i64>(1, g.lda)), g.b, int(std::max<i64>(1, g.ldb)), g.beta, g.c,
              int(std::max<i64>(1, g.ldc)));
}
#endif

// --- dispatch ----------------------------------------------------------------

namespace {

// Below this many multiply-adds one thread finishes before a second one
// joins (the pool's workers spin briefly, so a hand-off costs about a
// microsecond; a batch-1 pass through a 784x300 layer already gains).
constexpr double kThreadingMinMacs = 1 << 17;

// Products that prunekit's AVX-512 GEMM runs faster than OpenBLAS's
// SkylakeX kernels split over the pool: measured interleaved in one process
// on a 2-vCPU Cascade Lake, 1.0-1.4x from 128^3 to 768^3 and on the training
// shapes of LeNet-300-100 (a training step 1.1-1.6x); OpenBLAS is ahead below
// about 2M multiply-adds or with a side under 64 (the pool's hand-offs and
// the 14-row tile's padding dominate). With the deeper blocks, on a 2-vCPU
// Sapphire Rapids-class VM: 1024^3 316 against 300 GFLOP/s; 1536^3 and
// 2048^3 within 2% either way, so OpenBLAS keeps those.
[[maybe_unused]] bool tiles_beat_blas(const GemmArgs& g, double macs) {
  return g.m >= 64 && g.n >= 64 && g.k >= 64 && macs >= double(1 << 21) && macs <= double(1 << 30);
}

// The same on one thread, where no hand-off costs: LeNet-5's conv2 products
// per image (50x64x500, 50x500x64, 500x64x50) run 1.2-1.3x faster on the
// tiles; conv1's (a side of 20 or 25) run 2x faster on OpenBLAS.
[[maybe_unused]] bool serial_tiles_beat_blas(const GemmArgs& g) {
  return std::min({g.m, g.n, g.k}) >= 48 && double(g.m) * double(g.n) * double(g.k) <= double(1 << 29);
}

// Block of C rows [m0, m1) x columns [n0, n1) as a GEMM of its own.
GemmArgs sub_block(const GemmArgs& g, i64 m0, i64 m1, i64 n0, i64 n1) {
  GemmArgs s = g;
  s.m = m1 - m0;
  s.n = n1 - n0;
  s.c = g.c + m0 * g.ldc + n0;
  s.a = g.trans_a ? g.a + m0 : g.a + m0 * g.lda;
  s.b = g.trans_b ? g.b + n0 * g.ldb : g.b + n0;
  return s;
}

}  // namespace

void f32_gemm_serial(const GemmArgs& g) {
  if (g.m == 0 || g.n == 0) return;
  if (small_m_xwt_applies(g)) {
    small_m_xwt(g, 0, g.n);
    return;
  }
#ifdef PK_HAVE_GEMM_AVX512
  if (backend().gemm == f32_gemm__avx512 || (backend().gemm_tiles_mid_sizes && serial_tiles_beat_blas(g))) {
    f32_gemm__avx512_on(g, 1);
    return;
  }
#endif
  backend().gemm(g);
}

void f32_gemm(const GemmArgs& g) {
  if (g.m == 0 || g.n == 0) return;
  GemmFn kernel = backend().gemm;
  double macs = double(g.m) * double(g.n) * double(g.k);
  int threads = pool_threads();
  if (small_m_xwt_applies(g)) {
    int parts = threads > 1 && macs >= kThreadingMinMacs / 2 ? int(std::min<i64>(threads, g.n)) : 1;
    parallel_for(parts, [&](int p) { small_m_xwt(g, split_point(g.n, parts, p), split_point(g.n, parts, p + 1)); });
    return;
  }
#ifdef PK_HAVE_GEMM_AVX512
  if (backend().gemm_tiles_mid_sizes && tiles_beat_blas(g, macs)) {
    f32_gemm__avx512(g);
    return;
  }
#endif
  if (threads <= 1 || macs < kThreadingMinMacs || backend().gemm_threads_itself) {
    kernel(g);
    return;
  }
  // Split the longer side of C into one block per thread, in multiples of 16
  // so each block keeps whole SIMD tiles.
  bool split_n = g.n >= g.m;
  i64 extent = split_n ? g.n : g.m;
  int parts = int(std::min<i64>(threads, std::max<i64>(1, extent / 16)));
  parallel_for(parts, [&](int p) {
    i64 lo = (split_point(extent / 16, parts, p)) * 16;
    i64 hi = p + 1 == parts ? extent : split_point(extent / 16, parts, p + 1) * 16;
    if (hi <= lo) return;
    kernel(split_n ? sub_block(g, 0, g.m, lo, hi) : sub_block(g, lo, hi, 0, g.n));
  });
}

}  // namespace pk
