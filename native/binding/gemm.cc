// gemm(C, A, B, transA, transB, M, N, K, alpha, beta) and gemmAsync(...).
#include "gemm.h"

#include <memory>
#include <vector>

#include "args.h"
#include "async.h"
#include "binding.h"

namespace pkb {
namespace {

struct GemmCall {
  pk::GemmArgs args;
  std::vector<Napi::Value> borrowed;
};

GemmCall Prepare(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto c = Float32Arg(info, 0, "C");
  auto a = Float32Arg(info, 1, "A");
  auto b = Float32Arg(info, 2, "B");
  bool trans_a = BoolArg(info, 3, "transA");
  bool trans_b = BoolArg(info, 4, "transB");
  int64_t m = IntegerArg(info, 5, "M", 0, kMaxDim);
  int64_t n = IntegerArg(info, 6, "N", 0, kMaxDim);
  int64_t k = IntegerArg(info, 7, "K", 0, kMaxDim);
  float alpha = float(NumberArg(info, 8, "alpha"));
  float beta = float(NumberArg(info, 9, "beta"));
  ExpectLength(env, "C", c.length, CheckedProduct(env, m, n, "C (M x N)"));
  ExpectLength(env, "A", a.length, CheckedProduct(env, m, k, "A (M x K)"));
  ExpectLength(env, "B", b.length, CheckedProduct(env, k, n, "B (K x N)"));
  ExpectDisjoint(env, "C", c, "A", a);
  ExpectDisjoint(env, "C", c, "B", b);
  return {pk::gemm_packed(c.data, a.data, b.data, trans_a, trans_b, m, n, k, alpha, beta), {c.value, a.value, b.value}};
}

Napi::Value Gemm(const Napi::CallbackInfo& info) {
  GemmCall call = Prepare(info);
  pk::f32_gemm(call.args);
  return info.Env().Undefined();
}

Napi::Value GemmAsync(const Napi::CallbackInfo& info) {
  GemmCall call = Prepare(info);
  const pk::GemmArgs& g = call.args;
  struct State {
    std::vector<float> a, b, c;
    pk::GemmArgs args;
  };
  auto st = std::make_shared<State>();
  st->a.assign(g.a, g.a + g.m * g.k);
  st->b.assign(g.b, g.b + g.k * g.n);
  st->c.assign(g.c, g.c + g.m * g.n);
  st->args = pk::gemm_packed(st->c.data(), st->a.data(), st->b.data(), g.trans_a, g.trans_b, g.m, g.n, g.k, g.alpha, g.beta);
  JsRef c = Keep(call.borrowed[0]);
  return PromiseWorker::Start(
      info.Env(), {}, [st] { pk::f32_gemm(st->args); },
      [st, c](Napi::Env env) -> Napi::Value {
        if (!WriteBack(env, c, st->c))
          return MakeError(env, ErrorKind::shape, "C was detached or resized while gemmAsync ran; nothing written").Value();
        return env.Undefined();
      });
}

}  // namespace

void InitGemm(Napi::Env env, Napi::Object exports) {
  exports.Set("gemm", Napi::Function::New(env, Gemm, "gemm"));
  exports.Set("gemmAsync", Napi::Function::New(env, GemmAsync, "gemmAsync"));
}

}  // namespace pkb
