#include "plan.h"

#include <algorithm>
#include <cstring>

#include "gemm.h"

namespace pk {

void Plan::run(const float* x, i64 batch, float* out) const {
  i64 widest = in_size();
  for (const PlanStep& s : steps) widest = std::max(widest, s.out_size);
  // Per-thread scratch: a server calling run() in a loop allocates nothing.
  thread_local std::vector<float> ping, pong;
  thread_local std::vector<std::int32_t> argmax;
  const std::size_t floats = std::size_t(widest * batch);
  if (ping.size() < floats) {
    ping.resize(floats);
    pong.resize(floats);
  }
  const float* h = x;
  for (std::size_t i = 0; i < steps.size(); i++) {
    const PlanStep& s = steps[i];
    float* y = i + 1 == steps.size() ? out : (h == ping.data() ? pong.data() : ping.data());
    switch (s.kind) {
      case PlanStep::Kind::dense:
        if (batch <= s.sparse_max_batch) {
          f32_spmm_xwt(y, h, s.bias.data(), s.csr.view(), batch);
        } else {
          f32_gemm(gemm_packed(y, h, s.weights.data(), false, true, batch, s.rows, s.cols, 1.0f, 0.0f));
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
  if (steps.empty()) std::memcpy(out, x, sizeof(float) * std::size_t(batch * in_size()));
}

}  // namespace pk
