#include "args.h"

#include <cmath>

namespace pkb {

std::string Describe(Napi::Value v) {
  if (v.IsUndefined()) return "undefined";
  if (v.IsNull()) return "null";
  if (v.IsTypedArray()) {
    switch (v.As<Napi::TypedArray>().TypedArrayType()) {
      case napi_float32_array: return "a Float32Array";
      case napi_float64_array: return "a Float64Array";
      case napi_uint8_array: return "a Uint8Array";
      case napi_int32_array: return "an Int32Array";
      case napi_uint16_array: return "a Uint16Array";
      case napi_uint32_array: return "a Uint32Array";
      default: return "another typed array";
    }
  }
  if (v.IsArray()) return "an array";
  if (v.IsNumber()) return "the number " + v.ToString().Utf8Value();
  if (v.IsString()) return "a string";
  if (v.IsBoolean()) return "a boolean";
  if (v.IsFunction()) return "a function";
  return "an object";
}

namespace {

// One napi_get_typedarray_info call gives type, length and data: typed
// arrays are checked and borrowed without copying.
template <typename T>
Borrowed<T> TypedOf(Napi::Env env, Napi::Value v, const std::string& name, bool nullable,
                    napi_typedarray_type type, const char* type_name) {
  Borrowed<T> out;
  out.value = v;
  if (nullable && (v.IsNull() || v.IsUndefined())) return out;
  napi_typedarray_type actual;
  size_t length = 0;
  void* data = nullptr;
  // One call both checks and borrows: it fails on anything but a typed array.
  if (napi_get_typedarray_info(env, v, &actual, &length, &data, nullptr, nullptr) != napi_ok || actual != type)
    Throw(env, ErrorKind::argument_type,
          Expected(std::string(type_name) + (nullable ? " or null" : ""), name, Describe(v)));
  out.data = static_cast<T*>(data);
  out.length = int64_t(length);
  return out;
}

Napi::Value At(const Napi::CallbackInfo& info, size_t i) { return i < info.Length() ? info[i] : info.Env().Undefined(); }

}  // namespace

Borrowed<float> Float32Of(Napi::Env env, Napi::Value v, const std::string& name, bool nullable) {
  return TypedOf<float>(env, v, name, nullable, napi_float32_array, "a Float32Array");
}
Borrowed<uint8_t> Uint8Of(Napi::Env env, Napi::Value v, const std::string& name, bool nullable) {
  return TypedOf<uint8_t>(env, v, name, nullable, napi_uint8_array, "a Uint8Array");
}
Borrowed<float> Float32Arg(const Napi::CallbackInfo& info, size_t i, const char* name, bool nullable) {
  return Float32Of(info.Env(), At(info, i), name, nullable);
}
Borrowed<uint8_t> Uint8Arg(const Napi::CallbackInfo& info, size_t i, const char* name, bool nullable) {
  return Uint8Of(info.Env(), At(info, i), name, nullable);
}
Borrowed<int32_t> Int32Arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  return TypedOf<int32_t>(info.Env(), At(info, i), name, false, napi_int32_array, "an Int32Array");
}
Borrowed<uint16_t> Uint16Arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  return TypedOf<uint16_t>(info.Env(), At(info, i), name, false, napi_uint16_array, "a Uint16Array");
}
Borrowed<double> Float64Arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  return TypedOf<double>(info.Env(), At(info, i), name, false, napi_float64_array, "a Float64Array");
}
Borrowed<uint32_t> Uint32Arg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  return TypedOf<uint32_t>(info.Env(), At(info, i), name, false, napi_uint32_array, "a Uint32Array");
}

// Numbers and booleans are read with one N-API call each, which fails on a
// value of another type: these checks run on every call, so they stay cheap.
int64_t IntegerArg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min, int64_t max) {
  Napi::Value v = At(info, i);
  auto range = [&] { return "an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]"; };
  double d;
  if (napi_get_value_double(info.Env(), v, &d) != napi_ok)
    Throw(info.Env(), ErrorKind::argument_type, Expected(range(), name, Describe(v)));
  if (!std::isfinite(d) || std::floor(d) != d || d < double(min) || d > double(max))
    Throw(info.Env(), ErrorKind::argument_range, Expected(range(), name, Describe(v)));
  return int64_t(d);
}

double NumberArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = At(info, i);
  double d;
  if (napi_get_value_double(info.Env(), v, &d) != napi_ok)
    Throw(info.Env(), ErrorKind::argument_type, Expected("a finite number", name, Describe(v)));
  if (!std::isfinite(d)) Throw(info.Env(), ErrorKind::argument_range, Expected("a finite number", name, Describe(v)));
  return d;
}

bool BoolArg(const Napi::CallbackInfo& info, size_t i, const char* name) {
  Napi::Value v = At(info, i);
  bool b;
  if (napi_get_value_bool(info.Env(), v, &b) != napi_ok)
    Throw(info.Env(), ErrorKind::argument_type, Expected("a boolean", name, Describe(v)));
  return b;
}

int64_t CheckedProduct(Napi::Env env, int64_t a, int64_t b, const std::string& what) {
  int64_t out;
  if (__builtin_mul_overflow(a, b, &out) || out > kMaxElements)
    Throw(env, ErrorKind::argument_range,
          Expected("at most " + std::to_string(kMaxElements) + " elements", what,
                   std::to_string(a) + " x " + std::to_string(b)));
  return out;
}

void ExpectLength(Napi::Env env, const std::string& name, int64_t actual, int64_t expected) {
  if (actual != expected)
    Throw(env, ErrorKind::shape, Expected("length " + std::to_string(expected), name, "length " + std::to_string(actual)));
}

void ThrowOverlap(Napi::Env env, const std::string& out_name, const std::string& in_name) {
  Throw(env, ErrorKind::argument_range,
        Expected("memory separate from " + in_name, out_name, "an overlapping view of the same buffer"));
}

}  // namespace pkb
