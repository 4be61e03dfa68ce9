// magnitudeThreshold(xs, masks, k) and percentile(x, q), with async twins.
// Both report the first NaN instead of selecting; lib/ raises a typed error.
#include "select.h"

#include <algorithm>
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
  std::vector<Napi::Value> mask_objects;  // per span; empty when it has no mask
};

ThresholdCall PrepareThreshold(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsArray())
    Throw(env, ErrorKind::argument_type, Expected("an array of Float32Array", "tensors", "something else"));
  Napi::Array xs = info[0].As<Napi::Array>();
  const uint32_t count = xs.Length();
  bool with_masks = info.Length() >= 2 && !info[1].IsNull() && !info[1].IsUndefined();
  Napi::Array masks;
  if (with_masks) {
    if (!info[1].IsArray())
      Throw(env, ErrorKind::argument_type, Expected("an array of Uint8Array, or null", "masks", "something else"));
    masks = info[1].As<Napi::Array>();
    ExpectLength(env, "masks", masks.Length(), count);
  }
  // Read every element first, `count` from each array: an element getter may
  // run JavaScript (which may even resize the arrays), and no JavaScript may
  // run once pointers are borrowed.
  std::vector<Napi::Value> tensor_values, mask_values;
  for (uint32_t i = 0; i < count; ++i) tensor_values.push_back(xs.Get(i));
  if (with_masks)
    for (uint32_t i = 0; i < count; ++i) mask_values.push_back(masks.Get(i));
  ThresholdCall call;
  int64_t total = 0;
  auto name = [](const char* what, size_t i) { return std::string(what) + "[" + std::to_string(i) + "]"; };
  for (size_t i = 0; i < tensor_values.size(); ++i) {
    auto x = Float32Of(env, tensor_values[i], name("tensors", i));
    Borrowed<uint8_t> mask;
    if (with_masks) {
      mask = Uint8Of(env, mask_values[i], name("masks", i), true);
      if (mask.present()) {
        ExpectLength(env, name("masks", i), mask.length, x.length);
        call.borrowed.push_back(mask.value);
      }
    }
    call.mask_objects.push_back(mask.present() ? mask.value : Napi::Value());
    total += x.length;
    call.spans.push_back({x.data, mask.data, x.length});
    call.borrowed.push_back(x.value);
  }
  // A mask overlapping any tensor (or another mask) would be rewritten while
  // it is read: sort all byte ranges and compare neighbours, O(n log n).
  struct Range {
    uintptr_t begin, end;
    bool is_mask;
    size_t index;
  };
  std::vector<Range> ranges;
  bool any_mask = false;
  for (size_t i = 0; i < call.spans.size(); ++i) {
    const auto& sp = call.spans[i];
    if (sp.n > 0) ranges.push_back({uintptr_t(sp.x), uintptr_t(sp.x + sp.n), false, i});
    if (sp.mask && sp.n > 0) {
      ranges.push_back({uintptr_t(sp.mask), uintptr_t(sp.mask + sp.n), true, i});
      any_mask = true;
    }
  }
  if (any_mask) {
    std::sort(ranges.begin(), ranges.end(), [](const Range& a, const Range& b) { return a.begin < b.begin; });
    uintptr_t reach = 0;
    const Range* widest = nullptr;
    for (const Range& r : ranges) {
      if (widest && r.begin < reach && (r.is_mask || widest->is_mask)) {
        const Range& m = r.is_mask ? r : *widest;
        const Range& o = r.is_mask ? *widest : r;
        Throw(env, ErrorKind::argument_range,
              Expected("memory separate from " + name(o.is_mask ? "masks" : "tensors", o.index), name("masks", m.index),
                       "an overlapping view of the same buffer"));
      }
      if (!widest || r.end > reach) {
        reach = r.end;
        widest = &r;
      }
    }
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

// Runs on copies (see async.h); the masks are written back on completion.
Napi::Value MagnitudeThresholdAsync(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  ThresholdCall call = PrepareThreshold(info);
  struct State {
    std::vector<std::vector<float>> tensors;
    std::vector<std::vector<uint8_t>> masks;
    std::vector<JsRef> mask_refs;
    std::vector<pk::MagnitudeSpan> spans;
    int64_t k = 0;
    pk::ThresholdOutcome result{};
  };
  auto st = std::make_shared<State>();
  st->k = call.k;
  st->tensors.resize(call.spans.size());
  st->masks.resize(call.spans.size());
  st->mask_refs.resize(call.spans.size());
  for (size_t i = 0; i < call.spans.size(); ++i) {
    const pk::MagnitudeSpan& sp = call.spans[i];
    st->tensors[i].assign(sp.x, sp.x + sp.n);
    if (sp.mask) {
      st->masks[i].assign(sp.mask, sp.mask + sp.n);
      st->mask_refs[i] = Keep(call.mask_objects[i]);
    }
    st->spans.push_back({st->tensors[i].data(), sp.mask ? st->masks[i].data() : nullptr, sp.n});
  }
  return PromiseWorker::Start(
      env, {}, [st] { st->result = pk::f32_magnitude_threshold(st->spans.data(), int64_t(st->spans.size()), st->k); },
      [st](Napi::Env env) -> Napi::Value {
        if (st->result.nan_span < 0)
          for (size_t i = 0; i < st->masks.size(); ++i)
            if (st->mask_refs[i] && !WriteBack(env, st->mask_refs[i], st->masks[i]))
              return MakeError(env, ErrorKind::shape, "a mask was detached or resized while the threshold ran").Value();
        return ThresholdResult(env, st->result);
      });
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
  auto copy = std::make_shared<std::vector<float>>(c.x, c.x + c.n);
  auto result = std::make_shared<pk::PercentileOutcome>();
  double q = c.q;
  return PromiseWorker::Start(
      info.Env(), {}, [copy, result, q] { *result = pk::f32_percentile(copy->data(), int64_t(copy->size()), q); },
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
