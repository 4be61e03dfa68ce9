// createPlan(steps) -> InferencePlan { inputSize, outputSize, run(x, batch, out), runAsync(x, batch) }
//
// steps: [{ op: 'dense', weights, bias, mask, rows, cols, sparseMaxBatch, codebook? }
//         | { op: 'activation', kind }
//         | { op: 'conv2d', weights, bias, dims: [C, H, W, O, KH, KW, stride, padding] }
//         | { op: 'maxpool2d', dims: [C, H, W, size, stride] }]
// The plan copies every array: later changes in JavaScript do not reach it,
// and async runs need no references but the plan's own. codebook: true keeps
// a one-byte code per stored weight into the layer's distinct values instead
// of float values (a weight-shared layer; every batch must run sparse).
#include "plan.h"

#include <memory>
#include <new>
#include <string>

#include "args.h"
#include "async.h"
#include "binding.h"

namespace pkb {
namespace {

int64_t IntOf(Napi::Env env, Napi::Value v, const std::string& name, int64_t min, int64_t max) {
  double d;
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= double(min) && d <= double(max)) || d != double(int64_t(d)))
    Throw(env, ErrorKind::argument_range,
          Expected("an integer in [" + std::to_string(min) + ", " + std::to_string(max) + "]", name, "another value"));
  return int64_t(d);
}

std::vector<int64_t> DimsOf(Napi::Env env, Napi::Object step, const std::string& name, size_t count) {
  Napi::Value v = step.Get("dims");
  if (!v.IsArray() || v.As<Napi::Array>().Length() != count)
    Throw(env, ErrorKind::argument_type, Expected("an array of " + std::to_string(count) + " integers", name + ".dims", "another value"));
  std::vector<int64_t> dims;
  for (uint32_t i = 0; i < count; i++) dims.push_back(IntOf(env, v.As<Napi::Array>().Get(i), name + ".dims", 0, 1 << 16));
  return dims;
}

template <class Floats = std::vector<float>>
Floats CopyF32(Napi::Env env, Napi::Object step, const char* key, const std::string& name, int64_t length) {
  auto a = Float32Of(env, step.Get(key), name + "." + key);
  ExpectLength(env, name + "." + key, a.length, length);
  return Floats(a.data, a.data + a.length);
}

