// AVX-512 SGEMM: Goto/BLIS blocking around a 14x32 register tile.
//
// Per k step the tile loads two vectors of packed B and broadcasts fourteen
// values of packed A: 28 accumulators, 16 loads per 28 FMAs, so both FMA
// ports stay busy while the two load ports keep up (measured against the FMA
// loop on Cascade Lake: 12x32 reaches 92%, 14x32 97%; 7x64 spills).
// A kc x 32 micro-panel of packed B is reused by blocks of 8 A panels
// (112 rows x kc) that stream past it from L2. The threads share one packed
// kc x nc block of B and split the rows of C evenly (or its column panels
// when C has few rows).
//
// Deep blocks pay: each depth block reads and writes the tile of C again and
// packs again. Measured on a 2-vCPU Sapphire Rapids-class VM (48 KiB L1,
// 2 MiB L2 per core), kc 512 / 8 panels / nc 1024 against the earlier
// 256 / 16 / 512: 1024^3 298 -> 324 GFLOP/s, LeNet-300-100's fc1 forward at
// batch 128 188 -> 220 and at batch 256 223 -> 257, its fc1 weight gradient
// 250 -> 291; no shape measured slower.
#include "gemm.h"

#include <algorithm>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "parallel.h"
#include "transpose.h"

namespace pk {

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
namespace {

constexpr i64 kTileRows = 14;
constexpr i64 kTileCols = 32;
constexpr i64 kMaxDepth = 512;   // kc
constexpr i64 kBlockPanels = 8;  // mc = 112 rows
constexpr i64 kMaxWidth = 1024;  // nc
constexpr double kThreadedMacs = 1 << 17;

#define PK_SKX __attribute__((target("avx512f,avx512dq,avx512vl,fma")))

// One k step of the tile: two B vectors against R broadcast A values.
#define PK_TILE_STEP(a, b)                                            \
  do {                                                                \
    const __m512 b0 = _mm512_load_ps(b), b1 = _mm512_load_ps(b + 16); \
    _Pragma("GCC unroll 14") for (int r = 0; r < R; ++r) {           \
      const __m512 ar = _mm512_set1_ps((a)[r]);                       \
      acc[r][0] = _mm512_fmadd_ps(ar, b0, acc[r][0]);                 \
      acc[r][1] = _mm512_fmadd_ps(ar, b1, acc[r][1]);                 \
    }                                                                 \
  } while (0)

// C[rows, cols] = alpha * Ap(kc, 14) . Bp(kc, 32) + beta * C over the first
// R <= 14 rows of the packed A panel; beta == 0 never reads C. Rows past
// `rows` and columns past `cols` are padding. R < 14 serves a last panel of
// few rows (a batch of 128 leaves 2), which would otherwise cost a whole tile.
template <int R>
PK_SKX void tile_rx32(i64 kc, const float* __restrict a, const float* __restrict b, float* c, i64 ldc,
                      i64 rows, i64 cols, float alpha, float beta) {
  __m512 acc[R][2];
#pragma GCC unroll 14
  for (int r = 0; r < R; ++r) {
    acc[r][0] = acc[r][1] = _mm512_setzero_ps();
    if (r < rows) {  // C is read or written last: fetch it while the tile computes
      _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(c + r * ldc + 16), _MM_HINT_T0);
    }
  }
  i64 p = 0;
  for (; p + 2 <= kc; p += 2, a += 2 * kTileRows, b += 2 * kTileCols) {
    PK_TILE_STEP(a, b);
    PK_TILE_STEP(a + kTileRows, b + kTileCols);
  }
  if (p < kc) PK_TILE_STEP(a, b);
  const __mmask16 lo = first_lanes(cols), hi = first_lanes(cols - 16);
  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
#pragma GCC unroll 14
  for (int r = 0; r < R; ++r) {
    if (r >= rows) break;
    float* row = c + r * ldc;
    __m512 v0 = _mm512_mul_ps(va, acc[r][0]), v1 = _mm512_mul_ps(va, acc[r][1]);
    if (beta != 0.0f) {
      v0 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(lo, row), v0);
      v1 = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(hi, row + 16), v1);
    }
    _mm512_mask_storeu_ps(row, lo, v0);
    _mm512_mask_storeu_ps(row + 16, hi, v1);
  }
}

// The narrowest tile that covers `rows` rows of a panel.
PK_SKX void tile(i64 kc, const float* a, const float* b, float* c, i64 ldc, i64 rows, i64 cols, float alpha,
                 float beta) {
  if (rows <= 2) return tile_rx32<2>(kc, a, b, c, ldc, rows, cols, alpha, beta);
  if (rows <= 4) return tile_rx32<4>(kc, a, b, c, ldc, rows, cols, alpha, beta);
  if (rows <= 8) return tile_rx32<8>(kc, a, b, c, ldc, rows, cols, alpha, beta);
  tile_rx32<kTileRows>(kc, a, b, c, ldc, rows, cols, alpha, beta);
}

// dst (kc, 32) <- op(B)[p0 : p0 + kc, j0 : j0 + cols], zero-padded columns.
PK_SKX void pack_b_panel(const GemmArgs& g, i64 p0, i64 kc, i64 j0, i64 cols, float* dst) {
  if (g.trans_b) {
    f32_transpose_padded(dst, kTileCols, g.b + j0 * g.ldb + p0, g.ldb, cols, kc);
    return;
  }
  const __mmask16 lo = first_lanes(cols), hi = first_lanes(cols - 16);
  for (i64 p = 0; p < kc; ++p) {
    const float* src = g.b + (p0 + p) * g.ldb + j0;
    _mm512_store_ps(dst + p * kTileCols, _mm512_maskz_loadu_ps(lo, src));
    _mm512_store_ps(dst + p * kTileCols + 16, _mm512_maskz_loadu_ps(hi, src + 16));
  }
}

