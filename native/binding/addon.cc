// Module init: exports the binding's functions (see lib/native.ts for types).
#include <napi.h>

#include "binding.h"
#include "errors.h"

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("setErrorClasses", Napi::Function::New(env, pkb::SetErrorClasses, "setErrorClasses"));
  pkb::InitInfo(env, exports);
  pkb::InitGemm(env, exports);
  pkb::InitSparse(env, exports);
  pkb::InitMask(env, exports);
  pkb::InitSelect(env, exports);
  pkb::InitElementwise(env, exports);
  pkb::InitConv(env, exports);
  pkb::InitCodec(env, exports);
  pkb::InitPlan(env, exports);
  pkb::InitRegularize(env, exports);
  return exports;
}

NODE_API_MODULE(prunekit, Init)
