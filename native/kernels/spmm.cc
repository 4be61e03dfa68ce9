// CSR construction, reference products, and the dispatched, threaded
// products built from spmm_impl.inc for each instruction set.
#include "spmm.h"

#include <algorithm>
#include <cstring>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "backend.h"
#include "parallel.h"
#include "transpose.h"

namespace pk {

// --- construction ------------------------------------------------------------

Csr csr_from_dense(const float* w, const std::uint8_t* mask, i64 rows, i64 cols) {
  Csr csr;
  csr.rows = rows;
  csr.cols = cols;
  csr.row_ptr.resize(size_t(rows + 1));
  i64 nnz = 0;
  for (i64 i = 0; i < rows * cols; ++i) nnz += mask ? (mask[i] != 0) : (w[i] != 0.0f);
  csr.col_idx.resize(size_t(nnz));
  csr.values.resize(size_t(nnz));
  i64 k = 0;
  for (i64 r = 0; r < rows; ++r) {
    csr.row_ptr[size_t(r)] = std::int32_t(k);
    const float* wr = w + r * cols;
    const std::uint8_t* mr = mask ? mask + r * cols : nullptr;
    for (i64 c = 0; c < cols; ++c) {
      if (mr ? mr[c] != 0 : wr[c] != 0.0f) {
        csr.col_idx[size_t(k)] = std::int32_t(c);
        csr.values[size_t(k)] = wr[c];
        ++k;
      }
    }
  }
  csr.row_ptr[size_t(rows)] = std::int32_t(k);
  csr.prepare();
  return csr;
}

void Csr::prepare() {
  col_idx16.clear();
  if (cols <= 65536) col_idx16.assign(col_idx.begin(), col_idx.end());
  // The ELL layout pays off for layer-sized matrices; its bookkeeping grows
  // with (rows/16)·(cols/32), so it is skipped when that dwarfs the entries.
  const i64 cells = ((rows + 15) / 16) * ((cols + 31) / 32);
  const bool worth_it = cols <= 65536 && cells <= 4 * i64(col_idx.size()) + 4096;
  ell = blocked_ell_supported() && worth_it ? blocked_ell_from_csr(view()) : BlockedEll{};
}

bool Csr::use_codebook() {
  // Distinct by bit pattern, so -0 and +0 stay themselves.
  auto bits_of = [](float f) {
    std::uint32_t b;
    std::memcpy(&b, &f, 4);
    return b;
  };
  std::vector<std::uint32_t> distinct;
  distinct.reserve(values.size());
  for (float v : values) distinct.push_back(bits_of(v));
  std::sort(distinct.begin(), distinct.end());
  distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
  if (distinct.size() > 256) return false;
  book.resize(distinct.size());
  for (size_t i = 0; i < distinct.size(); ++i) std::memcpy(&book[i], &distinct[i], 4);
  code.resize(values.size());
  for (size_t k = 0; k < values.size(); ++k)
    code[k] = std::uint8_t(std::lower_bound(distinct.begin(), distinct.end(), bits_of(values[k])) - distinct.begin());
  std::vector<float>().swap(values);
  prepare();
  return true;
}

void Csr::drop_backward_indices() {
  if (!col_idx16.empty()) std::vector<std::int32_t>().swap(col_idx);
}

void Csr::refresh_values(const float* w) {
  csr_gather_values(values.data(), w, view());
  if (!ell.empty()) blocked_ell_update_values(ell, view());
}

void csr_gather_values(float* values, const float* w, CsrView p) {
  for (i64 r = 0; r < p.rows; ++r)
    for (i64 k = p.row_ptr[r]; k < p.row_ptr[r + 1]; ++k) values[k] = w[r * p.cols + p.col_idx[k]];
}

// --- reference ---------------------------------------------------------------

void f32_spmm_xwt__reference(float* y, const float* x, const float* bias, CsrView w, i64 batch) {
  // x is (B, cols), y is (B, rows)
  for (i64 b = 0; b < batch; ++b)
    for (i64 r = 0; r < w.rows; ++r) {
      double acc = bias ? bias[r] : 0.0;
      for (i64 k = w.row_ptr[r]; k < w.row_ptr[r + 1]; ++k)
        acc += double(w.values[k]) * x[b * w.cols + w.col_idx[k]];
      y[b * w.rows + r] = float(acc);
    }
}

void f32_spmm_xw__reference(float* dx, const float* dy, CsrView w, i64 batch) {
  // dy is (B, rows), dx is (B, cols)
  std::vector<double> acc(size_t(w.cols));
  for (i64 b = 0; b < batch; ++b) {
    std::fill(acc.begin(), acc.end(), 0.0);
    for (i64 r = 0; r < w.rows; ++r)
      for (i64 k = w.row_ptr[r]; k < w.row_ptr[r + 1]; ++k)
        acc[size_t(w.col_idx[k])] += double(w.values[k]) * dy[b * w.rows + r];
    for (i64 c = 0; c < w.cols; ++c) dx[b * w.cols + c] = float(acc[size_t(c)]);
  }
}

void f32_sddmm__reference(float* dw, const float* dy, const float* x, CsrView w, i64 batch) {
  // dy is (B, rows), x is (B, cols), dw is (rows, cols), zero off the pattern
  std::fill(dw, dw + w.rows * w.cols, 0.0f);
  for (i64 r = 0; r < w.rows; ++r)
    for (i64 k = w.row_ptr[r]; k < w.row_ptr[r + 1]; ++k) {
      double acc = 0.0;
      for (i64 b = 0; b < batch; ++b) acc += double(dy[b * w.rows + r]) * x[b * w.cols + w.col_idx[k]];
      dw[r * w.cols + w.col_idx[k]] = float(acc);
    }
}

// --- per-ISA bodies ----------------------------------------------------------

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#pragma GCC push_options
#pragma GCC target("avx512f,avx512bw,avx512vl,avx512dq,fma,avx2")
namespace isa_avx512 {
#define PK_VW 16
#include "spmm_impl.inc"
#undef PK_VW
}  // namespace isa_avx512
#pragma GCC pop_options
#pragma GCC push_options
#pragma GCC target("avx2,fma")
namespace isa_avx2 {
#define PK_VW 8
#include "spmm_impl.inc"
#undef PK_VW
}  // namespace isa_avx2
#pragma GCC pop_options
#define PK_HAVE_X86_VARIANTS 1
#endif
namespace isa_generic {
#define PK_VW 4
#include "spmm_impl.inc"
#undef PK_VW
}  // namespace isa_generic

// --- dispatch ----------------------------------------------------------------

namespace {

template <typename Index>
struct SpmmFns {
  void (*xwt_tiles)(float*, const float*, const float*, CsrView, const Index*, i64, i64, i64);
  void (*xwt_rows)(float*, const float*, const float*, CsrView, const Index*, i64, i64, i64);
  void (*xw_tiles)(float*, const float*, CsrView, const Index*, i64, i64, i64);
  void (*xwt_tile_t)(float*, const float*, const float*, CsrView, const Index*);
};

struct SpmmIsa {
  i64 tile;
  SpmmFns<std::int32_t> wide;
  SpmmFns<std::uint16_t> narrow;
  void (*sddmm_rows)(float*, const float*, const float*, i64, CsrView, i64, i64);
};

#define PK_ISA_FNS(ns, T) \
  SpmmFns<T> { ns::xwt_tiles<T>, ns::xwt_rows<T>, ns::xw_tiles<T>, ns::xwt_tile_t<T> }
#define PK_ISA_ENTRY(ns)                                                                          \
  SpmmIsa {                                                                                       \
    ns::kTile, PK_ISA_FNS(ns, std::int32_t), PK_ISA_FNS(ns, std::uint16_t), ns::sddmm_rows \
  }

const SpmmIsa& isa() {
  static const SpmmIsa chosen = [] {
#ifdef PK_HAVE_X86_VARIANTS
    if (backend().simd == Simd::avx512) return PK_ISA_ENTRY(isa_avx512);
    if (backend().simd == Simd::avx2) return PK_ISA_ENTRY(isa_avx2);
#endif
    return PK_ISA_ENTRY(isa_generic);
  }();
  return chosen;
}

// Multiply-adds below which a second thread costs more than it saves (the
// pool's workers spin briefly, so a hand-off costs about a microsecond).
constexpr i64 kThreadingMinMacs = 1 << 14;
// Batches up to this size use per-sample dot products, not tiles.
constexpr i64 kRowPathMaxBatch = 2;
// Batches up to this size use the blocked-ELL kernel where it exists.
constexpr i64 kEllMaxBatch = 16;
constexpr i64 kEllThreadingMinMacs = 1 << 16;

int tasks_for(i64 macs, i64 units) {
  if (macs < kThreadingMinMacs) return 1;
  return int(std::min<i64>(pool_threads(), units));
}

template <typename Index>
void spmm_xwt(const SpmmFns<Index>& f, i64 tile, float* y, const float* x, const float* bias, CsrView w,
              const Index* ci, i64 batch) {
  i64 macs = w.nnz() * batch;
  if (batch <= kRowPathMaxBatch) {
    int tasks = tasks_for(macs, w.rows);
    parallel_for(tasks, [&](int t) {
      f.xwt_rows(y, x, bias, w, ci, batch, split_point(w.rows, tasks, t), split_point(w.rows, tasks, t + 1));
    });
    return;
  }
  i64 tiles = (batch + tile - 1) / tile;
  int tasks = tasks_for(macs, tiles);
  parallel_for(tasks, [&](int t) {
    f.xwt_tiles(y, x, bias, w, ci, batch, split_point(tiles, tasks, t), split_point(tiles, tasks, t + 1));
  });
}

template <typename Index>
void spmm_xw(const SpmmFns<Index>& f, i64 tile, float* dx, const float* dy, CsrView w, const Index* ci,
             i64 batch) {
  i64 tiles = (batch + tile - 1) / tile;
  int tasks = tasks_for(w.nnz() * batch, tiles);
  parallel_for(tasks, [&](int t) {
    f.xw_tiles(dx, dy, w, ci, batch, split_point(tiles, tasks, t), split_point(tiles, tasks, t + 1));
  });
}

}  // namespace

i64 spmm_tile_width() { return isa().tile; }

bool spmm_xwt_uses_tiles(CsrView w, i64 batch) {
  return !(w.ell && batch <= kEllMaxBatch) && batch > kRowPathMaxBatch;
}

void f32_spmm_tile_t(float* yt, const float* xt, const float* bias, CsrView w) {
  const SpmmIsa& k = isa();
  if (w.col_idx16)
    k.narrow.xwt_tile_t(yt, xt, bias, w, w.col_idx16);
  else
    k.wide.xwt_tile_t(yt, xt, bias, w, w.col_idx);
}

void f32_spmm_xwt(float* y, const float* x, const float* bias, CsrView w, i64 batch) {
  if (batch == 0 || w.rows == 0) return;
  if (w.ell && batch <= kEllMaxBatch) {
    const i64 groups = w.ell->groups;
    i64 macs = w.nnz() * batch;
    int tasks = macs < kEllThreadingMinMacs ? 1 : int(std::min<i64>(pool_threads(), groups));
    parallel_for(tasks, [&](int t) {
      f32_ell_xwt(y, x, bias, *w.ell, w.book, w.book_size, w.rows, w.cols, 0, batch, split_point(groups, tasks, t),
                  split_point(groups, tasks, t + 1));
    });
    return;
  }
  const SpmmIsa& k = isa();
  if (w.col_idx16)
    spmm_xwt(k.narrow, k.tile, y, x, bias, w, w.col_idx16, batch);
  else
    spmm_xwt(k.wide, k.tile, y, x, bias, w, w.col_idx, batch);
}

void f32_spmm_xw(float* dx, const float* dy, CsrView w, i64 batch) {
  if (batch == 0 || w.cols == 0) return;
  const SpmmIsa& k = isa();
  if (w.col_idx16)
    spmm_xw(k.narrow, k.tile, dx, dy, w, w.col_idx16, batch);
  else
    spmm_xw(k.wide, k.tile, dx, dy, w, w.col_idx, batch);
}

void f32_sddmm(float* dw, const float* dy, const float* x, CsrView w, i64 batch) {
  std::fill(dw, dw + w.rows * w.cols, 0.0f);
  if (w.rows == 0 || w.cols == 0 || w.nnz() == 0 || batch == 0) return;
  const SpmmIsa& k = isa();
  i64 padded = (batch + k.tile - 1) / k.tile * k.tile;
  thread_local std::vector<float> xt_buf, dyt_buf;
  float* xt = aligned_scratch(xt_buf, w.cols * padded);
  float* dyt = aligned_scratch(dyt_buf, w.rows * padded);
  f32_transpose_padded(xt, padded, x, w.cols, batch, w.cols);
  f32_transpose_padded(dyt, padded, dy, w.rows, batch, w.rows);
  int tasks = tasks_for(w.nnz() * batch, w.rows);
  parallel_for(tasks, [&](int t) {
    k.sddmm_rows(dw, dyt, xt, padded, w, split_point(w.rows, tasks, t), split_point(w.rows, tasks, t + 1));
  });
}

}  // namespace pk
