// An inference plan: a network's forward pass as one native call, for
// serving a loaded model (no per-layer crossing of the N-API boundary). It
// owns copies of the weights and calls the same kernels, with the same
// arguments, as the layers in lib/nn do, so its outputs equal theirs bit for
// bit.
#pragma once

#include <vector>

#include "common.h"
#include "conv.h"
#include "elementwise.h"
#include "pool.h"
#include "spmm.h"

namespace pk {

struct PlanStep {
  enum class Kind { dense, activation, conv2d, maxpool2d } kind;
  // dense (rows, cols) weights, rows ld floats apart (set_dense_weights),
  // and conv2d weights; biases. A dense step that runs sparse at every batch
  // keeps only its CSR.
  AlignedFloats weights;
  std::vector<float> bias;
  i64 rows = 0, cols = 0, ld = 0;
  Csr csr;                 // dense steps with sparse_max_batch > 0
  i64 sparse_max_batch = 0;  // batches up to this size run through the CSR
  Activation activation = Activation::relu;
  ConvShape conv{};  // batch is set per run
  PoolShape pool{};
  i64 in_size = 0, out_size = 0;  // per sample
};

// Copies a dense step's row-major (rows, cols) weights w into s.weights with
// every row starting on a cache line (padded to whole 16-float vectors
// where that adds at most an eighth): the batch-1 product streams the rows
// from L2 without split loads, 1.3-1.7x faster on a 784x300 layer. The
// results do not change: no kernel's order of arithmetic depends on ld.
void set_dense_weights(PlanStep& s, const float* w);

struct Plan {
  std::vector<PlanStep> steps;
  i64 in_size() const { return steps.empty() ? 0 : steps.front().in_size; }
  i64 out_size() const { return steps.empty() ? 0 : steps.back().out_size; }
  // Values per sample of the largest input or output of any step: run()
  // holds two such buffers per chunk of samples.
  i64 widest() const;
  // Samples run() takes at once: two buffers of this many times widest()
  // values stay with each calling thread, so they are bounded (16 MB each,
  // or one sample) however large a batch is.
  i64 chunk() const;
  // out (batch, out_size) = the network applied to x (batch, in_size).
  void run(const float* x, i64 batch, float* out) const;
  // Bytes of weights, biases and sparse layouts the plan holds.
  std::size_t resident_bytes() const;
};

}  // namespace pk
