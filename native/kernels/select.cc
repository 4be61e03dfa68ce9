// Exact selection over float keys.
//
// A float's bit pattern, with the sign cleared, orders magnitudes as an
// unsigned integer; with the sign folded (negatives inverted, positives
// offset) it orders signed values. To find the key of rank r:
//
//   fast path  (Floyd-Rivest style) a strided sample of 64K keys brackets
//              rank r in [lo, hi] with ~4 standard deviations of margin; one
//              vectorised pass counts keys below lo and compress-stores the
//              few keys inside [lo, hi]; the exact key is chosen among those.
//   fallback   (input that defeats the sample) a 3-pass radix select: a
//              12-bit histogram, collect the bucket, refine by 10-bit digits.
//
// Either way the result is exact and does not depend on the sample. A mask
// then takes one more vectorised pass. Work is split over contiguous shares
// of the concatenated inputs, so ties are broken in (tensor, index) order.
#include "select.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <memory>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#include "backend.h"
#include "parallel.h"

namespace pk {
namespace {

using u32 = std::uint32_t;

constexpr u32 kAbsMask = 0x7fffffffu;
constexpr u32 kInfBits = 0x7f800000u;

inline u32 bits_of(float f) {
  u32 b;
  std::memcpy(&b, &f, sizeof b);
  return b;
}
inline float float_of(u32 b) {
  float f;
  std::memcpy(&f, &b, sizeof f);
  return f;
}

// Key transforms, identical in the scalar and vector code.
inline u32 magnitude_key(u32 bits) { return bits & kAbsMask; }
inline u32 signed_key(u32 bits) { return bits ^ (u32(std::int32_t(bits) >> 31) | 0x80000000u); }
inline float magnitude_value(u32 key) { return float_of(key); }
inline float signed_value(u32 key) { return float_of((key & 0x80000000u) ? (key & kAbsMask) : ~key); }

struct MagnitudeKey {
  static constexpr bool is_signed = false;
  u32 operator()(u32 bits) const { return magnitude_key(bits); }
};
struct SignedKey {
  static constexpr bool is_signed = true;
  u32 operator()(u32 bits) const { return signed_key(bits); }
};

struct Candidate {
  u32 key;
  std::int32_t span;
  i64 index;
};

struct Layout {
  const MagnitudeSpan* spans;
  i64 count;
  std::vector<i64> offsets;  // prefix sums of span lengths, count + 1 entries
  i64 total() const { return offsets.back(); }
};

Layout make_layout(const MagnitudeSpan* spans, i64 count) {
  Layout l{spans, count, std::vector<i64>(size_t(count + 1), 0)};
  for (i64 s = 0; s < count; ++s) l.offsets[size_t(s + 1)] = l.offsets[size_t(s)] + spans[s].n;
  return l;
}

// Calls fn(span, begin, end) for the pieces of spans covering global [lo, hi).
template <typename Fn>
void for_pieces(const Layout& l, i64 lo, i64 hi, Fn fn) {
  if (lo >= hi) return;
  i64 s = i64(std::upper_bound(l.offsets.begin(), l.offsets.end(), lo) - l.offsets.begin()) - 1;
  for (; s < l.count && l.offsets[size_t(s)] < hi; ++s) {
    i64 b = std::max(lo, l.offsets[size_t(s)]) - l.offsets[size_t(s)];
    i64 e = std::min(hi, l.offsets[size_t(s + 1)]) - l.offsets[size_t(s)];
    if (b < e) fn(s, b, e);
  }
}

int tasks_for(i64 total) {
  constexpr i64 kMinShare = 1 << 16;
  return int(std::max<i64>(1, std::min<i64>(pool_threads(), total / kMinShare)));
}

constexpr int kTopShift = 20;
constexpr size_t kTopBins = size_t(1) << (32 - kTopShift);

struct Selection {
  u32 key = 0;
  i64 count_less = 0;       // entries with key < selected key
  std::vector<i64> ties;    // entries with key == selected key, per share
  i64 nan_span = -1;
  i64 nan_index = -1;
  i64 total_ties() const {
    i64 sum = 0;
    for (i64 t : ties) sum += t;
    return sum;
  }
};

// Exact 3-pass radix select of the key of rank `rank` (0-based).
template <typename KeyOf>
Selection radix_select(const Layout& l, int tasks, i64 rank, KeyOf key_of) {
  Selection out;
  const i64 total = l.total();

  // Pass 1: top-digit histograms, and the first NaN of each share. Four
  // interleaved sub-histograms break the store-to-load chains that runs of
  // equal digits would otherwise create.
  std::vector<std::vector<u32>> hists(size_t(tasks), std::vector<u32>(kTopBins, 0));
  std::vector<std::array<i64, 2>> nans(size_t(tasks), {-1, -1});
  parallel_for(tasks, [&](int t) {
    std::vector<u32> sub(4 * kTopBins, 0);
    u32* h0 = sub.data();
    u32* h1 = h0 + kTopBins;
    u32* h2 = h1 + kTopBins;
    u32* h3 = h2 + kTopBins;
    bool found = false;
    for_pieces(l, split_point(total, tasks, t), split_point(total, tasks, t + 1),
               [&](i64 s, i64 b, i64 e) {
                 const float* x = l.spans[s].x;
                 u32 worst = 0;
                 i64 i = b;
                 for (; i + 3 < e; i += 4) {
                   u32 b0 = bits_of(x[i]), b1 = bits_of(x[i + 1]), b2 = bits_of(x[i + 2]), b3 = bits_of(x[i + 3]);
                   worst = std::max(worst, std::max(std::max(b0 & kAbsMask, b1 & kAbsMask), std::max(b2 & kAbsMask, b3 & kAbsMask)));
                   ++h0[key_of(b0) >> kTopShift];
                   ++h1[key_of(b1) >> kTopShift];
                   ++h2[key_of(b2) >> kTopShift];
                   ++h3[key_of(b3) >> kTopShift];
                 }
                 for (; i < e; ++i) {
                   u32 bits = bits_of(x[i]);
                   worst = std::max(worst, bits & kAbsMask);
                   ++h0[key_of(bits) >> kTopShift];
                 }
                 if (worst > kInfBits && !found) {
                   for (i64 j = b; j < e; ++j)
                     if ((bits_of(x[j]) & kAbsMask) > kInfBits) {
                       nans[size_t(t)] = {s, j};
                       found = true;
                       break;
                     }
                 }
               });
    u32* hist = hists[size_t(t)].data();
    for (size_t d = 0; d < kTopBins; ++d) hist[d] = h0[d] + h1[d] + h2[d] + h3[d];
  });
  for (const auto& nan : nans)
    if (nan[0] >= 0) {
      out.nan_span = nan[0];
      out.nan_index = nan[1];
      return out;
    }

  // Every loop below is bounded even if the data changed between passes
  // (a SharedArrayBuffer written by another thread): the result is then
  // meaningless but memory stays in bounds.
  u32 bucket = 0;
  i64 below = 0;
  for (; bucket + 1 < kTopBins; ++bucket) {
    i64 in_bucket = 0;
    for (const auto& h : hists) in_bucket += h[bucket];
    if (below + in_bucket > rank) break;
    below += in_bucket;
  }

  // Pass 2: collect the bucket's entries, in order, share by share. The
  // store is unconditional and the cursor advances on a match: no branch to
  // mispredict on random data. Each share's count is known from pass 1.
  std::vector<std::vector<Candidate>> picked{size_t(tasks)};
  parallel_for(tasks, [&](int t) {
    auto& mine = picked[size_t(t)];
    const size_t cap = size_t(hists[size_t(t)][bucket]);
    mine.resize(cap + 1);
    Candidate* out = mine.data();
    size_t count = 0;
    for_pieces(l, split_point(total, tasks, t), split_point(total, tasks, t + 1),
               [&](i64 s, i64 b, i64 e) {
                 const float* x = l.spans[s].x;
                 for (i64 i = b; i < e; ++i) {
                   u32 key = key_of(bits_of(x[i]));
                   out[std::min(count, cap)] = {key, std::int32_t(s), i};
                   count += (key >> kTopShift) == bucket;
                 }
               });
    mine.resize(std::min(count, cap));
  });
  std::vector<Candidate> cands;
  size_t total_picked = 0;
  for (auto& p : picked) total_picked += p.size();
  cands.reserve(total_picked);
  for (auto& p : picked) cands.insert(cands.end(), p.begin(), p.end());

  // Refine on the candidates: bits 19..10, then 9..0.
  for (int shift : {10, 0}) {
    const u32 digit_mask = 0x3ffu;
    std::array<i64, 1024> hist{};
    for (const Candidate& c : cands) ++hist[(c.key >> shift) & digit_mask];
    u32 digit = 0;
    for (; digit + 1 < 1024; ++digit) {
      if (below + hist[digit] > rank) break;
      below += hist[digit];
    }
    std::vector<Candidate> next;
    next.reserve(size_t(hist[digit]));
    for (const Candidate& c : cands)
      if (((c.key >> shift) & digit_mask) == digit) next.push_back(c);
    cands.swap(next);
  }
  out.key = cands.empty() ? 0 : cands.front().key;
  out.count_less = below;
  out.ties.assign(size_t(tasks), 0);
  for (const Candidate& c : cands) {
    i64 pos = l.offsets[size_t(c.span)] + c.index;
    int t = 0;
    while (t + 1 < tasks && pos >= split_point(total, tasks, t + 1)) ++t;
    ++out.ties[size_t(t)];
  }
  return out;
}

// --- fast path: sample, bracket, one compress pass ----------------------------

struct ScanStats {
  i64 less = 0;   // keys below lo
  i64 count = 0;  // keys in [lo, hi] (only the first `cap` are stored)
  u32 worst = 0;  // largest |bits|: above kInfBits means NaN
};

template <bool Signed>
void scan_generic(const float* x, i64 n, u32 lo, u32 hi, u32* out, i64 cap, ScanStats& st) {
  for (i64 i = 0; i < n; ++i) {
    u32 bits = bits_of(x[i]);
    u32 key = Signed ? signed_key(bits) : magnitude_key(bits);
    st.worst = std::max(st.worst, bits & kAbsMask);
    st.less += key < lo;
    out[std::min(st.count, cap)] = key;
    st.count += (key >= lo) & (key <= hi);
  }
}

void mask_generic(const float* x, std::uint8_t* m, i64 n, u32 threshold, i64& budget) {
  for (i64 i = 0; i < n; ++i) {
    u32 key = magnitude_key(bits_of(x[i]));
    bool keep = key > threshold;
    if (key == threshold) {
      keep = budget <= 0;
      budget -= budget > 0;
    }
    m[i] = keep;
  }
}

#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define PK_SELECT_AVX512 1
#define PK_TARGET_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,popcnt")))

template <bool Signed>
PK_TARGET_AVX512 void scan_avx512(const float* x, i64 n, u32 lo, u32 hi, u32* out, i64 cap, ScanStats& st) {
  const __m512i abs_mask = _mm512_set1_epi32(int(kAbsMask)), top = _mm512_set1_epi32(int(0x80000000u));
  const __m512i lo_v = _mm512_set1_epi32(int(lo)), hi_v = _mm512_set1_epi32(int(hi));
  __m512i worst = _mm512_setzero_si512();
  i64 less = 0, count = st.count, i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512i bits = _mm512_loadu_si512(x + i);
    __m512i magnitude = _mm512_and_si512(bits, abs_mask);
    worst = _mm512_max_epu32(worst, magnitude);
    __m512i key = Signed ? _mm512_xor_si512(bits, _mm512_or_si512(_mm512_srai_epi32(bits, 31), top)) : magnitude;
    __mmask16 below = _mm512_cmplt_epu32_mask(key, lo_v);
    __mmask16 inside = _mm512_mask_cmple_epu32_mask(__mmask16(~below), key, hi_v);
    less += __builtin_popcount(below);
    _mm512_storeu_si512(out + std::min(count, cap), _mm512_maskz_compress_epi32(inside, key));
    count += __builtin_popcount(inside);
  }
  st.less += less;
  st.count = count;
  st.worst = std::max(st.worst, u32(_mm512_reduce_max_epu32(worst)));
  scan_generic<Signed>(x + i, n - i, lo, hi, out, cap, st);
}

PK_TARGET_AVX512 void mask_avx512(const float* x, std::uint8_t* m, i64 n, u32 threshold, i64& budget) {
  const __m512i abs_mask = _mm512_set1_epi32(int(kAbsMask)), t_v = _mm512_set1_epi32(int(threshold));
  i64 i = 0;
  for (; i + 16 <= n; i += 16) {
    __m512i key = _mm512_and_si512(_mm512_loadu_si512(x + i), abs_mask);
    __mmask16 keep = _mm512_cmpgt_epu32_mask(key, t_v);
    __mmask16 tie = _mm512_cmpeq_epi32_mask(key, t_v);
    while (tie && budget > 0) {  // prune the first ties in lane order
      tie = __mmask16(tie & (tie - 1));
      --budget;
    }
    keep = __mmask16(keep | tie);
    _mm_storeu_si128(reinterpret_cast<__m128i*>(m + i), _mm_maskz_set1_epi8(keep, 1));
  }
  mask_generic(x + i, m + i, n - i, threshold, budget);
}
#endif

template <bool Signed>
void scan(const float* x, i64 n, u32 lo, u32 hi, u32* out, i64 cap, ScanStats& st) {
#ifdef PK_SELECT_AVX512
  if (backend().simd == Simd::avx512) return scan_avx512<Signed>(x, n, lo, hi, out, cap, st);
#endif
  scan_generic<Signed>(x, n, lo, hi, out, cap, st);
}

void mask_piece(const float* x, std::uint8_t* m, i64 n, u32 threshold, i64& budget) {
#ifdef PK_SELECT_AVX512
  if (backend().simd == Simd::avx512) return mask_avx512(x, m, n, threshold, budget);
#endif
  mask_generic(x, m, n, threshold, budget);
}

// First NaN in (span, index) order; {-1, -1} when there is none.
std::array<i64, 2> first_nan(const Layout& l) {
  for (i64 s = 0; s < l.count; ++s)
    for (i64 i = 0; i < l.spans[s].n; ++i)
      if ((bits_of(l.spans[s].x[i]) & kAbsMask) > kInfBits) return {s, i};
  return {-1, -1};
}

template <typename KeyOf>
std::vector<u32> sample_keys(const Layout& l, i64 samples, KeyOf key_of) {
  std::vector<u32> out(static_cast<size_t>(samples));
  const i64 total = l.total();
  i64 s = 0;
  for (i64 j = 0; j < samples; ++j) {
    i64 pos = ((2 * j + 1) * total) / (2 * samples);
    while (pos >= l.offsets[size_t(s + 1)]) ++s;
    out[size_t(j)] = key_of(bits_of(l.spans[s].x[pos - l.offsets[size_t(s)]]));
  }
  return out;
}

// Returns false when the sample's bracket missed (the caller falls back).
template <typename KeyOf>
bool fast_select(const Layout& l, int tasks, i64 rank, KeyOf key_of, Selection& out) {
  const i64 total = l.total();
  constexpr i64 kSamples = 1 << 16;
  if (total < 4 * kSamples) return false;
  std::vector<u32> sample = sample_keys(l, kSamples, key_of);
  double p = (double(rank) + 0.5) / double(total);
  double centre = p * double(kSamples);
  double margin = 4.0 * std::sqrt(double(kSamples) * p * (1.0 - p)) + 16.0;
  i64 lo_i = i64(std::floor(centre - margin)), hi_i = i64(std::ceil(centre + margin));
  u32 lo = 0, hi = 0xffffffffu;
  if (lo_i >= 0) {
    std::nth_element(sample.begin(), sample.begin() + lo_i, sample.end());
    lo = sample[size_t(lo_i)];
  }
  if (hi_i < kSamples) {
    std::nth_element(sample.begin(), sample.begin() + hi_i, sample.end());
    hi = sample[size_t(hi_i)];
  }

  std::vector<ScanStats> stats(static_cast<size_t>(tasks));
  std::vector<std::unique_ptr<u32[]>> kept(static_cast<size_t>(tasks));
  std::vector<i64> caps(static_cast<size_t>(tasks));
  parallel_for(tasks, [&](int t) {
    i64 b = split_point(total, tasks, t), e = split_point(total, tasks, t + 1);
    caps[size_t(t)] = std::max<i64>(4096, (e - b) / 16);
    kept[size_t(t)].reset(new u32[size_t(caps[size_t(t)] + 16)]);
    u32* buffer = kept[size_t(t)].get();
    for_pieces(l, b, e, [&](i64 s, i64 pb, i64 pe) {
      if (KeyOf::is_signed)
        scan<true>(l.spans[s].x + pb, pe - pb, lo, hi, buffer, caps[size_t(t)], stats[size_t(t)]);
      else
        scan<false>(l.spans[s].x + pb, pe - pb, lo, hi, buffer, caps[size_t(t)], stats[size_t(t)]);
    });
  });
  i64 less = 0, inside = 0;
  for (int t = 0; t < tasks; ++t) {
    if (stats[size_t(t)].worst > kInfBits) {
      auto nan = first_nan(l);
      out.nan_span = nan[0];
      out.nan_index = nan[1];
      return true;
    }
    if (stats[size_t(t)].count > caps[size_t(t)]) return false;
    less += stats[size_t(t)].less;
    inside += stats[size_t(t)].count;
  }
  if (rank < less || rank >= less + inside) return false;

  std::vector<u32> keys;
  keys.reserve(size_t(inside));
  for (int t = 0; t < tasks; ++t) keys.insert(keys.end(), kept[size_t(t)].get(), kept[size_t(t)].get() + stats[size_t(t)].count);
  std::nth_element(keys.begin(), keys.begin() + (rank - less), keys.end());
  out.key = keys[size_t(rank - less)];
  out.count_less = less;
  out.ties.assign(size_t(tasks), 0);
  for (int t = 0; t < tasks; ++t) {
    const u32* k = kept[size_t(t)].get();
    for (i64 j = 0; j < stats[size_t(t)].count; ++j) {
      out.count_less += k[j] < out.key;
      out.ties[size_t(t)] += k[j] == out.key;
    }
  }
  return true;
}

template <typename KeyOf>
Selection select_rank(const Layout& l, int tasks, i64 rank, KeyOf key_of) {
  Selection sel;
  if (fast_select(l, tasks, rank, key_of, sel)) return sel;
  return radix_select(l, tasks, rank, key_of);
}

// NaN check alone (nothing selected): an empty bracket, no keys stored.
std::array<i64, 2> scan_for_nan(const Layout& l, int tasks) {
  const i64 total = l.total();
  std::vector<u32> worst(size_t(tasks), 0);
  parallel_for(tasks, [&](int t) {
    u32 sink[17];
    ScanStats st;
    for_pieces(l, split_point(total, tasks, t), split_point(total, tasks, t + 1), [&](i64 s, i64 b, i64 e) {
      scan<false>(l.spans[s].x + b, e - b, 0xffffffffu, 0, sink, 0, st);
    });
    worst[size_t(t)] = st.worst;
  });
  for (u32 w : worst)
    if (w > kInfBits) return first_nan(l);
  return {-1, -1};
}

}  // namespace

