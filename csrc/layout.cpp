#include "layout.hpp"

#include <algorithm>

#include "parallel.hpp"
#include "simd.hpp"
#include "transpose_simd.hpp"

namespace pyrbm {

template <typename T>
void transpose(const T* src, std::int64_t n_rows, std::int64_t n_cols, T* dst) {
    transpose_padded<T>(src, n_rows, n_cols, dst, n_rows);
}

namespace {

// dst (columns [c0, c1) x rows [r0, r1)) = the transpose of that block of src, by element.
template <typename T>
void transpose_scalar(const T* src, std::int64_t n_cols, T* dst, std::int64_t ld_dst,
                      std::int64_t r0, std::int64_t r1, std::int64_t c0, std::int64_t c1) {
    for (std::int64_t c = c0; c < c1; ++c)
        for (std::int64_t r = r0; r < r1; ++r) dst[c * ld_dst + r] = src[r * n_cols + c];
}

#if defined(__AVX512F__)
// A square block of one vector's lanes (16 float32 / 8 float64) through registers:
// 64 / 24 shuffles instead of 256 / 64 scalar loads and stores.
inline void transpose_lanes(const float* src, std::int64_t lds, float* dst, std::int64_t ldd) {
    __m512 r[16];
    for (int i = 0; i < 16; ++i) r[i] = _mm512_loadu_ps(src + i * lds);
    transpose_registers(r);
    for (int j = 0; j < 16; ++j) _mm512_storeu_ps(dst + j * ldd, r[j]);
}

inline void transpose_lanes(const double* src, std::int64_t lds, double* dst, std::int64_t ldd) {
    __m512d r[8];
    for (int i = 0; i < 8; ++i) r[i] = _mm512_loadu_pd(src + i * lds);
    transpose_registers(r);
    for (int j = 0; j < 8; ++j) _mm512_storeu_pd(dst + j * ldd, r[j]);
}
#elif defined(__AVX__)
// The same on 256-bit registers (8 float32 / 4 float64): on AVX2 (Zen 3) the scalar
// copy was 9 % of a PCD-1 update at 784 x 1200 (the per-update W^T layout).
inline void transpose_lanes(const float* src, std::int64_t lds, float* dst, std::int64_t ldd) {
    __m256 r[8];
    for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(src + i * lds);
    transpose_registers(r);
    for (int j = 0; j < 8; ++j) _mm256_storeu_ps(dst + j * ldd, r[j]);
}

inline void transpose_lanes(const double* src, std::int64_t lds, double* dst, std::int64_t ldd) {
    __m256d r[4];
    for (int i = 0; i < 4; ++i) r[i] = _mm256_loadu_pd(src + i * lds);
    transpose_registers(r);
    for (int j = 0; j < 4; ++j) _mm256_storeu_pd(dst + j * ldd, r[j]);
}
#endif

// The block rows [r0, r1) x columns [c0, c1): whole squares of lanes through registers
// where AVX-512 or AVX is compiled in, the rest by element.
template <typename T>
void transpose_block(const T* src, std::int64_t n_cols, T* dst, std::int64_t ld_dst,
                     std::int64_t r0, std::int64_t r1, std::int64_t c0, std::int64_t c1) {
#if defined(__AVX__)
    constexpr std::int64_t L = kRegBytes / sizeof(T);
    const std::int64_t rv = r0 + (r1 - r0) / L * L, cv = c0 + (c1 - c0) / L * L;
    for (std::int64_t r = r0; r < rv; r += L)
        for (std::int64_t c = c0; c < cv; c += L)
            transpose_lanes(src + r * n_cols + c, n_cols, dst + c * ld_dst + r, ld_dst);
    transpose_scalar(src, n_cols, dst, ld_dst, r0, rv, cv, c1);
    transpose_scalar(src, n_cols, dst, ld_dst, rv, r1, c0, c1);
#else
    transpose_scalar(src, n_cols, dst, ld_dst, r0, r1, c0, c1);
#endif
}

}  // namespace

template <typename T>
void transpose_padded(const T* src, std::int64_t n_rows, std::int64_t n_cols, T* dst,
                      std::int64_t ld_dst) {
    // 32 x 32 tiles: the tile's source rows and destination rows (32 lines each of at
    // most 256 bytes) stay in L1 while it is copied.
    constexpr std::int64_t kTile = 32;
    const std::int64_t row_tiles = (n_rows + kTile - 1) / kTile;
    parallel_for(row_tiles, [&](std::int64_t t) {
        const std::int64_t r0 = t * kTile, r1 = std::min(n_rows, r0 + kTile);
        for (std::int64_t c0 = 0; c0 < n_cols; c0 += kTile)
            transpose_block(src, n_cols, dst, ld_dst, r0, r1, c0, std::min(n_cols, c0 + kTile));
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
