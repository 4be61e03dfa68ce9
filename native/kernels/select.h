// Exact selection by radix (no sorting): magnitude thresholds for pruning,
// per tensor or global over many tensors, and percentiles.
//
// Tie rule (documented in docs/KERNELS.md): exactly k entries are pruned —
// every entry with |x| below the k-th smallest magnitude T, then entries with
// |x| == T in order of (tensor, index) until k are pruned. This matches the
// count semantics of torch.nn.utils.prune.l1_unstructured / global_unstructured
// (exactly round(amount * n) pruned), with a deterministic choice among ties.
#pragma once

#include "common.h"

namespace pk {

struct MagnitudeSpan {
  const float* x;
  std::uint8_t* mask;  // written when non-null: 0 pruned, 1 kept
  i64 n;
};

struct ThresholdOutcome {
  float threshold;  // the k-th smallest magnitude (0 when k == 0)
  i64 pruned;       // == k unless a NaN was found
  i64 nan_span;     // -1, or the span holding the first NaN (nothing written)
  i64 nan_index;
};

// Prunes exactly k of the concatenated spans' entries (0 <= k <= total).
ThresholdOutcome f32_magnitude_threshold(const MagnitudeSpan* spans, i64 count, i64 k);
// Sort-based oracle for tests: same contract.
ThresholdOutcome f32_magnitude_threshold__reference(const MagnitudeSpan* spans, i64 count, i64 k);

struct PercentileOutcome {
  double value;
  i64 nan_index;  // -1 when none
};

// q in [0, 100], linear interpolation between order statistics (NumPy's
// default): rank = q / 100 * (n - 1). n >= 1.
PercentileOutcome f32_percentile(const float* x, i64 n, double q);

}  // namespace pk
