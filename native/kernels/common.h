// prunekit kernels: shared types and the dimension legend.
//
// Every kernel here is plain C++ over raw pointers and sizes: no N-API, no
// validation. Callers (the binding) guarantee that every pointer covers the
// extent its sizes imply.
//
// Legend
//   M, N, K   GEMM: C is (M, N), op(A) is (M, K), op(B) is (K, N)
//   B         batch (rows of an activation matrix)
//   rows/cols a weight matrix W is (rows, cols) = (out, in), row-major
//   nnz       stored entries of a sparse matrix
#pragma once

#include <cstddef>
#include <cstdint>
#include <new>
#include <vector>

namespace pk {

using i64 = std::int64_t;

// Compiles a loop once per x86-64 feature level and picks the clone at load
// time from the CPU's features. Not "arch=<cpu>" clones: GCC dispatches those
// on the exact CPU model, so a Cascade Lake or a Zen 5 fell back to the SSE2
// clone.
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && __GNUC__ >= 12
#define PK_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#elif defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
// GCC 11 and older cannot dispatch on feature levels; single features work.
#define PK_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define PK_CLONES
#endif

// The first n of 16 vector lanes as an AVX-512 mask (all for n >= 16, none
// for n <= 0): masked loads and stores of a row's tail.
inline std::uint16_t first_lanes(i64 n) {
  return n >= 16 ? std::uint16_t(0xFFFF) : n <= 0 ? std::uint16_t(0) : std::uint16_t((1u << n) - 1);
}

// Storage that starts on a cache line: a vector load from it never spans
// two lines (a split load costs up to 2x on data streamed from L2).
template <class T>
struct CacheLineAllocator {
  using value_type = T;
  static constexpr std::align_val_t kAlign{64};
  CacheLineAllocator() = default;
  template <class U>
  CacheLineAllocator(const CacheLineAllocator<U>&) {}
  T* allocate(std::size_t n) { return static_cast<T*>(::operator new(n * sizeof(T), kAlign)); }
  void deallocate(T* p, std::size_t) { ::operator delete(p, kAlign); }
  friend bool operator==(CacheLineAllocator, CacheLineAllocator) { return true; }
  friend bool operator!=(CacheLineAllocator, CacheLineAllocator) { return false; }
};
using AlignedFloats = std::vector<float, CacheLineAllocator<float>>;

struct BlockedEll;  // spmm_ell.h

// Compressed sparse rows over a (rows, cols) matrix. Column indices within a
// row are strictly increasing; row_ptr has rows + 1 entries.
//
// col_idx16, when set, holds the same column indices as uint16 (matrices with
// at most 65536 columns): half the index traffic in the sparse kernels.
struct CsrView {
  const std::int32_t* row_ptr;
  const std::int32_t* col_idx;
  const float* values;
  i64 rows;
  i64 cols;
  const std::uint16_t* col_idx16 = nullptr;
  const BlockedEll* ell = nullptr;  // small-batch AVX-512 layout, when built
  // Codebook execution (forward only): entry k's weight is book[code[k]],
  // and values is unused.
  const std::uint8_t* code = nullptr;
  const float* book = nullptr;
  i64 book_size = 0;
  i64 nnz() const { return row_ptr[rows]; }
};

}  // namespace pk
