#include "plan.h"

#include <algorithm>
#include <cstring>

#include "gemm.h"
#include "parallel.h"
#include "transpose.h"

namespace pk {

namespace {

// A multi-layer perceptron whose every Dense step runs the sparse tile kernel
// at this batch can run layer after layer on one tile of samples at a time:
// the activations stay transposed and in cache, and the threads meet once.
bool runs_in_tiles(const Plan& plan, i64 batch) {
  if (plan.steps.size() < 2) return false;
  for (const PlanStep& s : plan.steps) {
    if (s.kind == PlanStep::Kind::activation) continue;
    if (s.kind != PlanStep::Kind::dense || batch > s.sparse_max_batch || !spmm_xwt_uses_tiles(s.csr.view(), batch))
      return false;
  }
  return true;
}

void run_tiles(const Plan& plan, const float* x, i64 batch, float* out, i64 widest, i64 tile0, i64 tile1) {
  const i64 width = spmm_tile_width();
  thread_local std::vector<float> ping_buf, pong_buf;
  float* ping = aligned_scratch(ping_buf, widest * width);
  float* pong = aligned_scratch(pong_buf, widest * width);
  const i64 in = plan.in_size(), out_size = plan.out_size();
  for (i64 tile = tile0; tile < tile1; ++tile) {
    const i64 b0 = tile * width, samples = std::min(width, batch - b0);
    f32_transpose_padded(ping, width, x + b0 * in, in, samples, in);
    float* h = ping;
    float* y = pong;
    for (const PlanStep& s : plan.steps) {
      if (s.kind == PlanStep::Kind::dense)
        f32_spmm_tile_t(y, h, s.bias.data(), s.csr.view());
      else
        f32_activation_forward(y, h, s.out_size * width, s.activation);
      std::swap(h, y);
    }
    f32_transpose(out + b0 * out_size, out_size, h, width, out_size, samples);
  }
}

}  // namespace

void set_dense_weights(PlanStep& s, const float* w) {
  const i64 padded = (s.cols + 15) / 16 * 16;
  s.ld = (padded - s.cols) * 8 <= s.cols ? padded : s.cols;
  s.weights.assign(std::size_t(s.rows * s.ld), 0.0f);
  for (i64 r = 0; r < s.rows; ++r) std::copy(w + r * s.cols, w + (r + 1) * s.cols, s.weights.data() + r * s.ld);
}

std::size_t Plan::resident_bytes() const {
  auto bytes = [](const auto& v) { return v.size() * sizeof(v[0]); };
  std::size_t total = 0;
  for (const PlanStep& s : steps) {
    const Csr& c = s.csr;
    total += bytes(s.weights) + bytes(s.bias) + bytes(c.row_ptr) + bytes(c.col_idx) + bytes(c.col_idx16) +
             bytes(c.values) + bytes(c.code) + bytes(c.book) + bytes(c.ell.start) + bytes(c.ell.values) +
             bytes(c.ell.index) + bytes(c.ell.code) + bytes(c.ell.valid);
  }
  return total;
}

i64 Plan::widest() const {
  i64 widest = in_size();
  for (const PlanStep& s : steps) widest = std::max(widest, s.out_size);
  return widest;
}

i64 Plan::chunk() const {
  constexpr i64 kScratchFloats = i64(1) << 22;
  return std::max<i64>(1, kScratchFloats / widest());
}

namespace {

// The steps one after another on a chunk of samples, through two per-thread
// buffers (a server calling run() in a loop allocates nothing).
void run_steps(const Plan& plan, const float* x, i64 batch, float* out) {
  thread_local AlignedFloats ping, pong;
  thread_local std::vector<std::int32_t> argmax;
  const std::size_t floats = std::size_t(plan.widest() * batch);
  // Both are checked: a resize that failed (bad_alloc) may have grown only ping.
  if (ping.size() < floats || pong.size() < floats) {
    ping.resize(floats);
    pong.resize(floats);
  }
  const float* h = x;
  for (std::size_t i = 0; i < plan.steps.size(); i++) {
    const PlanStep& s = plan.steps[i];
    float* y = i + 1 == plan.steps.size() ? out : (h == ping.data() ? pong.data() : ping.data());
    switch (s.kind) {
      case PlanStep::Kind::dense:
        if (batch <= s.sparse_max_batch) {
          f32_spmm_xwt(y, h, s.bias.data(), s.csr.view(), batch);
        } else {
          GemmArgs g = gemm_packed(y, h, s.weights.data(), false, true, batch, s.rows, s.cols, 1.0f, 0.0f);
          g.ldb = s.ld;
          f32_gemm(g);
          f32_bias_add(y, s.bias.data(), batch, s.rows);
        }
        break;
      case PlanStep::Kind::activation:
        f32_activation_forward(y, h, batch * s.out_size, s.activation);
        break;
      case PlanStep::Kind::conv2d: {
        ConvShape c = s.conv;
        c.batch = batch;
        f32_conv2d_forward(y, h, s.weights.data(), s.bias.data(), c);
        break;
      }
      case PlanStep::Kind::maxpool2d: {
        PoolShape p = s.pool;
        p.batch = batch;
        argmax.resize(std::size_t(batch * s.out_size));
        f32_maxpool2d_forward(y, argmax.data(), h, p);
        break;
      }
    }
    h = y;
  }
}

}  // namespace

// Chunk by chunk, and each chunk by the path its own size picks: Sequential
// splits a batch alike, so the two agree bit for bit at every batch size.
void Plan::run(const float* x, i64 batch, float* out) const {
  if (steps.empty()) return;
  const i64 chunk = this->chunk(), width = spmm_tile_width(), widest = this->widest();
  for (i64 b0 = 0; b0 < batch; b0 += chunk) {
    const i64 n = std::min(chunk, batch - b0);
    const float* xc = x + b0 * in_size();
    float* yc = out + b0 * out_size();
    if (!runs_in_tiles(*this, n)) {
      run_steps(*this, xc, n, yc);
      continue;
    }
    const i64 tiles = (n + width - 1) / width;
    i64 macs = 0;
    for (const PlanStep& s : steps) macs += s.kind == PlanStep::Kind::dense ? s.csr.view().nnz() * n : 0;
    const int tasks = macs < (1 << 14) ? 1 : int(std::min<i64>(pool_threads(), tiles));
    parallel_for(tasks, [&](int t) {
      run_tiles(*this, xc, n, yc, widest, split_point(tiles, tasks, t), split_point(tiles, tasks, t + 1));
    });
  }
}

}  // namespace pk
