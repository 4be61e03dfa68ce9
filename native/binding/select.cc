// magnitudeThreshold(xs, masks, k) and percentile(x, q), with async twins.
// Both report the first NaN instead of selecting; lib/ raises a typed error.
#include "select.h"

#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "async.h"
#include "binding.h"

namespace pkb {
namespace {

struct ThresholdCall {
  std::vector<pk::MagnitudeSpan> spans;
  int64_t k;
  std::vector<Napi::Value> borrowed;
};

ThresholdCall PrepareThreshold(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray())
    Throw(env, ErrorKind::argument_type, Expected("an array of Float32Array", "tensors", "something else"));
  Napi::Array xs = info[0].As<Napi::Array>();
  bool with_masks = info.Length() >= 2 && !info[1].IsNull() && !info[1].IsUndefined();
  Napi::Array masks;
  if (with_masks) {
    if (!info[1].IsArray())
      Throw(env, ErrorKind::argument_type, Expected("an array of Uint8Array, or null", "masks", "something else"));
    masks = info[1].As<Napi::Array>();
    ExpectLength(env, "masks", masks.Length(), xs.Length());
  }
  ThresholdCall call;
  int64_t total = 0;
  for (uint32_t i = 0; i < xs.Length(); ++i) {
    std::string index = "[" + std::to_string(i) + "]";
    auto x = Float32Of(env, xs.Get(i), "tensors" + index);
    Borrowed<uint8_t> mask;
    if (with_masks) {
      mask = Uint8Of(env, masks.Get(i), "masks" + index, true);
      if (mask.present()) {
        ExpectLength(env, "masks" + index, mask.length, x.length);
        call.borrowed.push_back(mask.value);
      }
    }
    total += x.length;
    call.spans.push_back({x.data, mask.data, x.length});
    call.borrowed.push_back(x.value);
  }
  // A mask aliasing any tensor would be rewritten while it is being read.
  for (size_t i = 0; i < call.spans.size(); ++i)
    for (size_t j = 0; j < call.spans.size(); ++j) {
      Borrowed<uint8_t> m{call.spans[i].mask, call.spans[i].mask ? call.spans[i].n : 0, Napi::Value()};
      Borrowed<const float> x{call.spans[j].x, call.spans[j].n, Napi::Value()};
      ExpectDisjoint(env, "masks[" + std::to_string(i) + "]", m, "tensors[" + std::to_string(j) + "]", x);
    }
  call.k = IntegerArg(info, 2, "k", 0, total);
  return call;
}

Napi::Object ThresholdResult(Napi::Env env, const pk::ThresholdOutcome& r) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("threshold", double(r.threshold));
  out.Set("pruned", double(r.pruned));
  out.Set("nanTensor", double(r.nan_span));
  out.Set("nanIndex", double(r.nan_index));
  return out;
}

Napi::Value MagnitudeThreshold(const Napi::CallbackInfo& info) {
  ThresholdCall call = PrepareThreshold(info);
  return ThresholdResult(info.Env(), pk::f32_magnitude_threshold(call.spans.data(), int64_t(call.spans.size()), call.k));
}

Napi::Value MagnitudeThresholdAsync(const Napi::CallbackInfo& info) {
  auto call = std::make_shared<ThresholdCall>(PrepareThreshold(info));
  auto result = std::make_shared<pk::ThresholdOutcome>();
  return PromiseWorker::Start(
      info.Env(), call->borrowed,
      [call, result] { *result = pk::f32_magnitude_threshold(call->spans.data(), int64_t(call->spans.size()), call->k); },
      [result](Napi::Env env) -> Napi::Value { return ThresholdResult(env, *result); });
}

struct PercentileCall {
  const float* x;
  int64_t n;
  double q;
  Napi::Value borrowed;
};

PercentileCall PreparePercentile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto x = Float32Arg(info, 0, "x");
  double q = NumberArg(info, 1, "q");
  if (x.length == 0) Throw(env, ErrorKind::shape, Expected("a non-empty Float32Array", "x", "length 0"));
  if (q < 0 || q > 100) Throw(env, ErrorKind::argument_range, Expected("a number in [0, 100]", "q", std::to_string(q)));
  return {x.data, x.length, q, x.value};
}

Napi::Object PercentileResult(Napi::Env env, const pk::PercentileOutcome& r) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("value", r.value);
  out.Set("nanIndex", double(r.nan_index));
  return out;
}

Napi::Value Percentile(const Napi::CallbackInfo& info) {
  PercentileCall c = PreparePercentile(info);
  return PercentileResult(info.Env(), pk::f32_percentile(c.x, c.n, c.q));
}

Napi::Value PercentileAsync(const Napi::CallbackInfo& info) {
  PercentileCall c = PreparePercentile(info);
  auto result = std::make_shared<pk::PercentileOutcome>();
  return PromiseWorker::Start(
      info.Env(), {c.borrowed}, [c, result] { *result = pk::f32_percentile(c.x, c.n, c.q); },
      [result](Napi::Env env) -> Napi::Value { return PercentileResult(env, *result); });
}

}  // namespace

void InitSelect(Napi::Env env, Napi::Object exports) {
  exports.Set("magnitudeThreshold", Napi::Function::New(env, MagnitudeThreshold, "magnitudeThreshold"));
  exports.Set("magnitudeThresholdAsync", Napi::Function::New(env, MagnitudeThresholdAsync, "magnitudeThresholdAsync"));
  exports.Set("percentile", Napi::Function::New(env, Percentile, "percentile"));
  exports.Set("percentileAsync", Napi::Function::New(env, PercentileAsync, "percentileAsync"));
}

}  // namespace pkb
