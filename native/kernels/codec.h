// Deep Compression codecs: canonical Huffman bit streams and the weight-sharing
// helpers (nearest-centroid assignment, codebook gather, per-cluster gradient
// sums). Code construction (lengths, canonical codes, decode tables) lives in
// lib/compress/huffman.ts; these are the per-symbol and per-weight loops.
//
// Bit order: MSB first. The first bit of a stream is bit 7 of byte 0; a code's
// first bit is its most significant one, so canonical codes decode by table
// lookup on the next `table_bits` bits.
#pragma once

#include "common.h"

namespace pk {

constexpr int kHuffmanMaxBits = 15;

// Writes symbols[i]'s code (codes[s], right-aligned, lengths[s] bits) for each
// i into out (cap bytes), zero-padding the last byte. Returns the number of
// bits written; -1 when a symbol is >= alphabet or has no code (length 0);
// -2 when out is too small.
i64 huffman_encode(const std::uint16_t* symbols, i64 n, const std::uint16_t* codes, const std::uint8_t* lengths,
                   i64 alphabet, std::uint8_t* out, i64 cap);

enum HuffmanStatus : int { kHuffmanOk = 0, kHuffmanTruncated = 1, kHuffmanInvalidCode = 2 };

// Decodes exactly `count` symbols from in (nbytes). table has 1 << table_bits
// entries (1 <= table_bits <= kHuffmanMaxBits), each (symbol << 4) | length;
// length 0 marks bit patterns no code starts with. Never reads past in[nbytes).
// *bits_used receives the bits consumed (valid when the status is ok).
int huffman_decode(const std::uint8_t* in, i64 nbytes, const std::uint32_t* table, int table_bits,
                   std::uint16_t* out, i64 count, i64* bits_used);

// out[i] = index of the centroid nearest x[i] (centroids sorted ascending; a
// value exactly halfway goes to the lower one), or -1 where mask[i] == 0.
// mask may be null.
void assign_nearest(const float* x, const std::uint8_t* mask, i64 n, const float* centroids, i64 k,
                    std::int32_t* out);

// out[i] = idx[i] < 0 ? 0 : codebook[idx[i]]. Returns false (out partly
// written) when an index is >= k.
bool codebook_gather(const float* codebook, i64 k, const std::int32_t* idx, i64 n, float* out);

// sums[c] = sum of grad[i] over idx[i] == c (accumulated in double); entries
// with idx[i] < 0 are skipped. Returns false when an index is >= k.
bool codebook_scatter_add(const float* grad, const std::int32_t* idx, i64 n, i64 k, float* sums);

}  // namespace pk
