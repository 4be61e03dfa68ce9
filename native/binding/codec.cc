// Deep Compression codecs (sync: model sections are small and decode at
// hundreds of MB/s):
//   huffmanEncode(symbols u16, codes u16, lengths u8, out u8) -> bits written
//   huffmanDecode(bytes u8, table u32, tableBits, out u16) -> bits used, or -1 (truncated) / -2 (invalid code)
//   assignNearest(x f32, mask u8|null, centroids f32 (sorted), out i32)
//   codebookGather(codebook f32, idx i32, out f32)
//   codebookScatterAdd(grad f32, idx i32, sums f32)
#include "codec.h"

#include <string>

#include "args.h"
#include "binding.h"

namespace pkb {
namespace {

Napi::Value HuffmanEncode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto symbols = Uint16Arg(info, 0, "symbols");
  auto codes = Uint16Arg(info, 1, "codes");
  auto lengths = Uint8Arg(info, 2, "lengths");
  auto out = Uint8Arg(info, 3, "out");
  ExpectLength(env, "codes", codes.length, lengths.length);
  const pk::i64 bits = pk::huffman_encode(symbols.data, symbols.length, codes.data, lengths.data, lengths.length,
                                          out.data, out.length);
  if (bits == -1)
    Throw(env, ErrorKind::argument_range,
          Expected("symbols that have a code (alphabet " + std::to_string(lengths.length) + ")", "symbols",
                   "a symbol without one"));
  if (bits == -2)
    Throw(env, ErrorKind::shape, Expected("an output buffer large enough for the encoded stream", "out",
                                          "length " + std::to_string(out.length)));
  return Napi::Number::New(env, double(bits));
}

Napi::Value HuffmanDecode(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto bytes = Uint8Arg(info, 0, "bytes");
  auto table = Uint32Arg(info, 1, "table");
  const int table_bits = int(IntegerArg(info, 2, "tableBits", 1, pk::kHuffmanMaxBits));
  auto out = Uint16Arg(info, 3, "out");
  ExpectLength(env, "table", table.length, int64_t(1) << table_bits);
  pk::i64 used = 0;
  const int status = pk::huffman_decode(bytes.data, bytes.length, table.data, table_bits, out.data, out.length, &used);
  if (status == pk::kHuffmanTruncated) return Napi::Number::New(env, -1);
  if (status == pk::kHuffmanInvalidCode) return Napi::Number::New(env, -2);
  return Napi::Number::New(env, double(used));
}

Napi::Value AssignNearest(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto x = Float32Arg(info, 0, "values");
  auto mask = Uint8Arg(info, 1, "mask", true);
  auto centroids = Float32Arg(info, 2, "centroids");
  auto out = Int32Arg(info, 3, "out");
  if (mask.present()) ExpectLength(env, "mask", mask.length, x.length);
  ExpectLength(env, "out", out.length, x.length);
  if (centroids.length == 0)
    Throw(env, ErrorKind::argument_range, Expected("at least one centroid", "centroids", "an empty array"));
  for (int64_t j = 1; j < centroids.length; j++)
    if (!(centroids.data[j - 1] <= centroids.data[j]))
      Throw(env, ErrorKind::argument_range,
            Expected("centroids sorted ascending", "centroids", "entry " + std::to_string(j) + " out of order"));
  pk::assign_nearest(x.data, mask.data, x.length, centroids.data, centroids.length, out.data);
  return env.Undefined();
}

void ThrowIndex(Napi::Env env, int64_t k) {
  Throw(env, ErrorKind::argument_range,
        Expected("indices below the codebook size " + std::to_string(k), "indices", "a larger index"));
}

Napi::Value CodebookGather(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto codebook = Float32Arg(info, 0, "codebook");
  auto idx = Int32Arg(info, 1, "indices");
  auto out = Float32Arg(info, 2, "out");
  ExpectLength(env, "out", out.length, idx.length);
  if (!pk::codebook_gather(codebook.data, codebook.length, idx.data, idx.length, out.data)) ThrowIndex(env, codebook.length);
  return env.Undefined();
}

Napi::Value CodebookScatterAdd(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  auto grad = Float32Arg(info, 0, "grad");
  auto idx = Int32Arg(info, 1, "indices");
  auto sums = Float32Arg(info, 2, "sums");
  ExpectLength(env, "indices", idx.length, grad.length);
  if (!pk::codebook_scatter_add(grad.data, idx.data, idx.length, sums.length, sums.data)) ThrowIndex(env, sums.length);
  return env.Undefined();
}

}  // namespace

void InitCodec(Napi::Env env, Napi::Object exports) {
  exports.Set("huffmanEncode", Napi::Function::New(env, HuffmanEncode, "huffmanEncode"));
  exports.Set("huffmanDecode", Napi::Function::New(env, HuffmanDecode, "huffmanDecode"));
  exports.Set("assignNearest", Napi::Function::New(env, AssignNearest, "assignNearest"));
  exports.Set("codebookGather", Napi::Function::New(env, CodebookGather, "codebookGather"));
  exports.Set("codebookScatterAdd", Napi::Function::New(env, CodebookScatterAdd, "codebookScatterAdd"));
}

}  // namespace pkb
