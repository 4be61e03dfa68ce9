// Typed errors: the classes are defined in TypeScript (lib/errors.ts) and
// registered once by lib/native.ts, so errors thrown here pass `instanceof`.
#pragma once

#include <napi.h>

#include <array>
#include <string>

namespace pkb {

enum class ErrorKind { base, argument_type, argument_range, shape };

// Per-environment state (one per Node.js worker thread that loads the addon).
struct AddonData {
  std::array<Napi::FunctionReference, 4> error_ctors;
  Napi::FunctionReference sparse_matrix_ctor;
  Napi::FunctionReference plan_ctor;
};
AddonData* Data(Napi::Env env);

// setErrorClasses({ PrunekitError, ArgumentTypeError, ArgumentRangeError, ShapeError })
Napi::Value SetErrorClasses(const Napi::CallbackInfo& info);

// Builds an error of the registered class (a plain Error/TypeError/RangeError
// before registration).
Napi::Error MakeError(Napi::Env env, ErrorKind kind, const std::string& message);
[[noreturn]] void Throw(Napi::Env env, ErrorKind kind, const std::string& message);

// "Expected {expected} for {name} but received {actual}" (see lib/validate.ts).
std::string Expected(const std::string& expected, const std::string& name, const std::string& actual);

}  // namespace pkb
