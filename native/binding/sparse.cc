// SparseMatrix (an opaque CSR handle whose structure JavaScript cannot
// corrupt), its factories, and the sparse products with async twins:
//   spmmXWt(Y, X, bias, W, batch)   Y  (B, rows) = X (B, cols) . W^T + bias
//   spmmXW(Y, X, W, batch)          Y  (B, cols) = X (B, rows) . W
//   sddmm(dW, dY, X, W, batch)      dW (rows, cols) = dY^T . X on W's pattern
#include "spmm.h"

#include <memory>
#include <string>
#include <vector>

#include "args.h"
#include "async.h"
#include "binding.h"

namespace pkb {
namespace {

// Identifies SparseMatrix objects cheaply (no prototype walk) and reliably
// (a look-alike JavaScript object cannot carry the tag).
constexpr napi_type_tag kSparseMatrixTag = {0x70726e6b69747370ULL, 0x6172736d61747278ULL};

class SparseMatrix : public Napi::ObjectWrap<SparseMatrix> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "SparseMatrix",
                       {InstanceAccessor<&SparseMatrix::Rows>("rows"), InstanceAccessor<&SparseMatrix::Cols>("cols"),
                        InstanceAccessor<&SparseMatrix::Nnz>("nnz"),
                        InstanceMethod<&SparseMatrix::ToArrays>("toArrays"),
                        InstanceMethod<&SparseMatrix::UpdateValues>("updateValues")});
  }

  // Only native code constructs these: it passes the CSR as an External.
  explicit SparseMatrix(const Napi::CallbackInfo& info) : Napi::ObjectWrap<SparseMatrix>(info) {
    if (info.Length() != 1 || !info[0].IsExternal())
      Throw(info.Env(), ErrorKind::argument_type,
            "SparseMatrix cannot be constructed directly; use SparseMatrix.fromDense or SparseMatrix.fromCsr");
    pk::Csr* csr = info[0].As<Napi::External<pk::Csr>>().Data();
    csr_ = std::move(*csr);
    napi_type_tag_object(info.Env(), info.This(), &kSparseMatrixTag);
  }

  static Napi::Object Wrap(Napi::Env env, pk::Csr csr) {
    return Data(env)->sparse_matrix_ctor.New({Napi::External<pk::Csr>::New(env, &csr)});
  }

  static SparseMatrix* From(Napi::Env env, Napi::Value v, const char* name) {
    bool tagged = false;
    // Checked for an object first: the tag check coerces anything else to an
    // object, which throws V8's own TypeError for null and undefined.
    if (!v.IsObject() || napi_check_object_type_tag(env, v, &kSparseMatrixTag, &tagged) != napi_ok || !tagged)
      Throw(env, ErrorKind::argument_type, Expected("a SparseMatrix", name, v.IsObject() ? "another object" : "a non-object"));
    return Unwrap(v.As<Napi::Object>());
  }

  const pk::Csr& csr() const { return csr_; }

 private:
  Napi::Value Rows(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(csr_.rows)); }
  Napi::Value Cols(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(csr_.cols)); }
  Napi::Value Nnz(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), double(csr_.values.size())); }

  // Copies, so callers cannot mutate the structure through the views.
  Napi::Value ToArrays(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto row_ptr = Napi::Int32Array::New(env, csr_.row_ptr.size());
    auto col_idx = Napi::Int32Array::New(env, csr_.col_idx.size());
    auto values = Napi::Float32Array::New(env, csr_.values.size());
    std::copy(csr_.row_ptr.begin(), csr_.row_ptr.end(), row_ptr.Data());
    std::copy(csr_.col_idx.begin(), csr_.col_idx.end(), col_idx.Data());
    std::copy(csr_.values.begin(), csr_.values.end(), values.Data());
    Napi::Object out = Napi::Object::New(env);
    out.Set("rowPtr", row_ptr);
    out.Set("colIdx", col_idx);
    out.Set("values", values);
    return out;
  }

  // Re-reads the stored entries' values from a dense (rows, cols) matrix.
  Napi::Value UpdateValues(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    auto w = Float32Arg(info, 0, "weights");
    ExpectLength(env, "weights", w.length, csr_.rows * csr_.cols);
    csr_.refresh_values(w.data);
    return env.Undefined();
  }

  pk::Csr csr_;
};

constexpr int64_t kMaxEmptyRows = int64_t(1) << 24;