ThresholdOutcome f32_magnitude_threshold(const MagnitudeSpan* spans, i64 count, i64 k) {
  Layout l = make_layout(spans, count);
  const i64 total = l.total();
  const int tasks = tasks_for(total);
  if (k <= 0 || total == 0) {
    // Still refuse NaN input: a mask over NaN weights would be meaningless.
    auto nan = scan_for_nan(l, tasks);
    if (nan[0] >= 0) return {0.0f, 0, nan[0], nan[1]};
    for (i64 s = 0; s < count; ++s)
      if (spans[s].mask) std::fill(spans[s].mask, spans[s].mask + spans[s].n, std::uint8_t(1));
    return {0.0f, 0, -1, -1};
  }
  k = std::min(k, total);
  Selection sel = select_rank(l, tasks, k - 1, MagnitudeKey{});
  if (sel.nan_span >= 0) return {0.0f, 0, sel.nan_span, sel.nan_index};

  // Mask pass: prune keys below T, and the first (k - count_less) ties in
  // order; each share's tie budget follows from the shares before it.
  const u32 threshold_key = sel.key;
  i64 ties_left = k - sel.count_less;
  std::vector<i64> budgets(static_cast<size_t>(tasks));
  for (int t = 0; t < tasks; ++t) {
    budgets[size_t(t)] = std::min(ties_left, sel.ties[size_t(t)]);
    ties_left -= budgets[size_t(t)];
  }
  bool any_mask = false;
  for (i64 s = 0; s < count; ++s) any_mask = any_mask || spans[s].mask;
  if (any_mask) {
    parallel_for(tasks, [&](int t) {
      i64& budget = budgets[size_t(t)];
      for_pieces(l, split_point(total, tasks, t), split_point(total, tasks, t + 1), [&](i64 s, i64 b, i64 e) {
        const float* x = spans[s].x + b;
        if (spans[s].mask) {
          mask_piece(x, spans[s].mask + b, e - b, threshold_key, budget);
        } else {
          for (i64 i = 0; i < e - b && budget > 0; ++i) budget -= magnitude_key(bits_of(x[i])) == threshold_key;
        }
      });
    });
  }
  return {magnitude_value(threshold_key), k, -1, -1};
}

