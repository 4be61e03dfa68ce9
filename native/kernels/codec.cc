#include "codec.h"

#include <algorithm>
#include <vector>

namespace pk {

i64 huffman_encode(const std::uint16_t* symbols, i64 n, const std::uint16_t* codes, const std::uint8_t* lengths,
                   i64 alphabet, std::uint8_t* out, i64 cap) {
  std::uint64_t acc = 0;  // pending bits, right-aligned
  int pending = 0;
  i64 pos = 0, bits = 0;
  for (i64 i = 0; i < n; i++) {
    const std::uint16_t s = symbols[i];
    if (s >= alphabet) return -1;
    const int len = lengths[s];
    if (len == 0 || len > kHuffmanMaxBits) return -1;
    acc = (acc << len) | (codes[s] & ((1u << len) - 1));
    pending += len;
    bits += len;
    while (pending >= 8) {
      if (pos >= cap) return -2;
      pending -= 8;
      out[pos++] = std::uint8_t(acc >> pending);
    }
  }
  if (pending > 0) {
    if (pos >= cap) return -2;
    out[pos++] = std::uint8_t(acc << (8 - pending));
  }
  return bits;
}

int huffman_decode(const std::uint8_t* in, i64 nbytes, const std::uint32_t* table, int table_bits,
                   std::uint16_t* out, i64 count, i64* bits_used) {
  std::uint64_t window = 0;  // next bits, MSB-aligned
  int have = 0;              // valid bits in window (past the input they are zero padding)
  i64 pos = 0, used = 0;
  const i64 available = nbytes * 8;
  const int shift = 64 - table_bits;
  for (i64 i = 0; i < count; i++) {
    if (have < table_bits) {
      while (have <= 56) {
        const std::uint64_t byte = pos < nbytes ? in[pos] : 0;
        window |= byte << (56 - have);
        have += 8;
        pos++;
      }
    }
    const std::uint32_t entry = table[window >> shift];
    const int len = int(entry & 15u);
    if (len == 0) return kHuffmanInvalidCode;
    window <<= len;
    have -= len;
    used += len;
    if (used > available) return kHuffmanTruncated;
    out[i] = std::uint16_t(entry >> 4);
  }
  *bits_used = used;
  return kHuffmanOk;
}

void assign_nearest(const float* x, const std::uint8_t* mask, i64 n, const float* centroids, i64 k,
                    std::int32_t* out) {
  // Value v goes to the lower centroid when v <= the midpoint: the midpoints of
  // two float32 values are exact in double.
  std::vector<double> mid(std::size_t(std::max<i64>(k - 1, 0)));
  for (i64 j = 0; j + 1 < k; j++) mid[j] = (double(centroids[j]) + double(centroids[j + 1])) * 0.5;
  for (i64 i = 0; i < n; i++) {
    if (mask && !mask[i]) {
      out[i] = -1;
      continue;
    }
    // Count of midpoints strictly below x[i].
    out[i] = std::int32_t(std::lower_bound(mid.begin(), mid.end(), double(x[i])) - mid.begin());
  }
}

bool codebook_gather(const float* codebook, i64 k, const std::int32_t* idx, i64 n, float* out) {
  for (i64 i = 0; i < n; i++) {
    const std::int32_t c = idx[i];
    if (c >= k) return false;
    out[i] = c < 0 ? 0.0f : codebook[c];
  }
  return true;
}

bool codebook_scatter_add(const float* grad, const std::int32_t* idx, i64 n, i64 k, float* sums) {
  std::vector<double> acc(std::size_t(k), 0.0);
  for (i64 i = 0; i < n; i++) {
    const std::int32_t c = idx[i];
    if (c < 0) continue;
    if (c >= k) return false;
    acc[c] += grad[i];
  }
  for (i64 c = 0; c < k; c++) sums[c] = float(acc[c]);
  return true;
}

}  // namespace pk
