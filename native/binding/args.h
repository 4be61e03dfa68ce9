// Argument conversion for the binding: typed arrays are borrowed (pointer +
// length, no copy) and every size is re-checked here before a kernel runs.
// lib/ validates first with friendlier context; these checks exist so that no
// call from JavaScript can make a kernel read or write out of bounds.
#pragma once

#include <napi.h>

#include <cstdint>
#include <string>

namespace pk {
struct ConvShape;
}

namespace pkb {

template <typename T>
struct Borrowed {
  T* data = nullptr;
  int64_t length = 0;
  Napi::Value value;  // the JS object, to keep alive during async work
  bool present() const { return !value.IsEmpty() && !value.IsNull() && !value.IsUndefined(); }
};

Borrowed<float> Float32Arg(const Napi::CallbackInfo& info, size_t i, const char* name, bool nullable = false);
Borrowed<uint8_t> Uint8Arg(const Napi::CallbackInfo& info, size_t i, const char* name, bool nullable = false);
Borrowed<int32_t> Int32Arg(const Napi::CallbackInfo& info, size_t i, const char* name);
Borrowed<uint16_t> Uint16Arg(const Napi::CallbackInfo& info, size_t i, const char* name);
Borrowed<uint32_t> Uint32Arg(const Napi::CallbackInfo& info, size_t i, const char* name);
Borrowed<double> Float64Arg(const Napi::CallbackInfo& info, size_t i, const char* name);

Borrowed<float> Float32Of(Napi::Env env, Napi::Value v, const std::string& name, bool nullable = false);
Borrowed<uint8_t> Uint8Of(Napi::Env env, Napi::Value v, const std::string& name, bool nullable = false);

// How a value reads in an error message ("the number 3", "a Float32Array").
std::string Describe(Napi::Value v);

// Integer in [min, max] (dimensions, counts).
int64_t IntegerArg(const Napi::CallbackInfo& info, size_t i, const char* name, int64_t min, int64_t max);
// Finite number.
double NumberArg(const Napi::CallbackInfo& info, size_t i, const char* name);
bool BoolArg(const Napi::CallbackInfo& info, size_t i, const char* name);

// Largest dimension a kernel accepts (CSR indices are int32).
constexpr int64_t kMaxDim = 2147483647;

// a * b, throwing a range error when it exceeds kMaxElements.
int64_t CheckedProduct(Napi::Env env, int64_t a, int64_t b, const std::string& what);
constexpr int64_t kMaxElements = int64_t(1) << 40;

// Largest unrolled (im2col) sample a convolution may need, C*KH*KW*OH*OW:
// the scratch buffer is sized from the shape, not from the inputs.
constexpr int64_t kMaxUnrolled = int64_t(1) << 26;
// The longest Float32Array V8 creates (Node 20).
constexpr int64_t kMaxTypedArrayLength = int64_t(1) << 32;

// Throws unless the kernels accept this convolution: padding below the
// kernel, a kernel that fits the padded input, and an unrolled sample of at
// most kMaxUnrolled values. `prefix` qualifies the names ("steps[2].").
void CheckConvShape(Napi::Env env, const pk::ConvShape& s, const std::string& prefix);

void ExpectLength(Napi::Env env, const std::string& name, int64_t actual, int64_t expected);

// Output buffers must not share memory with inputs: results would be wrong.
template <typename A, typename B>
void ExpectDisjoint(Napi::Env env, const std::string& out_name, const Borrowed<A>& out,
                    const std::string& in_name, const Borrowed<B>& in);

}  // namespace pkb

#include "args-inl.h"