// dst (kc, 14) <- op(A)[i0 : i0 + rows, p0 : p0 + kc] transposed, zero-padded rows.
PK_SKX void pack_a_panel(const GemmArgs& g, i64 i0, i64 rows, i64 p0, i64 kc, float* dst) {
  if (!g.trans_a) {
    f32_transpose_padded(dst, kTileRows, g.a + i0 * g.lda + p0, g.lda, rows, kc);
    return;
  }
  const __mmask16 valid = first_lanes(rows);
  for (i64 p = 0; p < kc; ++p)
    _mm512_mask_storeu_ps(dst + p * kTileRows, first_lanes(kTileRows), _mm512_maskz_loadu_ps(valid, g.a + (p0 + p) * g.lda + i0));
}

// Splits `extent` into the fewest blocks of at most `most`, of equal size
// rounded up to `multiple`: 784 deep runs as 2 x 392, not 512 + 272.
i64 block_size(i64 extent, i64 most, i64 multiple) {
  const i64 blocks = (extent + most - 1) / most;
  const i64 even = (extent + blocks - 1) / blocks;
  return std::min(most, (even + multiple - 1) / multiple * multiple);
}

}  // namespace

void f32_gemm__avx512(const GemmArgs& g) { f32_gemm__avx512_on(g, pool_threads()); }

void f32_gemm__avx512_on(const GemmArgs& g, int max_threads) {
  if (g.m == 0 || g.n == 0) return;
  if (g.k == 0 || g.alpha == 0.0f) {
    gemm_scale_c(g);
    return;
  }
  const double macs = double(g.m) * double(g.n) * double(g.k);
  const int threads = macs >= kThreadedMacs ? std::max(1, max_threads) : 1;
  const i64 depth = block_size(g.k, kMaxDepth, 8);
  const i64 width = block_size(g.n, kMaxWidth, kTileCols);
  const i64 row_panels = (g.m + kTileRows - 1) / kTileRows;

  thread_local std::vector<float> b_buffer;
  float* packed_b = aligned_scratch(b_buffer, width * depth);
  const float* shared_b = packed_b;

  for (i64 j0 = 0; j0 < g.n; j0 += width) {
    const i64 nc = std::min(width, g.n - j0);
    const i64 col_panels = (nc + kTileCols - 1) / kTileCols;
    const bool split_rows = row_panels >= 2 * threads || row_panels >= col_panels;
    const int parts = int(std::min<i64>(threads, split_rows ? row_panels : col_panels));
    for (i64 p0 = 0; p0 < g.k; p0 += depth) {
      const i64 kc = std::min(depth, g.k - p0);
      const float beta = p0 == 0 ? g.beta : 1.0f;
      const int packers = int(std::min<i64>(parts, col_panels));
      parallel_for(packers, [&](int t) {
        for (i64 jp = split_point(col_panels, packers, t); jp < split_point(col_panels, packers, t + 1); ++jp)
          pack_b_panel(g, p0, kc, j0 + jp * kTileCols, std::min(kTileCols, nc - jp * kTileCols),
                       packed_b + jp * kc * kTileCols);
      });
      parallel_for(parts, [&](int t) {
        // Rows [r0, r1) of C: an even share of the rows, not of the panels,
        // so a short last panel does not leave one thread a panel behind
        // (128 rows on two threads: 64 + 64, not 70 + 58).
        i64 r0 = 0, r1 = g.m, jp0 = 0, jp1 = col_panels;
        if (split_rows) {
          r0 = split_point(g.m, parts, t), r1 = split_point(g.m, parts, t + 1);
        } else {
          jp0 = split_point(col_panels, parts, t), jp1 = split_point(col_panels, parts, t + 1);
        }
        const i64 panels = (r1 - r0 + kTileRows - 1) / kTileRows;
        thread_local std::vector<float> a_buffer;
        float* packed_a = aligned_scratch(a_buffer, kBlockPanels * kTileRows * kMaxDepth);
        for (i64 ib = 0; ib < panels; ib += kBlockPanels) {
          const i64 ie = std::min(panels, ib + kBlockPanels);
          for (i64 ip = ib; ip < ie; ++ip) {
            const i64 i0 = r0 + ip * kTileRows;
            pack_a_panel(g, i0, std::min(kTileRows, r1 - i0), p0, kc, packed_a + (ip - ib) * kTileRows * kc);
          }
          // Each B micro-panel serves every A panel of the block before the next.
          for (i64 jp = jp0; jp < jp1; ++jp) {
            const i64 jc = jp * kTileCols;
            for (i64 ip = ib; ip < ie; ++ip) {
              const i64 i0 = r0 + ip * kTileRows;
              tile(kc, packed_a + (ip - ib) * kTileRows * kc, shared_b + jp * kc * kTileCols,
                   g.c + i0 * g.ldc + j0 + jc, g.ldc, std::min(kTileRows, r1 - i0),
                   std::min(kTileCols, nc - jc), g.alpha, beta);
            }
          }
        }
      });
    }
  }
}
#endif

}  // namespace pk
