// One Init per wrapped concern; addon.cc calls them all.
#pragma once

#include <napi.h>

namespace pkb {

void InitInfo(Napi::Env env, Napi::Object exports);
void InitGemm(Napi::Env env, Napi::Object exports);
void InitSparse(Napi::Env env, Napi::Object exports);
void InitMask(Napi::Env env, Napi::Object exports);
void InitSelect(Napi::Env env, Napi::Object exports);
void InitElementwise(Napi::Env env, Napi::Object exports);
void InitConv(Napi::Env env, Napi::Object exports);
void InitCodec(Napi::Env env, Napi::Object exports);
void InitPlan(Napi::Env env, Napi::Object exports);
void InitRegularize(Napi::Env env, Napi::Object exports);

}  // namespace pkb