pk::PlanStep StepOf(Napi::Env env, Napi::Value value, const std::string& name) {
  if (!value.IsObject()) Throw(env, ErrorKind::argument_type, Expected("an object", name, "another value"));
  Napi::Object o = value.As<Napi::Object>();
  const std::string op = o.Get("op").IsString() ? o.Get("op").As<Napi::String>().Utf8Value() : "";
  pk::PlanStep s;
  if (op == "dense") {
    s.rows = IntOf(env, o.Get("rows"), name + ".rows", 1, kMaxDim);
    s.cols = IntOf(env, o.Get("cols"), name + ".cols", 1, kMaxDim);
    int64_t n = CheckedProduct(env, s.rows, s.cols, name + ".weights");
    if (n > kMaxDim) Throw(env, ErrorKind::argument_range, Expected("at most 2^31 - 1 weights", name, std::to_string(n)));
    s.bias = CopyF32(env, o, "bias", name, s.rows);
    s.in_size = s.cols;
    s.out_size = s.rows;
    s.kind = pk::PlanStep::Kind::dense;
    s.sparse_max_batch = IntOf(env, o.Get("sparseMaxBatch"), name + ".sparseMaxBatch", 0, kMaxDim);
    // Every property is read before any buffer is borrowed: a getter runs
    // JavaScript, which could detach a buffer already borrowed. The CSR and
    // the dense copy come from the one borrowed array.
    Napi::Value weights = o.Get("weights"), mask_value = o.Get("mask"), codebook = o.Get("codebook");
    if (!codebook.IsUndefined() && !codebook.IsBoolean())
      Throw(env, ErrorKind::argument_type, Expected("a boolean", name + ".codebook", "another value"));
    auto w = Float32Of(env, weights, name + ".weights");
    ExpectLength(env, name + ".weights", w.length, n);
    if (s.sparse_max_batch > 0) {
      auto mask = Uint8Of(env, mask_value, name + ".mask", true);
      if (mask.present()) ExpectLength(env, name + ".mask", mask.length, n);
      s.csr = pk::csr_from_dense(w.data, mask.data, s.rows, s.cols);
    }
    if (codebook.IsBoolean() && codebook.As<Napi::Boolean>().Value()) {
      if (s.sparse_max_batch != kMaxDim)
        Throw(env, ErrorKind::argument_range,
              Expected("sparseMaxBatch 2^31 - 1 (every batch sparse) with codebook execution", name, std::to_string(s.sparse_max_batch)));
      if (!s.csr.use_codebook())
        Throw(env, ErrorKind::argument_range,
              Expected("at most 256 distinct stored weight values for codebook execution", name + ".weights", "more"));
    }
    if (s.sparse_max_batch < kMaxDim) pk::set_dense_weights(s, w.data);
    s.csr.drop_backward_indices();  // a plan only runs forward
  } else if (op == "activation") {
    s.kind = pk::PlanStep::Kind::activation;
    s.activation = pk::Activation(IntOf(env, o.Get("kind"), name + ".kind", 0, 2));
  } else if (op == "conv2d") {
    auto d = DimsOf(env, o, name, 8);
    s.kind = pk::PlanStep::Kind::conv2d;
    s.conv = pk::ConvShape{1, d[0], d[1], d[2], d[3], d[4], d[5], d[6], d[7]};
    if (d[0] < 1 || d[1] < 1 || d[2] < 1 || d[3] < 1 || d[4] < 1 || d[5] < 1 || d[6] < 1)
      Throw(env, ErrorKind::argument_range, Expected("positive sizes, kernel and stride", name + ".dims", "a zero"));
    CheckConvShape(env, s.conv, name + ".");
    s.weights = CopyF32<pk::AlignedFloats>(env, o, "weights", name, CheckedProduct(env, d[3], d[0] * d[4] * d[5], name + ".weights"));
    s.bias = CopyF32(env, o, "bias", name, d[3]);
    s.in_size = CheckedProduct(env, d[0], d[1] * d[2], name + " input");
    s.out_size = CheckedProduct(env, d[3], s.conv.out_h() * s.conv.out_w(), name + " output");
  } else if (op == "maxpool2d") {
    auto d = DimsOf(env, o, name, 5);
    s.kind = pk::PlanStep::Kind::maxpool2d;
    s.pool = pk::PoolShape{1, d[0], d[1], d[2], d[3], d[4]};
    if (d[0] < 1 || d[3] < 1 || d[4] < 1 || d[1] < d[3] || d[2] < d[3])
      Throw(env, ErrorKind::shape, Expected("a window that fits the image", name + ".dims", "one that does not"));
    s.in_size = CheckedProduct(env, d[0], d[1] * d[2], name + " input");
    s.out_size = CheckedProduct(env, d[0], s.pool.out_h() * s.pool.out_w(), name + " output");
  } else {
    Throw(env, ErrorKind::argument_range, Expected("op 'dense', 'activation', 'conv2d' or 'maxpool2d'", name + ".op", "'" + op + "'"));
  }
  return s;
}

