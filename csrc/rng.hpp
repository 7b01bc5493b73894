// Counter-based Philox4x64-10 (Salmon et al., SC'11), the variant numpy.random.Philox
// implements. Every random number in pyrbm is a pure function of
//   key     = 128 bits drawn by the Python layer from the user's Generator, once per call
//   counter = (unit block, sweep, chain, stream id)
// so results never depend on how work is split over threads.
#pragma once

#include <cstdint>


namespace pyrbm {

// One registry of stream ids: a kernel that draws uses its own id, so two kernels
// called with the same key never share random numbers.
enum class Stream : std::uint64_t {
    kHidden = 1,        // h ~ p(h | v) in a Gibbs half-sweep
    kVisible = 2,       // v ~ p(v | h) in a Gibbs half-sweep
    kInitVisible = 3,   // random initial visible states
    kLangevin = 4,      // Euler-Maruyama noise of reciprocal modes
    kAnnealing = 5,     // AIS / reverse-AIS transitions
    kProbing = 6,       // hierarchical probing (low-rank Gibbs)
    kTempering = 7,     // replica-exchange swap decisions (parallel / trajectory tempering)
    kTest = 99,         // reserved for tests of the generator itself
};

struct PhiloxKey {
    std::uint64_t k0, k1;
};

struct Philox4x64Block {
    std::uint64_t v[4];
};

namespace detail {
inline void mulhilo64(std::uint64_t a, std::uint64_t b, std::uint64_t& hi, std::uint64_t& lo) {
    const unsigned __int128 product = static_cast<unsigned __int128>(a) * b;
    hi = static_cast<std::uint64_t>(product >> 64);
    lo = static_cast<std::uint64_t>(product);
}
}  // namespace detail

// Philox4x64's round multipliers and key increments (Salmon et al., Random123).
constexpr std::uint64_t kPhiloxMul0 = 0xD2E7470EE14C6C93ULL;
constexpr std::uint64_t kPhiloxMul1 = 0xCA5A826395121157ULL;
constexpr std::uint64_t kPhiloxWeyl0 = 0x9E3779B97F4A7C15ULL;
constexpr std::uint64_t kPhiloxWeyl1 = 0xBB67AE8584CAA73BULL;

// Philox4x64 with 10 rounds on counter (c0, c1, c2, c3) and key (k0, k1).
inline Philox4x64Block philox4x64_10(std::uint64_t c0, std::uint64_t c1, std::uint64_t c2,
                                     std::uint64_t c3, PhiloxKey key) {
    std::uint64_t k0 = key.k0, k1 = key.k1;
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            k0 += kPhiloxWeyl0;
            k1 += kPhiloxWeyl1;
        }
        std::uint64_t hi0, lo0, hi1, lo1;
        detail::mulhilo64(kPhiloxMul0, c0, hi0, lo0);
        detail::mulhilo64(kPhiloxMul1, c2, hi1, lo1);
        const std::uint64_t n0 = hi1 ^ c1 ^ k0;
        const std::uint64_t n2 = hi0 ^ c3 ^ k1;
        c0 = n0;
        c1 = lo1;
        c2 = n2;
        c3 = lo0;
    }
    return {{c0, c1, c2, c3}};
}

// Uniforms in [0, 1) with the full mantissa: 24 bits for float, 53 for double.
inline float uniform_float_hi(std::uint64_t word) {
    return static_cast<float>(word >> 40) * 0x1.0p-24f;
}
inline float uniform_float_lo(std::uint64_t word) {
    return static_cast<float>((word >> 8) & 0xFFFFFFULL) * 0x1.0p-24f;
}
inline double uniform_double(std::uint64_t word) {
    return static_cast<double>(word >> 11) * 0x1.0p-53;
}

// Number of uniforms one Philox call yields for type T, i.e. the width of a "unit block".
template <typename T> struct UniformsPerBlock;
template <> struct UniformsPerBlock<float> { static constexpr int value = 8; };
template <> struct UniformsPerBlock<double> { static constexpr int value = 4; };

// Fills out[0..count) (count <= UniformsPerBlock<T>) with the uniforms of one block.
template <typename T>
inline void uniform_block(PhiloxKey key, std::uint64_t block, std::uint64_t sweep,
                          std::uint64_t chain, Stream stream, T* out, int count);

template <>
inline void uniform_block<float>(PhiloxKey key, std::uint64_t block, std::uint64_t sweep,
                                 std::uint64_t chain, Stream stream, float* out, int count) {
    const Philox4x64Block r =
        philox4x64_10(block, sweep, chain, static_cast<std::uint64_t>(stream), key);
    if (count == 8) {  // full block: convert in place, no staging copy (1.7x faster)
        for (int i = 0; i < 4; ++i) {
            out[2 * i] = uniform_float_hi(r.v[i]);
            out[2 * i + 1] = uniform_float_lo(r.v[i]);
        }
        return;
    }
    for (int i = 0; i < count; ++i)
        out[i] = (i % 2 == 0) ? uniform_float_hi(r.v[i / 2]) : uniform_float_lo(r.v[i / 2]);
}

template <>
inline void uniform_block<double>(PhiloxKey key, std::uint64_t block, std::uint64_t sweep,
                                  std::uint64_t chain, Stream stream, double* out, int count) {
    const Philox4x64Block r =
        philox4x64_10(block, sweep, chain, static_cast<std::uint64_t>(stream), key);
    for (int i = 0; i < count; ++i) out[i] = uniform_double(r.v[i]);
}

// Uniforms of units [first_block * width, first_block * width + n_units) of the row
// (sweep, chain, stream), width = UniformsPerBlock<T>: unit first_block * width + j
// uses block first_block + j / width. Defined in rng.cpp (compiled for the build
// machine: 32 and then 8 blocks at a time on AVX-512's vector units, 12 and then 4 on
// AVX2's; the same words as philox4x64_10; tests/test_rng.py).
template <typename T>
void uniform_blocks(PhiloxKey key, std::uint64_t first_block, std::uint64_t sweep,
                    std::uint64_t chain, Stream stream, T* out, std::int64_t n_units);

// Uniforms for units [0, n_units) of one chain: unit j uses block j / width.
template <typename T>
inline void uniform_row(PhiloxKey key, std::uint64_t sweep, std::uint64_t chain, Stream stream,
                        T* out, std::int64_t n_units) {
    uniform_blocks<T>(key, 0, sweep, chain, stream, out, n_units);
}

}  // namespace pyrbm
