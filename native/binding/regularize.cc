// penalty, penaltyCodebook, groupLasso: the regularizers' passes over a weight.
#include "regularize.h"

#include <cmath>
#include <string>
#include <vector>

#include "args.h"
#include "binding.h"

namespace pkb {
namespace {

// grad (or null) and w: the same length, grad in memory of its own.
Borrowed<float> GradientFor(const Napi::CallbackInfo& info, const Borrowed<float>& w) {
  auto grad = Float32Arg(info, 0, "grad", true);
  if (grad.present()) {
    ExpectLength(info.Env(), "grad", grad.length, w.length);
    ExpectDisjoint(info.Env(), "grad", grad, "w", w);
  }
  return grad;
}

// penalty(grad | null, w, kind, scale, step) -> sum of the penalty over w
Napi::Value Penalty(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto w = Float32Arg(info, 1, "w");
  auto grad = GradientFor(info, w);
  const auto kind = pk::Penalty(IntegerArg(info, 2, "kind", 0, 2));
  const double scale = NumberArg(info, 3, "scale");
  const double step = NumberArg(info, 4, "step");
  if (kind == pk::Penalty::grid && !(step > 0.0))
    Throw(env, ErrorKind::argument_range, Expected("a positive number", "step", Describe(info[4])));
  return Napi::Number::New(env, pk::f32_penalty(grad.data, w.data, w.length, kind, scale, step));
}

// penaltyCodebook(grad | null, w, scale, codebook) -> sum of (w - nearest)^2 / 2
Napi::Value PenaltyCodebook(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto w = Float32Arg(info, 1, "w");
  auto grad = GradientFor(info, w);
  const double scale = NumberArg(info, 2, "scale");
  auto book = Float64Arg(info, 3, "codebook");
  // The search relies on a sorted, finite codebook: checked on a private copy.
  const std::vector<double> sorted(book.data, book.data + book.length);
  if (sorted.empty()) Throw(env, ErrorKind::shape, Expected("a non-empty Float64Array", "codebook", "length 0"));
  for (size_t i = 0; i < sorted.size(); ++i)
    if (!std::isfinite(sorted[i]) || (i > 0 && sorted[i] < sorted[i - 1]))
      Throw(env, ErrorKind::argument_range,
            Expected("finite values in ascending order", "codebook", "codebook[" + std::to_string(i) + "] out of order or not finite"));
  return Napi::Number::New(env, pk::f32_penalty_codebook(grad.data, w.data, w.length, scale, sorted.data(), int64_t(sorted.size())));
}

// groupLasso(grad | null, w, rows, channels, taps, byChannel, scale) -> sum of sqrt(size) * ||w_g||
Napi::Value GroupLasso(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto w = Float32Arg(info, 1, "w");
  auto grad = GradientFor(info, w);
  const int64_t rows = IntegerArg(info, 2, "rows", 0, kMaxDim);
  const int64_t channels = IntegerArg(info, 3, "channels", 0, kMaxDim);
  const int64_t taps = IntegerArg(info, 4, "taps", 0, kMaxDim);
  const bool by_channel = BoolArg(info, 5, "byChannel");
  const double scale = NumberArg(info, 6, "scale");
  const int64_t per_row = CheckedProduct(env, channels, taps, "a row (channels x taps)");
  ExpectLength(env, "w", w.length, CheckedProduct(env, rows, per_row, "w (rows x channels x taps)"));
  return Napi::Number::New(env, pk::f32_group_lasso(grad.data, w.data, rows, channels, taps, by_channel, scale));
}

}  // namespace

void InitRegularize(Napi::Env env, Napi::Object exports) {
  exports.Set("penalty", Napi::Function::New(env, Penalty, "penalty"));
  exports.Set("penaltyCodebook", Napi::Function::New(env, PenaltyCodebook, "penaltyCodebook"));
  exports.Set("groupLasso", Napi::Function::New(env, GroupLasso, "groupLasso"));
}

}  // namespace pkb
