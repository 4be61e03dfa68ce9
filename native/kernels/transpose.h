// Out-of-place matrix transpose for the layout changes of the sparse kernels
// (a tile of samples becomes one contiguous vector per feature).
#pragma once

#include <vector>

#include "common.h"

namespace pk {

// dst[j * ld_dst + i] = src[i * ld_src + j] for i < rows, j < cols: src is
// (rows, cols) with rows ld_src floats apart, dst is (cols, rows) with rows
// ld_dst floats apart. The two must not overlap.
void f32_transpose(float* dst, i64 ld_dst, const float* src, i64 ld_src, i64 rows, i64 cols);
void f32_transpose__reference(float* dst, i64 ld_dst, const float* src, i64 ld_src, i64 rows, i64 cols);

// A tile of samples: dst (cols, width) <- the first `samples` rows of src
// (ld_src floats apart) transposed, with lanes [samples, width) set to 0.
void f32_transpose_padded(float* dst, i64 width, const float* src, i64 ld_src, i64 samples, i64 cols);

// `floats` floats inside buf (grown when short), 64-byte aligned: vector loads
// from tile rows then never straddle two cache lines.
float* aligned_scratch(std::vector<float>& buf, i64 floats);

}  // namespace pk
