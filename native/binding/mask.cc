// applyMask(w, mask) and sgdMasked(w, velocity, grad, mask, lr, momentum, weightDecay, nesterov).
#include "mask.h"

#include "args.h"
#include "binding.h"

namespace pkb {
namespace {

Napi::Value ApplyMask(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto w = Float32Arg(info, 0, "weights");
  auto mask = Uint8Arg(info, 1, "mask");
  ExpectLength(env, "mask", mask.length, w.length);
  pk::f32_apply_mask(w.data, mask.data, w.length);
  return env.Undefined();
}

Napi::Value SgdMasked(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto w = Float32Arg(info, 0, "weights");
  auto velocity = Float32Arg(info, 1, "velocity", true);
  auto grad = Float32Arg(info, 2, "grad");
  auto mask = Uint8Arg(info, 3, "mask", true);
  pk::SgdParams p;
  p.lr = float(NumberArg(info, 4, "lr"));
  p.momentum = float(NumberArg(info, 5, "momentum"));
  p.weight_decay = float(NumberArg(info, 6, "weightDecay"));
  p.nesterov = BoolArg(info, 7, "nesterov");
  ExpectLength(env, "grad", grad.length, w.length);
  if (mask.present()) ExpectLength(env, "mask", mask.length, w.length);
  if (p.momentum != 0.0f) {
    if (!velocity.present())
      Throw(env, ErrorKind::argument_type, Expected("a Float32Array when momentum != 0", "velocity", "null"));
    ExpectLength(env, "velocity", velocity.length, w.length);
    ExpectDisjoint(env, "velocity", velocity, "weights", w);
    ExpectDisjoint(env, "velocity", velocity, "grad", grad);
  }
  ExpectDisjoint(env, "weights", w, "grad", grad);
  pk::f32_sgd_masked(w.data, velocity.data, grad.data, mask.data, w.length, p);
  return env.Undefined();
}

}  // namespace

void InitMask(Napi::Env env, Napi::Object exports) {
  exports.Set("applyMask", Napi::Function::New(env, ApplyMask, "applyMask"));
  exports.Set("sgdMasked", Napi::Function::New(env, SgdMasked, "sgdMasked"));
}

}  // namespace pkb
