// Layout copies: out-of-place transposes for the sparse kernels (a tile of
// samples becomes one contiguous vector per feature), and the row gather that
// assembles a shuffled mini-batch.
#pragma once

#include <cstdint>
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

// dst row r = src row rows[r] (width floats each) for r < count. Returns -1,
// or the position of the first index outside [0, src_rows), having written nothing.
i64 f32_gather_rows(float* dst, const float* src, i64 src_rows, i64 width, const std::int32_t* rows, i64 count);

// `floats` floats inside buf (grown when short), 64-byte aligned: vector loads
// from tile rows then never straddle two cache lines.
float* aligned_scratch(std::vector<float>& buf, i64 floats);

}  // namespace pk
