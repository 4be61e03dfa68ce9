// The backend table: which implementation each dispatched kernel uses,
// chosen once at start-up from the build (OpenBLAS or not) and the CPU.
#pragma once

#include <string>

#include "gemm.h"

namespace pk {

using GemmFn = void (*)(const GemmArgs&);

enum class Simd { generic, avx2, avx512 };

struct Backend {
  GemmFn gemm;
  bool gemm_threads_itself = false;  // f32_gemm must not split its calls
  bool gemm_tiles_mid_sizes = false;  // f32_gemm runs mid-sized products on the built-in AVX-512 GEMM
  const char* name;  // "openblas" or "builtin"
  Simd simd;         // vector width used by prunekit's own kernels
};

const Backend& backend();
const char* simd_name(Simd simd);
// True where prunekit's own AVX-512 GEMM runs some or all products.
bool tiled_gemm_in_use();

// The BLAS library's own description: the kernel set it picked for this CPU
// (OpenBLAS core name) and its build configuration; "builtin" otherwise.
std::string blas_kernel_set();
std::string blas_config();

}  // namespace pk
