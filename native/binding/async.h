// Promise-returning twins: the work runs on the libuv pool in an AsyncWorker
// whose Execute() touches no N-API.
//
// Async work runs on native copies of its inputs and writes outputs back on
// the main thread when it completes: holding a reference keeps a typed array
// alive but not its memory, which JavaScript can transfer, detach or shrink
// (resizable buffers) while the work runs. An output that changed length by
// then rejects the promise instead of being written.
#pragma once

#include <napi.h>

#include <functional>
#include <memory>
#include <new>
#include <string>
#include <algorithm>
#include <vector>

#include "errors.h"

namespace pkb {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<void()>;
  using Done = std::function<Napi::Value(Napi::Env)>;

  PromiseWorker(Napi::Env env, std::vector<Napi::Value> borrowed, Work work, Done done)
      : Napi::AsyncWorker(env, "prunekit"), work_(std::move(work)), done_(std::move(done)) {
    NAPI_THROW_IF_FAILED_VOID(env, napi_create_promise(env, &deferred_, &promise_));
    for (const Napi::Value& v : borrowed)
      if (!v.IsEmpty() && v.IsObject()) refs_.push_back(Napi::Persistent(v.As<Napi::Object>()));
  }

  Napi::Value Promise() { return Napi::Value(Env(), promise_); }

  // Queues the work and returns its promise.
  static Napi::Value Start(Napi::Env env, std::vector<Napi::Value> borrowed, Work work,
                           Done done = nullptr) {
    auto* worker = new PromiseWorker(env, std::move(borrowed), std::move(work), std::move(done));
    Napi::Value promise = worker->Promise();
    worker->Queue();
    return promise;
  }

 protected:
  void Execute() override {
    try {
      work_();
    } catch (const std::bad_alloc&) {
      SetError("out of memory");
    } catch (const std::exception& e) {
      SetError(e.what());
    }
  }
  // Every path settles the promise: a JavaScript exception while the result
  // is built (say, out of memory for the output array) rejects it. Nothing
  // may throw out of here: while a worker thread or the process shuts down,
  // N-API refuses to run JavaScript, and an exception escaping OnOK would
  // reach std::terminate and abort the whole process. The promise, which no
  // one can observe any more, is then dropped.
  void OnOK() override {
    Napi::Env env = Env();
    try {
      Napi::Value result = done_ ? done_(env) : env.Undefined();
      bool is_error = false;
      napi_is_error(env, result, &is_error);
      Settle(result, !is_error);
    } catch (const Napi::Error& e) {
      Settle(e.Value(), false);
    } catch (const std::bad_alloc&) {
      RejectWith("out of memory");
    } catch (...) {
      RejectWith("the result could not be built");
    }
  }
  // A failure inside Execute() (SetError) rejects with the library's base error.
  void OnError(const Napi::Error& error) override {
    try {
      RejectWith(error.Message());
    } catch (...) {
      // shutting down: see OnOK
    }
  }

 private:
  // Through the C API, which reports a refusal as a status instead of throwing.
  void Settle(napi_value value, bool resolve) {
    if (settled_ || value == nullptr) return;
    settled_ = true;
    (void)(resolve ? napi_resolve_deferred(Env(), deferred_, value) : napi_reject_deferred(Env(), deferred_, value));
  }
  void RejectWith(const std::string& message) {
    try {
      Settle(MakeError(Env(), ErrorKind::base, message).Value(), false);
    } catch (...) {
      // shutting down: see OnOK
    }
  }

  napi_deferred deferred_ = nullptr;
  napi_value promise_ = nullptr;
  bool settled_ = false;
  Work work_;
  Done done_;
  std::vector<Napi::ObjectReference> refs_;
};

// A typed array to write a native result back into, on the main thread.
using JsRef = std::shared_ptr<Napi::ObjectReference>;

inline JsRef Keep(Napi::Value v) {
  return std::make_shared<Napi::ObjectReference>(Napi::Persistent(v.As<Napi::Object>()));
}

// Copies src into the typed array ref points to when it still has the same
// length; returns false (nothing written) otherwise.
template <typename T>
bool WriteBack(Napi::Env env, const JsRef& ref, const std::vector<T>& src) {
  napi_typedarray_type type;
  size_t length = 0;
  void* data = nullptr;
  if (napi_get_typedarray_info(env, ref->Value(), &type, &length, &data, nullptr, nullptr) != napi_ok) return false;
  if (length != src.size() || (length > 0 && data == nullptr)) return false;
  std::copy(src.begin(), src.end(), static_cast<T*>(data));
  return true;
}

}  // namespace pkb
