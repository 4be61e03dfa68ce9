// conv2dForward, conv2dBackward, maxpool2dForward, maxpool2dBackward.
#include "conv.h"
#include "pool.h"

#include <string>
#include <vector>

#include "args.h"
#include "binding.h"

namespace pkb {

void CheckConvShape(Napi::Env env, const pk::ConvShape& s, const std::string& prefix) {
  if (s.padding >= s.kernel_h || s.padding >= s.kernel_w)
    Throw(env, ErrorKind::argument_range, Expected("padding smaller than the kernel", prefix + "padding", std::to_string(s.padding)));
  if (s.height + 2 * s.padding < s.kernel_h || s.width + 2 * s.padding < s.kernel_w)
    Throw(env, ErrorKind::shape, Expected("a kernel that fits the padded input", prefix + "kernel",
                                          std::to_string(s.kernel_h) + "x" + std::to_string(s.kernel_w)));
  // One sample's unrolled receptive fields must stay reasonable: the scratch
  // buffer is allocated from it, not from the inputs.
  int64_t positions = CheckedProduct(env, s.out_h(), s.out_w(), prefix + "output positions");
  int64_t unrolled = CheckedProduct(env, CheckedProduct(env, s.channels, CheckedProduct(env, s.kernel_h, s.kernel_w, prefix + "kernel"), prefix + "patch"),
                                    positions, prefix + "im2col buffer");
  if (unrolled > kMaxUnrolled)
    Throw(env, ErrorKind::argument_range,
          Expected("at most 2^26 unrolled values per sample (C*KH*KW*OH*OW)", prefix + "convolution", std::to_string(unrolled)));
}
namespace {

// Reads (B, C, H, W, O, KH, KW, stride, padding) from argument `first` on.
pk::ConvShape ConvShapeArgs(const Napi::CallbackInfo& info, size_t first) {
  pk::ConvShape s;
  s.batch = IntegerArg(info, first, "batch", 0, kMaxDim);
  s.channels = IntegerArg(info, first + 1, "channels", 1, kMaxDim);
  s.height = IntegerArg(info, first + 2, "height", 1, kMaxDim);
  s.width = IntegerArg(info, first + 3, "width", 1, kMaxDim);
  s.out_channels = IntegerArg(info, first + 4, "outChannels", 1, kMaxDim);
  s.kernel_h = IntegerArg(info, first + 5, "kernelH", 1, kMaxDim);
  s.kernel_w = IntegerArg(info, first + 6, "kernelW", 1, kMaxDim);
  s.stride = IntegerArg(info, first + 7, "stride", 1, kMaxDim);
  s.padding = IntegerArg(info, first + 8, "padding", 0, kMaxDim);
  CheckConvShape(info.Env(), s, "");
  return s;
}

int64_t Volume(Napi::Env env, int64_t a, int64_t b, int64_t c, int64_t d, const std::string& what) {
  return CheckedProduct(env, CheckedProduct(env, a, b, what), CheckedProduct(env, c, d, what), what);
}

Napi::Value Conv2dForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto y = Float32Arg(info, 0, "y");
  auto x = Float32Arg(info, 1, "x");
  auto w = Float32Arg(info, 2, "w");
  auto bias = Float32Arg(info, 3, "bias", true);
  pk::ConvShape s = ConvShapeArgs(info, 4);
  ExpectLength(env, "x", x.length, Volume(env, s.batch, s.channels, s.height, s.width, "x"));
  ExpectLength(env, "w", w.length, Volume(env, s.out_channels, s.channels, s.kernel_h, s.kernel_w, "w"));
  ExpectLength(env, "y", y.length, Volume(env, s.batch, s.out_channels, s.out_h(), s.out_w(), "y"));
  if (bias.present()) ExpectLength(env, "bias", bias.length, s.out_channels);
  ExpectDisjoint(env, "y", y, "x", x);
  ExpectDisjoint(env, "y", y, "w", w);
  pk::f32_conv2d_forward(y.data, x.data, w.data, bias.data, s);
  return env.Undefined();
}

Napi::Value Conv2dBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto dw = Float32Arg(info, 0, "dw");
  auto db = Float32Arg(info, 1, "db");
  auto dx = Float32Arg(info, 2, "dx", true);
  auto dy = Float32Arg(info, 3, "dy");
  auto x = Float32Arg(info, 4, "x");
  auto w = Float32Arg(info, 5, "w");
  pk::ConvShape s = ConvShapeArgs(info, 6);
  int64_t image = Volume(env, s.batch, s.channels, s.height, s.width, "x");
  ExpectLength(env, "x", x.length, image);
  ExpectLength(env, "w", w.length, Volume(env, s.out_channels, s.channels, s.kernel_h, s.kernel_w, "w"));
  ExpectLength(env, "dw", dw.length, w.length);
  ExpectLength(env, "db", db.length, s.out_channels);
  ExpectLength(env, "dy", dy.length, Volume(env, s.batch, s.out_channels, s.out_h(), s.out_w(), "dy"));
  if (dx.present()) {
    ExpectLength(env, "dx", dx.length, image);
    ExpectDisjoint(env, "dx", dx, "dy", dy);
    ExpectDisjoint(env, "dx", dx, "x", x);
    ExpectDisjoint(env, "dx", dx, "w", w);
  }
  ExpectDisjoint(env, "dw", dw, "dy", dy);
  ExpectDisjoint(env, "dw", dw, "x", x);
  ExpectDisjoint(env, "dw", dw, "w", w);
  ExpectDisjoint(env, "db", db, "dy", dy);
  pk::f32_conv2d_backward(dw.data, db.data, dx.data, dy.data, x.data, w.data, s);
  return env.Undefined();
}

