// biasAdd, biasGrad, activation, activationGrad, dropout, dropoutGrad,
// softmaxCrossEntropy, gatherRows.
#include "elementwise.h"
#include "transpose.h"

#include <string>
#include <vector>

#include "args.h"
#include "binding.h"

namespace pkb {
namespace {

Napi::Value BiasAdd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto y = Float32Arg(info, 0, "y");
  auto bias = Float32Arg(info, 1, "bias");
  int64_t rows = IntegerArg(info, 2, "rows", 0, kMaxDim);
  int64_t cols = IntegerArg(info, 3, "cols", 0, kMaxDim);
  ExpectLength(env, "y", y.length, CheckedProduct(env, rows, cols, "y (rows x cols)"));
  ExpectLength(env, "bias", bias.length, cols);
  ExpectDisjoint(env, "y", y, "bias", bias);
  pk::f32_bias_add(y.data, bias.data, rows, cols);
  return env.Undefined();
}

Napi::Value BiasGrad(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto db = Float32Arg(info, 0, "db");
  auto dy = Float32Arg(info, 1, "dy");
  int64_t rows = IntegerArg(info, 2, "rows", 0, kMaxDim);
  int64_t cols = IntegerArg(info, 3, "cols", 0, kMaxDim);
  ExpectLength(env, "dy", dy.length, CheckedProduct(env, rows, cols, "dy (rows x cols)"));
  ExpectLength(env, "db", db.length, cols);
  ExpectDisjoint(env, "db", db, "dy", dy);
  pk::f32_bias_grad(db.data, dy.data, rows, cols);
  return env.Undefined();
}

pk::Activation ActivationArg(const Napi::CallbackInfo& info, size_t i) {
  return pk::Activation(IntegerArg(info, i, "kind", 0, 2));
}

// Same-length arrays that may alias exactly (in place) but not partially.
template <typename A, typename B>
void ExpectSameOrDisjoint(Napi::Env env, const std::string& out_name, const Borrowed<A>& out, const std::string& in_name,
                          const Borrowed<B>& in) {
  if (static_cast<const void*>(out.data) != static_cast<const void*>(in.data)) ExpectDisjoint(env, out_name, out, in_name, in);
}

Napi::Value ActivationForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto y = Float32Arg(info, 0, "y");
  auto x = Float32Arg(info, 1, "x");
  pk::Activation kind = ActivationArg(info, 2);
  ExpectLength(env, "y", y.length, x.length);
  ExpectSameOrDisjoint(env, "y", y, "x", x);
  pk::f32_activation_forward(y.data, x.data, x.length, kind);
  return env.Undefined();
}

Napi::Value ActivationBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto dx = Float32Arg(info, 0, "dx");
  auto dy = Float32Arg(info, 1, "dy");
  auto y = Float32Arg(info, 2, "y");
  pk::Activation kind = ActivationArg(info, 3);
  ExpectLength(env, "dx", dx.length, y.length);
  ExpectLength(env, "dy", dy.length, y.length);
  ExpectSameOrDisjoint(env, "dx", dx, "dy", dy);
  ExpectDisjoint(env, "dx", dx, "y", y);
  pk::f32_activation_backward(dx.data, dy.data, y.data, y.length, kind);
  return env.Undefined();
}

double DropProbabilityArg(const Napi::CallbackInfo& info, size_t i) {
  const double p = NumberArg(info, i, "p");
  if (!(p >= 0.0 && p < 1.0))
    Throw(info.Env(), ErrorKind::argument_range,
          Expected("a number in [0, 1)", "p", Describe(info[i])));
  return p;
}

// dropout(y, keep, x, p, seed, offset): y may be x; keep shares memory with neither.
Napi::Value DropoutForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto y = Float32Arg(info, 0, "y");
  auto keep = Uint8Arg(info, 1, "keep");
  auto x = Float32Arg(info, 2, "x");
  const double p = DropProbabilityArg(info, 3);
  const int64_t seed = IntegerArg(info, 4, "seed", 0, 4294967295LL);
  const int64_t offset = IntegerArg(info, 5, "offset", 0, int64_t(1) << 53);
  ExpectLength(env, "y", y.length, x.length);
  ExpectLength(env, "keep", keep.length, x.length);
  ExpectSameOrDisjoint(env, "y", y, "x", x);
  ExpectDisjoint(env, "keep", keep, "x", x);
  ExpectDisjoint(env, "keep", keep, "y", y);
  pk::f32_dropout_forward(y.data, keep.data, x.data, x.length, p, uint64_t(seed), uint64_t(offset));
  return env.Undefined();
}

