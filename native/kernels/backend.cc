// Start-up selection of kernels.
#include "backend.h"

#ifdef PRUNEKIT_HAVE_OPENBLAS
#include <cblas.h>
extern "C" char* openblas_get_corename(void);
extern "C" char* openblas_get_config(void);
#endif

namespace pk {
namespace {

Simd detect_simd() {
#if (defined(__GNUC__) || defined(__clang__)) && defined(__x86_64__)
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
      __builtin_cpu_supports("avx512vl") && __builtin_cpu_supports("avx512dq"))
    return Simd::avx512;
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return Simd::avx2;
#endif
  return Simd::generic;
}

Backend make_backend() {
  Backend b;
#ifdef PRUNEKIT_HAVE_OPENBLAS
  // prunekit threads GEMM itself (see f32_gemm): one OpenBLAS thread per
  // pool thread scales better than OpenBLAS's own threading on small VMs.
  openblas_set_num_threads(1);
  b.gemm = f32_gemm__openblas;
  b.name = "openblas";
  b.simd = detect_simd();
#ifdef PK_HAVE_GEMM_AVX512
  b.gemm_tiles_mid_sizes = b.simd == Simd::avx512;
#endif
#else
  b.gemm = f32_gemm__builtin;
  b.name = "builtin";
  b.simd = detect_simd();
#ifdef PK_HAVE_GEMM_AVX512
  if (b.simd == Simd::avx512) {
    b.gemm = f32_gemm__avx512;
    b.gemm_threads_itself = true;
  }
#endif
#endif
  return b;
}

}  // namespace

const Backend& backend() {
  static const Backend instance = make_backend();
  return instance;
}

bool tiled_gemm_in_use() {
#ifdef PK_HAVE_GEMM_AVX512
  return backend().gemm == f32_gemm__avx512 || backend().gemm_tiles_mid_sizes;
#else
  return false;
#endif
}

const char* simd_name(Simd simd) {
  switch (simd) {
    case Simd::avx512: return "avx512";
    case Simd::avx2: return "avx2";
    default: return "generic";
  }
}

std::string blas_kernel_set() {
#ifdef PRUNEKIT_HAVE_OPENBLAS
  backend();
  const char* core = openblas_get_corename();
  return core ? core : "unknown";
#else
  return std::string("builtin-") + simd_name(backend().simd);
#endif
}

std::string blas_config() {
#ifdef PRUNEKIT_HAVE_OPENBLAS
  const char* config = openblas_get_config();
  return config ? config : "";
#else
  return "prunekit built-in kernels (no BLAS library found at build time)";
#endif
}

}  // namespace pk
