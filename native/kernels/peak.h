// Measures this machine's FP32 peak with a register-resident FMA loop at the
// widest vector width the CPU has, on `threads` threads for about `seconds`.
// The GEMM benchmark reports its efficiency against this figure.
#pragma once

namespace pk {

double f32_fma_peak_gflops(int threads, double seconds);

}  // namespace pk