class InferencePlan : public Napi::ObjectWrap<InferencePlan> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "InferencePlan",
                       {InstanceAccessor<&InferencePlan::InputSize>("inputSize"),
                        InstanceAccessor<&InferencePlan::OutputSize>("outputSize"),
                        InstanceAccessor<&InferencePlan::ResidentBytes>("residentBytes"),
                        InstanceMethod<&InferencePlan::Run>("run"), InstanceMethod<&InferencePlan::RunAsync>("runAsync")});
  }

  explicit InferencePlan(const Napi::CallbackInfo& info) : Napi::ObjectWrap<InferencePlan>(info) {
    Napi::Env env = info.Env();
    if (info.Length() != 1 || !info[0].IsArray())
      Throw(env, ErrorKind::argument_type, Expected("an array of steps", "steps", "another value"));
    Napi::Array steps = info[0].As<Napi::Array>();
    auto plan = std::make_shared<pk::Plan>();
    for (uint32_t i = 0; i < steps.Length(); i++) {
      std::string name = "steps[" + std::to_string(i) + "]";
      pk::PlanStep s = StepOf(env, steps.Get(i), name);
      if (s.kind == pk::PlanStep::Kind::activation) s.in_size = s.out_size = plan->out_size();
      if (i > 0 && s.in_size != plan->out_size())
        Throw(env, ErrorKind::shape,
              Expected("an input of " + std::to_string(plan->out_size()) + " values (the previous step's output)", name,
                       std::to_string(s.in_size)));
      plan->steps.push_back(std::move(s));
    }
    if (plan->steps.empty() || plan->in_size() < 1)
      Throw(env, ErrorKind::argument_range, Expected("a first step with a known input size", "steps", "none"));
    plan_ = plan;
  }

 private:
  Napi::Value InputSize(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(plan_->in_size())); }
  Napi::Value OutputSize(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(plan_->out_size())); }
  Napi::Value ResidentBytes(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(plan_->resident_bytes())); }

  int64_t CheckInput(const Napi::CallbackInfo& info, const Borrowed<float>& x) {
    Napi::Env env = info.Env();
    int64_t batch = IntegerArg(info, 1, "batch", 0, kMaxDim);
    ExpectLength(env, "x", x.length, CheckedProduct(env, batch, plan_->in_size(), "x (batch x inputs)"));
    // Activations are held for one chunk of samples at a time (Plan::chunk),
    // so a large batch asks for no more scratch than a small one; the output
    // must still fit in one Float32Array (a widening step can ask for more).
    const int64_t outputs = CheckedProduct(env, batch, plan_->out_size(), "output (batch x outputs)");
    if (outputs > kMaxTypedArrayLength)
      Throw(env, ErrorKind::argument_range,
            Expected("at most 2^32 output values (batch x " + std::to_string(plan_->out_size()) + "), the largest Float32Array", "batch",
                     std::to_string(batch)));
    return batch;
  }

  Napi::Value Run(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto x = Float32Arg(info, 0, "x");
    int64_t batch = CheckInput(info, x);
    auto out = Float32Arg(info, 2, "out");
    ExpectLength(env, "out", out.length, batch * plan_->out_size());
    ExpectDisjoint(env, "out", out, "x", x);
    try {
      if (batch > 0) plan_->run(x.data, batch, out.data);
    } catch (const std::bad_alloc&) {
      Throw(env, ErrorKind::argument_range, OutOfMemory(batch));
    }
    return env.Undefined();
  }

  Napi::Value RunAsync(const Napi::CallbackInfo& info) {
    auto x = Float32Arg(info, 0, "x");
    int64_t batch = CheckInput(info, x);
    struct State {
      std::shared_ptr<const pk::Plan> plan;
      std::vector<float> x, out;
      int64_t batch;
    };
    auto st = std::make_shared<State>();
    try {
      st->x.assign(x.data, x.data + x.length);
      st->out.resize(size_t(batch * plan_->out_size()));
    } catch (const std::bad_alloc&) {
      Throw(info.Env(), ErrorKind::argument_range, OutOfMemory(batch));
    }
    st->plan = plan_;
    st->batch = batch;
    return PromiseWorker::Start(
        info.Env(), {}, [st] { if (st->batch > 0) st->plan->run(st->x.data(), st->batch, st->out.data()); },
        [st](Napi::Env env) -> Napi::Value {
          Napi::Float32Array out = Napi::Float32Array::New(env, st->out.size());
          std::copy(st->out.begin(), st->out.end(), out.Data());
          return out;
        });
  }

  static std::string OutOfMemory(int64_t batch) {
    return "Out of memory running the plan on a batch of " + std::to_string(batch) + "; run smaller batches";
  }

  std::shared_ptr<const pk::Plan> plan_;
};

Napi::Value CreatePlan(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return Data(env)->plan_ctor.New({info.Length() > 0 ? info[0] : env.Undefined()});
}

}  // namespace

void InitPlan(Napi::Env env, Napi::Object exports) {
  Data(env)->plan_ctor = Napi::Persistent(InferencePlan::Define(env));
  exports.Set("createPlan", Napi::Function::New(env, CreatePlan, "createPlan"));
}

}  // namespace pkb
