#include "layout.hpp"

#include <algorithm>

#include "parallel.hpp"

namespace pyrbm {

template <typename T>
void transpose(const T* src, std::int64_t n_rows, std::int64_t n_cols, T* dst) {
    transpose_padded<T>(src, n_rows, n_cols, dst, n_rows);
}

template <typename T>
void transpose_padded(const T* src, std::int64_t n_rows, std::int64_t n_cols, T* dst,
                      std::int64_t ld_dst) {
    // 32 x 32 tiles: the tile's source rows and destination rows (32 lines each of at
    // most 256 bytes) stay in L1 while it is copied.
    constexpr std::int64_t kTile = 32;
    const std::int64_t row_tiles = (n_rows + kTile - 1) / kTile;
    parallel_for(row_tiles, [&](std::int64_t t) {
        const std::int64_t r0 = t * kTile, r1 = std::min(n_rows, r0 + kTile);
        for (std::int64_t c0 = 0; c0 < n_cols; c0 += kTile) {
            const std::int64_t c1 = std::min(n_cols, c0 + kTile);
            for (std::int64_t c = c0; c < c1; ++c)
                for (std::int64_t r = r0; r < r1; ++r) dst[c * ld_dst + r] = src[r * n_cols + c];
        }
    });
    if (ld_dst > n_rows)
        parallel_for(n_cols, [&](std::int64_t c) {
            std::fill(dst + c * ld_dst + n_rows, dst + (c + 1) * ld_dst, T(0));
        });
}

template <typename T>
void copy_padded(const T* src, std::int64_t n_rows, std::int64_t n_cols, T* dst,
                 std::int64_t ld_dst) {
    parallel_for(n_rows, [&](std::int64_t r) {
        std::copy(src + r * n_cols, src + (r + 1) * n_cols, dst + r * ld_dst);
        std::fill(dst + r * ld_dst + n_cols, dst + (r + 1) * ld_dst, T(0));
    });
}

template void transpose<float>(const float*, std::int64_t, std::int64_t, float*);
template void transpose<double>(const double*, std::int64_t, std::int64_t, double*);
template void transpose_padded<float>(const float*, std::int64_t, std::int64_t, float*, std::int64_t);
template void transpose_padded<double>(const double*, std::int64_t, std::int64_t, double*,
                                       std::int64_t);
template void copy_padded<float>(const float*, std::int64_t, std::int64_t, float*, std::int64_t);
template void copy_padded<double>(const double*, std::int64_t, std::int64_t, double*,
                                  std::int64_t);

}  // namespace pyrbm