// dropoutGrad(dx, dy, keep, p): dx may be dy.
Napi::Value DropoutBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto dx = Float32Arg(info, 0, "dx");
  auto dy = Float32Arg(info, 1, "dy");
  auto keep = Uint8Arg(info, 2, "keep");
  const double p = DropProbabilityArg(info, 3);
  ExpectLength(env, "dx", dx.length, keep.length);
  ExpectLength(env, "dy", dy.length, keep.length);
  ExpectSameOrDisjoint(env, "dx", dx, "dy", dy);
  ExpectDisjoint(env, "dx", dx, "keep", keep);
  pk::f32_dropout_backward(dx.data, dy.data, keep.data, keep.length, p);
  return env.Undefined();
}

// softmaxCrossEntropy(dlogits | null, logits, labels, batch, classes) -> { loss, correct }
Napi::Value SoftmaxCrossEntropy(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto dlogits = Float32Arg(info, 0, "dlogits", true);
  auto logits = Float32Arg(info, 1, "logits");
  auto labels = Int32Arg(info, 2, "labels");
  int64_t batch = IntegerArg(info, 3, "batch", 0, kMaxDim);
  int64_t classes = IntegerArg(info, 4, "classes", 1, kMaxDim);
  int64_t n = CheckedProduct(env, batch, classes, "logits (batch x classes)");
  ExpectLength(env, "logits", logits.length, n);
  ExpectLength(env, "labels", labels.length, batch);
  if (dlogits.present()) {
    ExpectLength(env, "dlogits", dlogits.length, n);
    ExpectDisjoint(env, "dlogits", dlogits, "logits", logits);
    ExpectDisjoint(env, "dlogits", dlogits, "labels", labels);
  }
  // Labels index memory: check a private copy, so neither an overlapping
  // output nor another thread (SharedArrayBuffer) can change them afterwards.
  std::vector<int32_t> checked(labels.data, labels.data + labels.length);
  for (int64_t b = 0; b < batch; ++b)
    if (checked[size_t(b)] < 0 || checked[size_t(b)] >= classes)
      Throw(env, ErrorKind::argument_range,
            Expected("a class in [0, " + std::to_string(classes) + ")", "labels[" + std::to_string(b) + "]",
                     std::to_string(checked[size_t(b)])));
  int64_t correct = 0;
  double loss = pk::f32_softmax_cross_entropy(dlogits.data, logits.data, checked.data(), batch, classes, &correct);
  Napi::Object out = Napi::Object::New(env);
  out.Set("loss", loss);
  out.Set("correct", double(correct));
  return out;
}

// gatherRows(dst, src, width, rows): dst row r = src row rows[r].
Napi::Value GatherRows(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto dst = Float32Arg(info, 0, "dst");
  auto src = Float32Arg(info, 1, "src");
  int64_t width = IntegerArg(info, 2, "width", 1, kMaxDim);
  auto rows = Int32Arg(info, 3, "rows");
  if (src.length % width != 0)
    Throw(env, ErrorKind::shape, Expected("a multiple of width " + std::to_string(width), "src length", std::to_string(src.length)));
  ExpectLength(env, "dst", dst.length, CheckedProduct(env, rows.length, width, "dst (rows x width)"));
  ExpectDisjoint(env, "dst", dst, "src", src);
  // The kernel checks the indices before it copies: it gets a private copy,
  // which no other thread can change in between (a SharedArrayBuffer).
  const std::vector<int32_t> checked(rows.data, rows.data + rows.length);
  const int64_t src_rows = src.length / width;
  const int64_t bad = pk::f32_gather_rows(dst.data, src.data, src_rows, width, checked.data(), rows.length);
  if (bad >= 0 && src_rows == 0)
    Throw(env, ErrorKind::argument_range, Expected("a source with rows", "src", "an empty array"));
  if (bad >= 0)
    Throw(env, ErrorKind::argument_range, Expected("an integer in [0, " + std::to_string(src_rows - 1) + "]",
                                                   "rows[" + std::to_string(bad) + "]", std::to_string(checked[size_t(bad)])));
  return env.Undefined();
}

}  // namespace

void InitElementwise(Napi::Env env, Napi::Object exports) {
  exports.Set("gatherRows", Napi::Function::New(env, GatherRows, "gatherRows"));
  exports.Set("biasAdd", Napi::Function::New(env, BiasAdd, "biasAdd"));
  exports.Set("biasGrad", Napi::Function::New(env, BiasGrad, "biasGrad"));
  exports.Set("activation", Napi::Function::New(env, ActivationForward, "activation"));
  exports.Set("activationGrad", Napi::Function::New(env, ActivationBackward, "activationGrad"));
  exports.Set("dropout", Napi::Function::New(env, DropoutForward, "dropout"));
  exports.Set("dropoutGrad", Napi::Function::New(env, DropoutBackward, "dropoutGrad"));
  exports.Set("softmaxCrossEntropy", Napi::Function::New(env, SoftmaxCrossEntropy, "softmaxCrossEntropy"));
}

}  // namespace pkb