ThresholdOutcome f32_magnitude_threshold__reference(const MagnitudeSpan* spans, i64 count, i64 k) {
  struct Entry {
    float magnitude;
    i64 span, index;
  };
  std::vector<Entry> all;
  for (i64 s = 0; s < count; ++s)
    for (i64 i = 0; i < spans[s].n; ++i) {
      if (spans[s].x[i] != spans[s].x[i]) return {0.0f, 0, s, i};
      all.push_back({std::fabs(spans[s].x[i]), s, i});
    }
  k = std::max<i64>(0, std::min<i64>(k, i64(all.size())));
  std::stable_sort(all.begin(), all.end(),
                   [](const Entry& a, const Entry& b) { return a.magnitude < b.magnitude; });
  for (i64 s = 0; s < count; ++s)
    if (spans[s].mask) std::fill(spans[s].mask, spans[s].mask + spans[s].n, std::uint8_t(1));
  for (i64 j = 0; j < k; ++j)
    if (spans[all[size_t(j)].span].mask) spans[all[size_t(j)].span].mask[all[size_t(j)].index] = 0;
  return {k ? all[size_t(k - 1)].magnitude : 0.0f, k, -1, -1};
}

PercentileOutcome f32_percentile(const float* x, i64 n, double q) {
  MagnitudeSpan span{x, nullptr, n};
  Layout l = make_layout(&span, 1);
  const int tasks = tasks_for(n);
  double rank = q / 100.0 * double(n - 1);
  i64 lo = i64(rank);
  double frac = rank - double(lo);
  Selection a = select_rank(l, tasks, lo, SignedKey{});
  if (a.nan_span >= 0) return {0.0, a.nan_index};
  double low = signed_value(a.key);
  if (frac == 0.0 || lo + 1 >= n) return {low, -1};
  double high = low;
  if (a.count_less + a.total_ties() <= lo + 1) high = signed_value(select_rank(l, tasks, lo + 1, SignedKey{}).key);
  return {low + (high - low) * frac, -1};
}

}  // namespace pk
