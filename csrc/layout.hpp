// Memory-layout helpers of the training loops (no arithmetic on the values).
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

namespace pyrbm {

// n rounded up to whole 64-byte vectors of T, and to an odd number of them: the row
// stride of the weight copies the gather-adds read. A row then starts on a cache line (no
// 64-byte load is split), and the rows of a tile's slice spread over all cache sets; at
// a stride of a power of two lines (500 float32 -> 2048 bytes) they share 1/32 of L1's
// sets and evict each other (measured in bench/RESULTS.md).
template <typename T> constexpr std::int64_t padded_stride(std::int64_t n) {
    constexpr std::int64_t lanes = 64 / sizeof(T);
    const std::int64_t vectors = (n + lanes - 1) / lanes;
    return (vectors | 1) * lanes;
}

// The first 64-byte-aligned address of v after growing it to hold n values from there.
// (Measured, 784 x 500 float32 gather-add: 64-byte loads from rows at a 16- or 32-byte
// offset take 1.5-2.1x as long as from aligned rows, bench/RESULTS.md.)
template <typename T> T* aligned64(std::vector<T>& v, std::int64_t n) {
    constexpr std::size_t slack = 64 / sizeof(T);
    if (v.size() < static_cast<std::size_t>(n) + slack) v.resize(static_cast<std::size_t>(n) + slack);
    const auto address = reinterpret_cast<std::uintptr_t>(v.data());
    return v.data() + ((64 - address % 64) % 64) / sizeof(T);
}

// dst (n_cols x n_rows) = transpose of src (n_rows x n_cols), both C-contiguous, in
// cache-sized square tiles spread over the OpenMP threads.
template <typename T>
void transpose(const T* src, std::int64_t n_rows, std::int64_t n_cols, T* dst);

// The same into rows of stride ld_dst >= n_rows, columns [n_rows, ld_dst) set to 0.
template <typename T>
void transpose_padded(const T* src, std::int64_t n_rows, std::int64_t n_cols, T* dst,
                      std::int64_t ld_dst);

// dst (n_rows x ld_dst) = src (n_rows x n_cols, C-contiguous), columns [n_cols, ld_dst)
// set to 0, in parallel over rows.
template <typename T>
void copy_padded(const T* src, std::int64_t n_rows, std::int64_t n_cols, T* dst,
                 std::int64_t ld_dst);

}  // namespace pyrbm