Napi::Value CsrFromDense(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto w = Float32Arg(info, 0, "weights");
  auto mask = Uint8Arg(info, 1, "mask", true);
  int64_t rows = IntegerArg(info, 2, "rows", 0, kMaxDim);
  int64_t cols = IntegerArg(info, 3, "cols", 0, kMaxDim);
  int64_t n = CheckedProduct(env, rows, cols, "weights (rows x cols)");
  ExpectLength(env, "weights", w.length, n);
  if (mask.present()) ExpectLength(env, "mask", mask.length, n);
  if (n > kMaxDim) Throw(env, ErrorKind::argument_range, Expected("at most 2^31 - 1 entries", "weights", std::to_string(n)));
  // Row pointers are allocated per row: with no columns nothing else bounds them.
  if (cols == 0 && rows > kMaxEmptyRows)
    Throw(env, ErrorKind::argument_range, Expected("at most 2^24 rows in a matrix with no columns", "rows", std::to_string(rows)));
  return SparseMatrix::Wrap(env, pk::csr_from_dense(w.data, mask.data, rows, cols));
}

Napi::Value CsrFromArrays(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto row_ptr = Int32Arg(info, 0, "rowPtr");
  auto col_idx = Int32Arg(info, 1, "colIdx");
  auto values = Float32Arg(info, 2, "values");
  int64_t rows = IntegerArg(info, 3, "rows", 0, kMaxDim);
  int64_t cols = IntegerArg(info, 4, "cols", 0, kMaxDim);
  ExpectLength(env, "rowPtr", row_ptr.length, rows + 1);
  ExpectLength(env, "values", values.length, col_idx.length);
  // Copy first, then validate the copy: the arrays may live in a
  // SharedArrayBuffer that another thread changes meanwhile.
  pk::Csr csr;
  csr.rows = rows;
  csr.cols = cols;
  csr.row_ptr.assign(row_ptr.data, row_ptr.data + row_ptr.length);
  csr.col_idx.assign(col_idx.data, col_idx.data + col_idx.length);
  csr.values.assign(values.data, values.data + values.length);
  const int32_t* rp = csr.row_ptr.data();
  const int32_t* ci = csr.col_idx.data();
  const int64_t nnz = int64_t(csr.col_idx.size());
  if (rp[0] != 0) Throw(env, ErrorKind::argument_range, Expected("0", "rowPtr[0]", std::to_string(rp[0])));
  if (rp[rows] != nnz)
    Throw(env, ErrorKind::shape, Expected("colIdx.length (" + std::to_string(nnz) + ")",
                                          "rowPtr[" + std::to_string(rows) + "]", std::to_string(rp[rows])));
  // Row pointers first (monotone, hence within [0, nnz]), so that the column
  // check below never reads past colIdx.
  for (int64_t r = 0; r < rows; ++r)
    if (rp[r + 1] < rp[r])
      Throw(env, ErrorKind::argument_range,
            Expected("a non-decreasing sequence", "rowPtr",
                     "rowPtr[" + std::to_string(r + 1) + "] < rowPtr[" + std::to_string(r) + "]"));
  for (int64_t r = 0; r < rows; ++r) {
    int32_t lo = rp[r], hi = rp[r + 1];
    for (int32_t k = lo; k < hi; ++k) {
      int32_t c = ci[k];
      if (c < 0 || c >= cols || (k > lo && c <= ci[k - 1]))
        Throw(env, ErrorKind::argument_range,
              Expected("strictly increasing column indices in [0, " + std::to_string(cols) + ") within each row",
                       "colIdx[" + std::to_string(k) + "]", std::to_string(c)));
    }
  }
  csr.prepare();
  return SparseMatrix::Wrap(env, std::move(csr));
}

// --- products -------------------------------------------------------------------

struct SparseCall {
  float* out;
  const float* a;
  const float* b;  // bias (xwt) or X (sddmm); may be null
  pk::CsrView w;
  int64_t batch;
  std::vector<Napi::Value> borrowed;  // out, a, b, W
  int64_t out_len = 0, a_len = 0, b_len = 0;
};

SparseCall PrepareXWt(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto y = Float32Arg(info, 0, "Y");
  auto x = Float32Arg(info, 1, "X");
  auto bias = Float32Arg(info, 2, "bias", true);
  SparseMatrix* w = SparseMatrix::From(env, info[3], "W");
  int64_t batch = IntegerArg(info, 4, "batch", 0, kMaxDim);
  const pk::Csr& csr = w->csr();
  ExpectLength(env, "X", x.length, CheckedProduct(env, batch, csr.cols, "X (batch x cols)"));
  ExpectLength(env, "Y", y.length, CheckedProduct(env, batch, csr.rows, "Y (batch x rows)"));
  if (bias.present()) ExpectLength(env, "bias", bias.length, csr.rows);
  ExpectDisjoint(env, "Y", y, "X", x);
  ExpectDisjoint(env, "Y", y, "bias", bias);
  return {y.data, x.data, bias.data, csr.view(), batch, {y.value, x.value, bias.value, info[3]}, y.length, x.length,
          bias.present() ? bias.length : 0};
}

