// Promise-returning twins: the work runs on the libuv pool in an AsyncWorker
// whose Execute() touches no N-API; the JS objects whose memory it borrows
// stay referenced until the promise settles.
#pragma once

#include <napi.h>

#include <functional>
#include <new>
#include <string>
#include <vector>

namespace pkb {

class PromiseWorker : public Napi::AsyncWorker {
 public:
  using Work = std::function<void()>;
  using Done = std::function<Napi::Value(Napi::Env)>;

  PromiseWorker(Napi::Env env, std::vector<Napi::Value> borrowed, Work work, Done done)
      : Napi::AsyncWorker(env, "prunekit"), deferred_(Napi::Promise::Deferred::New(env)),
        work_(std::move(work)), done_(std::move(done)) {
    for (const Napi::Value& v : borrowed)
      if (!v.IsEmpty() && v.IsObject()) refs_.push_back(Napi::Persistent(v.As<Napi::Object>()));
  }

  Napi::Promise Promise() { return deferred_.Promise(); }

  // Queues the work and returns its promise.
  static Napi::Value Start(Napi::Env env, std::vector<Napi::Value> borrowed, Work work,
                           Done done = nullptr) {
    auto* worker = new PromiseWorker(env, std::move(borrowed), std::move(work), std::move(done));
    Napi::Promise promise = worker->Promise();
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
  void OnOK() override {
    Napi::Env env = Env();
    deferred_.Resolve(done_ ? done_(env) : env.Undefined());
  }
  void OnError(const Napi::Error& error) override { deferred_.Reject(error.Value()); }

 private:
  Napi::Promise::Deferred deferred_;
  Work work_;
  Done done_;
  std::vector<Napi::ObjectReference> refs_;
};

}  // namespace pkb