pk::PoolShape PoolShapeArgs(const Napi::CallbackInfo& info, size_t first) {
  Napi::Env env = info.Env();
  pk::PoolShape s;
  s.batch = IntegerArg(info, first, "batch", 0, kMaxDim);
  s.channels = IntegerArg(info, first + 1, "channels", 1, kMaxDim);
  s.height = IntegerArg(info, first + 2, "height", 1, kMaxDim);
  s.width = IntegerArg(info, first + 3, "width", 1, kMaxDim);
  s.size = IntegerArg(info, first + 4, "size", 1, kMaxDim);
  s.stride = IntegerArg(info, first + 5, "stride", 1, kMaxDim);
  if (s.size > s.height || s.size > s.width)
    Throw(env, ErrorKind::shape, Expected("a window that fits the input", "size", std::to_string(s.size)));
  // argmax holds flat input indices as int32
  if (Volume(env, s.batch, s.channels, s.height, s.width, "x") > kMaxDim)
    Throw(env, ErrorKind::argument_range, Expected("at most 2^31 - 1 input values", "x", "more"));
  return s;
}

Napi::Value MaxPoolForward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto y = Float32Arg(info, 0, "y");
  auto argmax = Int32Arg(info, 1, "argmax");
  auto x = Float32Arg(info, 2, "x");
  pk::PoolShape s = PoolShapeArgs(info, 3);
  int64_t out = Volume(env, s.batch, s.channels, s.out_h(), s.out_w(), "y");
  ExpectLength(env, "x", x.length, Volume(env, s.batch, s.channels, s.height, s.width, "x"));
  ExpectLength(env, "y", y.length, out);
  ExpectLength(env, "argmax", argmax.length, out);
  ExpectDisjoint(env, "y", y, "x", x);
  ExpectDisjoint(env, "argmax", argmax, "x", x);
  ExpectDisjoint(env, "argmax", argmax, "y", y);
  pk::f32_maxpool2d_forward(y.data, argmax.data, x.data, s);
  return env.Undefined();
}

Napi::Value MaxPoolBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto dx = Float32Arg(info, 0, "dx");
  auto dy = Float32Arg(info, 1, "dy");
  auto argmax = Int32Arg(info, 2, "argmax");
  pk::PoolShape s = PoolShapeArgs(info, 3);
  int64_t in = Volume(env, s.batch, s.channels, s.height, s.width, "dx");
  int64_t out = Volume(env, s.batch, s.channels, s.out_h(), s.out_w(), "dy");
  ExpectLength(env, "dx", dx.length, in);
  ExpectLength(env, "dy", dy.length, out);
  ExpectLength(env, "argmax", argmax.length, out);
  ExpectDisjoint(env, "dx", dx, "dy", dy);
  ExpectDisjoint(env, "dx", dx, "argmax", argmax);
  // The kernel checks each index as it uses it (argmax may sit in a shared
  // buffer that another thread changes): every one must lie in its own
  // output's plane, as the forward pass makes them.
  int32_t bad_value = 0;
  const int64_t bad = pk::f32_maxpool2d_backward(dx.data, dy.data, argmax.data, s, &bad_value);
  if (bad >= 0) {
    const int64_t in_plane = s.height * s.width, lo = bad / (s.out_h() * s.out_w()) * in_plane;
    Throw(env, ErrorKind::argument_range, Expected("an index in [" + std::to_string(lo) + ", " + std::to_string(lo + in_plane) + ") (its own plane)",
                                                   "argmax[" + std::to_string(bad) + "]", std::to_string(bad_value)));
  }
  return env.Undefined();
}

}  // namespace

void InitConv(Napi::Env env, Napi::Object exports) {
  exports.Set("conv2dForward", Napi::Function::New(env, Conv2dForward, "conv2dForward"));
  exports.Set("conv2dBackward", Napi::Function::New(env, Conv2dBackward, "conv2dBackward"));
  exports.Set("maxpool2dForward", Napi::Function::New(env, MaxPoolForward, "maxpool2dForward"));
  exports.Set("maxpool2dBackward", Napi::Function::New(env, MaxPoolBackward, "maxpool2dBackward"));
}

}  // namespace pkb
