// Out-of-place matrix transpose for the layout changes of the sparse kernels
// (a tile of samples becomes one contiguous vector per feature).
#pragma once

#include "common.h"

namespace pk {

// dst[j * ld_dst + i] = src[i * ld_src + j] for i < rows, j < cols: src is
// (rows, cols) with rows ld_src floats apart, dst is (cols, rows) with rows
// ld_dst floats apart. The two must not overlap.
void f32_transpose(float* dst, i64 ld_dst, const float* src, i64 ld_src, i64 rows, i64 cols);
void f32_transpose__reference(float* dst, i64 ld_dst, const float* src, i64 ld_src, i64 rows, i64 cols);

}  // namespace pk