SparseCall PrepareXW(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto y = Float32Arg(info, 0, "Y");
  auto x = Float32Arg(info, 1, "X");
  SparseMatrix* w = SparseMatrix::From(env, info[2], "W");
  int64_t batch = IntegerArg(info, 3, "batch", 0, kMaxDim);
  const pk::Csr& csr = w->csr();
  ExpectLength(env, "X", x.length, CheckedProduct(env, batch, csr.rows, "X (batch x rows)"));
  ExpectLength(env, "Y", y.length, CheckedProduct(env, batch, csr.cols, "Y (batch x cols)"));
  ExpectDisjoint(env, "Y", y, "X", x);
  return {y.data, x.data, nullptr, csr.view(), batch, {y.value, x.value, Napi::Value(), info[2]}, y.length, x.length, 0};
}

SparseCall PrepareSddmm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto dw = Float32Arg(info, 0, "dW");
  auto dy = Float32Arg(info, 1, "dY");
  auto x = Float32Arg(info, 2, "X");
  SparseMatrix* w = SparseMatrix::From(env, info[3], "W");
  int64_t batch = IntegerArg(info, 4, "batch", 0, kMaxDim);
  const pk::Csr& csr = w->csr();
  ExpectLength(env, "dW", dw.length, CheckedProduct(env, csr.rows, csr.cols, "dW (rows x cols)"));
  ExpectLength(env, "dY", dy.length, CheckedProduct(env, batch, csr.rows, "dY (batch x rows)"));
  ExpectLength(env, "X", x.length, CheckedProduct(env, batch, csr.cols, "X (batch x cols)"));
  ExpectDisjoint(env, "dW", dw, "dY", dy);
  ExpectDisjoint(env, "dW", dw, "X", x);
  return {dw.data, dy.data, x.data, csr.view(), batch, {dw.value, dy.value, x.value, info[3]}, dw.length, dy.length, x.length};
}

void RunXWt(const SparseCall& c) { pk::f32_spmm_xwt(c.out, c.a, c.b, c.w, c.batch); }
void RunXW(const SparseCall& c) { pk::f32_spmm_xw(c.out, c.a, c.w, c.batch); }
void RunSddmm(const SparseCall& c) { pk::f32_sddmm(c.out, c.a, c.b, c.w, c.batch); }

template <SparseCall (*Prepare)(const Napi::CallbackInfo&), void (*Run)(const SparseCall&)>
Napi::Value Sync(const Napi::CallbackInfo& info) {
  Run(Prepare(info));
  return info.Env().Undefined();
}

// Runs on copies of the dense operands (see async.h); the SparseMatrix's own
// storage is native and stays alive through the reference to its object.
template <SparseCall (*Prepare)(const Napi::CallbackInfo&), void (*Run)(const SparseCall&)>
Napi::Value Async(const Napi::CallbackInfo& info) {
  SparseCall call = Prepare(info);
  struct State {
    std::vector<float> out, a, b;
    SparseCall call;
  };
  auto st = std::make_shared<State>();
  st->out.assign(call.out, call.out + call.out_len);
  st->a.assign(call.a, call.a + call.a_len);
  if (call.b) st->b.assign(call.b, call.b + call.b_len);
  JsRef out = Keep(call.borrowed[0]);
  Napi::Value matrix = call.borrowed[3];
  st->call = call;
  st->call.borrowed.clear();
  st->call.out = st->out.data();
  st->call.a = st->a.data();
  st->call.b = call.b ? st->b.data() : nullptr;
  return PromiseWorker::Start(
      info.Env(), {matrix}, [st] { Run(st->call); },
      [st, out](Napi::Env env) -> Napi::Value {
        if (!WriteBack(env, out, st->out))
          return MakeError(env, ErrorKind::shape, "the output was detached or resized while the sparse product ran; nothing written").Value();
        return env.Undefined();
      });
}

}  // namespace

void InitSparse(Napi::Env env, Napi::Object exports) {
  Napi::Function ctor = SparseMatrix::Define(env);
  Data(env)->sparse_matrix_ctor = Napi::Persistent(ctor);
  exports.Set("SparseMatrix", ctor);
  exports.Set("csrFromDense", Napi::Function::New(env, CsrFromDense, "csrFromDense"));
  exports.Set("csrFromArrays", Napi::Function::New(env, CsrFromArrays, "csrFromArrays"));
  exports.Set("spmmXWt", Napi::Function::New(env, Sync<PrepareXWt, RunXWt>, "spmmXWt"));
  exports.Set("spmmXWtAsync", Napi::Function::New(env, Async<PrepareXWt, RunXWt>, "spmmXWtAsync"));
  exports.Set("spmmXW", Napi::Function::New(env, Sync<PrepareXW, RunXW>, "spmmXW"));
  exports.Set("spmmXWAsync", Napi::Function::New(env, Async<PrepareXW, RunXW>, "spmmXWAsync"));
  exports.Set("sddmm", Napi::Function::New(env, Sync<PrepareSddmm, RunSddmm>, "sddmm"));
  exports.Set("sddmmAsync", Napi::Function::New(env, Async<PrepareSddmm, RunSddmm>, "sddmmAsync"));
}

}  // namespace pkb
