#include "errors.h"

namespace pkb {
AddonData* Data(Napi::Env env) {
  AddonData* data = env.GetInstanceData<AddonData>();
  if (!data) {
    data = new AddonData();
    env.SetInstanceData(data);
  }
  return data;
}

Napi::Value SetErrorClasses(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 1 || !info[0].IsObject())
    Throw(env, ErrorKind::argument_type, Expected("an object of error classes", "classes", "something else"));
  Napi::Object given = info[0].As<Napi::Object>();
  const char* names[] = {"PrunekitError", "ArgumentTypeError", "ArgumentRangeError", "ShapeError"};
  AddonData* classes = Data(env);
  for (size_t i = 0; i < 4; ++i) {
    Napi::Value ctor = given.Get(names[i]);
    if (!ctor.IsFunction())
      Throw(env, ErrorKind::argument_type, Expected("a class", std::string("classes.") + names[i], "something else"));
    classes->error_ctors[i] = Napi::Persistent(ctor.As<Napi::Function>());
  }
  return env.Undefined();
}

Napi::Error MakeError(Napi::Env env, ErrorKind kind, const std::string& message) {
  AddonData* classes = Data(env);
  Napi::FunctionReference& ctor = classes->error_ctors[size_t(kind)];
  if (!ctor.IsEmpty()) {
    // A registered class that throws, or builds something other than an
    // Error, yields the plain error below rather than a stray exception.
    try {
      Napi::Object error = ctor.New({Napi::String::New(env, message)});
      bool is_error = false;
      if (napi_is_error(env, error, &is_error) == napi_ok && is_error) return Napi::Error(env, error);
    } catch (const Napi::Error&) {
    }
  }
  switch (kind) {
    case ErrorKind::argument_type: return Napi::TypeError::New(env, message);
    case ErrorKind::argument_range: return Napi::RangeError::New(env, message);
    default: return Napi::Error::New(env, message);
  }
}

void Throw(Napi::Env env, ErrorKind kind, const std::string& message) { throw MakeError(env, kind, message); }

std::string Expected(const std::string& expected, const std::string& name, const std::string& actual) {
  return "Expected " + expected + " for " + name + " but received " + actual;
}

}  // namespace pkb
