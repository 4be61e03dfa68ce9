// Radix selection over float keys.
//
// A float's bit pattern, with the sign cleared, orders magnitudes as an
// unsigned integer; with the sign folded (negatives inverted, positives
// offset) it orders signed values. Selection of the element of rank r:
//   1. histogram the top 12 bits of every key (16 KB of counters, in L1);
//   2. collect the (key, position) pairs of the bucket holding rank r;
//   3. refine on the candidates with two more 10-bit digits.
// Three passes over the input in all for a threshold plus its mask, O(n),
// threaded over contiguous shares of the concatenated inputs.
#include "select.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <vector>

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

struct MagnitudeKey {
  u32 operator()(u32 bits) const { return bits & kAbsMask; }
  float value(u32 key) const { return float_of(key); }
};
struct SignedKey {
  u32 operator()(u32 bits) const { return (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u); }
  float value(u32 key) const { return float_of((key & 0x80000000u) ? (key & kAbsMask) : ~key); }
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
  i64 count_less = 0;               // entries with key < selected key
  std::vector<Candidate> equal;     // entries with key == selected key, in order
  i64 nan_span = -1;
  i64 nan_index = -1;
};

// Finds the key of rank `rank` (0-based) over the concatenated spans.
template <typename KeyOf>
Selection radix_select(const Layout& l, i64 rank, KeyOf key_of) {
  Selection out;
  const i64 total = l.total();
  const int tasks = tasks_for(total);

  // Pass 1: top-digit histograms, and the first NaN of each share.
  std::vector<std::vector<u32>> hists(size_t(tasks), std::vector<u32>(kTopBins, 0));
  std::vector<std::array<i64, 2>> nans(size_t(tasks), {-1, -1});
  parallel_for(tasks, [&](int t) {
    u32* hist = hists[size_t(t)].data();
    bool found = false;
    for_pieces(l, split_point(total, tasks, t), split_point(total, tasks, t + 1),
               [&](i64 s, i64 b, i64 e) {
                 const float* x = l.spans[s].x;
                 u32 worst = 0;
                 for (i64 i = b; i < e; ++i) {
                   u32 bits = bits_of(x[i]);
                   worst = std::max(worst, bits & kAbsMask);
                   ++hist[key_of(bits) >> kTopShift];
                 }
                 if (worst > kInfBits && !found) {
                   for (i64 i = b; i < e; ++i)
                     if ((bits_of(x[i]) & kAbsMask) > kInfBits) {
                       nans[size_t(t)] = {s, i};
                       found = true;
                       break;
                     }
                 }
               });
  });
  for (const auto& nan : nans)
    if (nan[0] >= 0) {
      out.nan_span = nan[0];
      out.nan_index = nan[1];
      return out;
    }

  u32 bucket = 0;
  i64 below = 0;
  for (;; ++bucket) {
    i64 in_bucket = 0;
    for (const auto& h : hists) in_bucket += h[bucket];
    if (below + in_bucket > rank) break;
    below += in_bucket;
  }

  // Pass 2: collect the bucket's entries, in order, share by share.
  std::vector<std::vector<Candidate>> picked{size_t(tasks)};
  parallel_for(tasks, [&](int t) {
    auto& mine = picked[size_t(t)];
    mine.reserve(hists[size_t(t)][bucket]);
    for_pieces(l, split_point(total, tasks, t), split_point(total, tasks, t + 1),
               [&](i64 s, i64 b, i64 e) {
                 const float* x = l.spans[s].x;
                 for (i64 i = b; i < e; ++i) {
                   u32 key = key_of(bits_of(x[i]));
                   if ((key >> kTopShift) == bucket) mine.push_back({key, std::int32_t(s), i});
                 }
               });
  });
  std::vector<Candidate> cands;
  for (auto& p : picked) cands.insert(cands.end(), p.begin(), p.end());

  // Refine on the candidates: bits 19..10, then 9..0.
  for (int shift : {10, 0}) {
    const u32 digit_mask = 0x3ffu;
    std::array<i64, 1024> hist{};
    for (const Candidate& c : cands) ++hist[(c.key >> shift) & digit_mask];
    u32 digit = 0;
    for (;; ++digit) {
      if (below + hist[digit] > rank) break;
      below += hist[digit];
    }
    std::vector<Candidate> next;
    next.reserve(size_t(hist[digit]));
    for (const Candidate& c : cands)
      if (((c.key >> shift) & digit_mask) == digit) next.push_back(c);
    cands.swap(next);
  }
  out.key = cands.front().key;
  out.count_less = below;
  out.equal = std::move(cands);
  return out;
}

}  // namespace

ThresholdOutcome f32_magnitude_threshold(const MagnitudeSpan* spans, i64 count, i64 k) {
  Layout l = make_layout(spans, count);
  const i64 total = l.total();
  ThresholdOutcome out{0.0f, 0, -1, -1};
  if (k <= 0 || total == 0) {
    // Still refuse NaN input: a mask over NaN weights would be meaningless.
    Selection probe = total ? radix_select(l, 0, MagnitudeKey{}) : Selection{};
    if (probe.nan_span >= 0) return {0.0f, 0, probe.nan_span, probe.nan_index};
    for (i64 s = 0; s < count; ++s)
      if (spans[s].mask) std::fill(spans[s].mask, spans[s].mask + spans[s].n, std::uint8_t(1));
    return out;
  }
  k = std::min(k, total);
  Selection sel = radix_select(l, k - 1, MagnitudeKey{});
  if (sel.nan_span >= 0) return {0.0f, 0, sel.nan_span, sel.nan_index};
  out.threshold = MagnitudeKey{}.value(sel.key);
  out.pruned = k;

  // Pass 3: mask = key >= T (ties kept), then prune the first ties in order.
  const u32 threshold_key = sel.key;
  const int tasks = tasks_for(total);
  parallel_for(tasks, [&](int t) {
    for_pieces(l, split_point(total, tasks, t), split_point(total, tasks, t + 1),
               [&](i64 s, i64 b, i64 e) {
                 std::uint8_t* m = spans[s].mask;
                 if (!m) return;
                 const float* x = spans[s].x;
                 for (i64 i = b; i < e; ++i) m[i] = (bits_of(x[i]) & kAbsMask) >= threshold_key;
               });
  });
  i64 ties_to_prune = k - sel.count_less;
  for (const Candidate& c : sel.equal) {
    if (ties_to_prune-- <= 0) break;
    if (spans[c.span].mask) spans[c.span].mask[c.index] = 0;
  }
  return out;
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
  double rank = q / 100.0 * double(n - 1);
  i64 lo = i64(rank);
  double frac = rank - double(lo);
  Selection a = radix_select(l, lo, SignedKey{});
  if (a.nan_span >= 0) return {0.0, a.nan_index};
  double low = SignedKey{}.value(a.key);
  if (frac == 0.0 || lo + 1 >= n) return {low, -1};
  double high = low;
  if (a.count_less + i64(a.equal.size()) <= lo + 1) high = SignedKey{}.value(radix_select(l, lo + 1, SignedKey{}).key);
  return {low + (high - low) * frac, -1};
}

}  // namespace pk
