// info(), setThreads(), nop(), measurePeak(): what the addon runs on.
#include <thread>

#include "args.h"
#include "backend.h"
#include "binding.h"
#include "parallel.h"
#include "peak.h"

#ifndef PRUNEKIT_VERSION
#define PRUNEKIT_VERSION "0.0.0-dev"
#endif

namespace pkb {
namespace {

Napi::Value Info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object out = Napi::Object::New(env);
  out.Set("backend", pk::backend().name);
  out.Set("kernelSet", pk::blas_kernel_set());
  out.Set("blasConfig", pk::blas_config());
  out.Set("simd", pk::simd_name(pk::backend().simd));
  out.Set("tiledGemm", pk::tiled_gemm_in_use());
  out.Set("threads", pk::pool_threads());
  out.Set("hardwareThreads", double(std::thread::hardware_concurrency()));
  out.Set("version", PRUNEKIT_VERSION);
  return out;
}

Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  pk::set_pool_threads(int(IntegerArg(info, 0, "threads", 1, 64)));
  return info.Env().Undefined();
}

Napi::Value Nop(const Napi::CallbackInfo& info) { return info.Env().Undefined(); }

Napi::Value MeasurePeak(const Napi::CallbackInfo& info) {
  int threads = int(IntegerArg(info, 0, "threads", 1, 64));
  double seconds = NumberArg(info, 1, "seconds");
  if (seconds <= 0 || seconds > 60)
    Throw(info.Env(), ErrorKind::argument_range, Expected("a number of seconds in (0, 60]", "seconds", std::to_string(seconds)));
  return Napi::Number::New(info.Env(), pk::f32_fma_peak_gflops(threads, seconds));
}

}  // namespace

void InitInfo(Napi::Env env, Napi::Object exports) {
  exports.Set("info", Napi::Function::New(env, Info, "info"));
  exports.Set("setThreads", Napi::Function::New(env, SetThreads, "setThreads"));
  exports.Set("nop", Napi::Function::New(env, Nop, "nop"));
  exports.Set("measurePeak", Napi::Function::New(env, MeasurePeak, "measurePeak"));
}

}  // namespace pkb
