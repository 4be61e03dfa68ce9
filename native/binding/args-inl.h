#pragma once

#include "errors.h"

namespace pkb {

void ThrowOverlap(Napi::Env env, const std::string& out_name, const std::string& in_name);

template <typename A, typename B>
void ExpectDisjoint(Napi::Env env, const std::string& out_name, const Borrowed<A>& out,
                    const std::string& in_name, const Borrowed<B>& in) {
  if (!out.data || !in.data || out.length == 0 || in.length == 0) return;
  auto o0 = reinterpret_cast<uintptr_t>(out.data), o1 = o0 + uintptr_t(out.length) * sizeof(A);
  auto i0 = reinterpret_cast<uintptr_t>(in.data), i1 = i0 + uintptr_t(in.length) * sizeof(B);
  if (o0 < i1 && i0 < o1) ThrowOverlap(env, out_name, in_name);
}

}  // namespace pkb
