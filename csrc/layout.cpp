#include "layout.hpp"

#include <algorithm>

#include "parallel.hpp"

namespace pyrbm {

template <typename T>
void transpose(const T* src, std::int64_t n_rows, std::int64_t n_cols, T* dst) {
    // 32 x 32 tiles: the tile's source rows and destination rows (32 lines each of at
    // most 256 bytes) stay in L1 while it is copied.
    constexpr std::int64_t kTile = 32;
    const std::int64_t row_tiles = (n_rows + kTile - 1) / kTile;
    parallel_for(row_tiles, [&](std::int64_t t) {
        const std::int64_t r0 = t * kTile, r1 = std::min(n_rows, r0 + kTile);
        for (std::int64_t c0 = 0; c0 < n_cols; c0 += kTile) {
            const std::int64_t c1 = std::min(n_cols, c0 + kTile);
            for (std::int64_t c = c0; c < c1; ++c)
                for (std::int64_t r = r0; r < r1; ++r) dst[c * n_rows + r] = src[r * n_cols + c];
        }
    });
}

template void transpose<float>(const float*, std::int64_t, std::int64_t, float*);
template void transpose<double>(const double*, std::int64_t, std::int64_t, double*);

}  // namespace pyrbm
