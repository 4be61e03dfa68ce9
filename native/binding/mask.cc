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

Napi::Value CountZeros(const Napi::CallbackInfo& info) {
  auto mask = Uint8Arg(info, 0, "mask");
  return Napi::Number::New(info.Env(), double(pk::u8_count_zeros(mask.data, mask.length)));
}

Napi::Value MaskAnd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto dst = Uint8Arg(info, 0, "mask");
  auto src = Uint8Arg(info, 1, "other");
  ExpectLength(env, "other", src.length, dst.length);
  return Napi::Number::New(env, double(pk::u8_mask_and(dst.data, src.data, dst.length)));
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

Napi::Value AdamMasked(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto w = Float32Arg(info, 0, "weights");
  auto m = Float32Arg(info, 1, "firstMoment");
  auto v = Float32Arg(info, 2, "secondMoment");
  auto grad = Float32Arg(info, 3, "grad");
  auto mask = Uint8Arg(info, 4, "mask", true);
  pk::AdamParams p;
  p.lr = float(NumberArg(info, 5, "lr"));
  p.beta1 = float(NumberArg(info, 6, "beta1"));
  p.beta2 = float(NumberArg(info, 7, "beta2"));
  p.eps = float(NumberArg(info, 8, "eps"));
  p.weight_decay = float(NumberArg(info, 9, "weightDecay"));
  p.decoupled = BoolArg(info, 10, "decoupled");
  p.correction1 = float(NumberArg(info, 11, "correction1"));
  p.correction2 = float(NumberArg(info, 12, "correction2"));
  if (!(p.correction1 > 0) || !(p.correction2 > 0))
    Throw(env, ErrorKind::argument_range, Expected("bias corrections in (0, 1]", "correction1/correction2", "a non-positive value"));
  for (auto* a : {&m, &v, &grad}) ExpectLength(env, a == &m ? "firstMoment" : a == &v ? "secondMoment" : "grad", a->length, w.length);
  if (mask.present()) ExpectLength(env, "mask", mask.length, w.length);
  ExpectDisjoint(env, "weights", w, "grad", grad);
  ExpectDisjoint(env, "weights", w, "firstMoment", m);
  ExpectDisjoint(env, "weights", w, "secondMoment", v);
  ExpectDisjoint(env, "firstMoment", m, "secondMoment", v);
  ExpectDisjoint(env, "firstMoment", m, "grad", grad);
  ExpectDisjoint(env, "secondMoment", v, "grad", grad);
  pk::f32_adam_masked(w.data, m.data, v.data, grad.data, mask.data, w.length, p);
  return env.Undefined();
}

Napi::Value SumSquares(const Napi::CallbackInfo& info) {
  auto x = Float32Arg(info, 0, "x");
  return Napi::Number::New(info.Env(), pk::f32_sum_squares(x.data, x.length));
}

Napi::Value Scale(const Napi::CallbackInfo& info) {
  auto x = Float32Arg(info, 0, "x");
  float s = float(NumberArg(info, 1, "scale"));
  pk::f32_scale(x.data, x.length, s);
  return info.Env().Undefined();
}

}  // namespace

void InitMask(Napi::Env env, Napi::Object exports) {
  exports.Set("countZeros", Napi::Function::New(env, CountZeros, "countZeros"));
  exports.Set("maskAnd", Napi::Function::New(env, MaskAnd, "maskAnd"));
  exports.Set("applyMask", Napi::Function::New(env, ApplyMask, "applyMask"));
  exports.Set("sgdMasked", Napi::Function::New(env, SgdMasked, "sgdMasked"));
  exports.Set("adamMasked", Napi::Function::New(env, AdamMasked, "adamMasked"));
  exports.Set("sumSquares", Napi::Function::New(env, SumSquares, "sumSquares"));
  exports.Set("scale", Napi::Function::New(env, Scale, "scale"));
}

}  // namespace pkb
