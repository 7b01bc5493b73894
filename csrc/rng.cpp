// The row generator of rng.hpp, vectorized where the build machine has AVX-512 (8 lanes)
// or AVX2 (4 lanes).
#include "rng.hpp"

#include <type_traits>

#if (defined(__AVX512F__) && defined(__AVX512DQ__)) || defined(__AVX2__)
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_epi32(), which -Wextra
// reports as "may be used uninitialized" (GCC bug 105593); nothing here reads it.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#endif
#if !(defined(__AVX512F__) && defined(__AVX512DQ__)) && defined(__AVX2__)
#define PYRBM_PHILOX_AVX2 1
#endif

namespace pyrbm {
namespace detail {
#if defined(__AVX512F__) && defined(__AVX512DQ__)
#define PYRBM_PHILOX_VECTOR 1
// The vector operations Philox needs, on AVX-512's 8 lanes of 64 bits.
struct Avx512 {
    using V = __m512i;
    static constexpr int kLanes = 8;
    static V set1(std::uint64_t x) { return _mm512_set1_epi64(static_cast<long long>(x)); }
    static V lanes() { return _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0); }
    static V add(V a, V b) { return _mm512_add_epi64(a, b); }
    static V mul32(V a, V b) { return _mm512_mul_epu32(a, b); }  // low halves, 64-bit product
    template <int N> static V shr(V a) { return _mm512_srli_epi64(a, N); }
    static V low32(V a) { return _mm512_and_si512(a, set1(0xFFFFFFFFULL)); }
    static V xor3(V a, V b, V c) { return _mm512_ternarylogic_epi64(a, b, c, 0x96); }
    // The low word of x m: one vpmullq (removing it changed nothing: 6.54 against 6.65 ns
    // per block, bench/RESULTS.md).
    static V mullo(V x, V m, V /*p00*/, V /*u*/) { return _mm512_mullo_epi64(x, m); }
};
#elif defined(PYRBM_PHILOX_AVX2)
#define PYRBM_PHILOX_VECTOR 1
// The same on AVX2's 4 lanes (no 64-bit multiply, no three-way logic there).
struct Avx2 {
    using V = __m256i;
    static constexpr int kLanes = 4;
    static V set1(std::uint64_t x) { return _mm256_set1_epi64x(static_cast<long long>(x)); }
    static V lanes() { return _mm256_set_epi64x(3, 2, 1, 0); }
    static V add(V a, V b) { return _mm256_add_epi64(a, b); }
    static V mul32(V a, V b) { return _mm256_mul_epu32(a, b); }
    template <int N> static V shr(V a) { return _mm256_srli_epi64(a, N); }
    static V low32(V a) { return _mm256_and_si256(a, set1(0xFFFFFFFFULL)); }
    static V xor3(V a, V b, V c) { return _mm256_xor_si256(_mm256_xor_si256(a, b), c); }
    // The low word of x m: the low half of x0 m0, then (x0 m0 >> 32) + x0 m1 + x1 m0 mod
    // 2^32, which is u's low half.
    static V mullo(V /*x*/, V /*m*/, V p00, V u) {
        return _mm256_blend_epi32(p00, _mm256_slli_epi64(u, 32), 0xAA);
    }
};
#endif

#if defined(PYRBM_PHILOX_VECTOR)
// A 64-bit multiplier m = (m1 : m0) broadcast to every lane, whole and by halves.
template <typename Ops> struct Multiplier {
    typename Ops::V whole, lo, hi;
    explicit Multiplier(std::uint64_t m)
        : whole(Ops::set1(m)), lo(Ops::set1(m & 0xFFFFFFFFULL)), hi(Ops::set1(m >> 32)) {}
};

// (hi, lo) of m * x per lane: the high word from four 32 x 32 -> 64-bit products.
template <typename Ops>
inline void mulhilo64(const Multiplier<Ops>& m, typename Ops::V x, typename Ops::V& hi,
                      typename Ops::V& lo) {
    using V = typename Ops::V;
    const V x1 = Ops::template shr<32>(x);
    const V p00 = Ops::mul32(x, m.lo), p01 = Ops::mul32(x, m.hi);
    const V p10 = Ops::mul32(x1, m.lo), p11 = Ops::mul32(x1, m.hi);
    // t = x1 m0 + (x0 m0 >> 32) and u = x0 m1 + (t mod 2^32) cannot overflow.
    const V t = Ops::add(p10, Ops::template shr<32>(p00));
    const V u = Ops::add(p01, Ops::low32(t));
    hi = Ops::add(Ops::add(p11, Ops::template shr<32>(t)), Ops::template shr<32>(u));
    lo = Ops::mullo(x, m.whole, p00, u);
}

// Philox4x64-10 on G independent groups of lanes at once: lane l of group g computes
// the block at counter (first + g * kLanes + l, c1, c2, c3), the same words as
// philox4x64_10; x[w][g] is word w. One group's rounds are a dependency chain longer
// than the out-of-order window hides (bench/philox_simd.cpp, 784 float32 uniforms per
// row, 1 thread: AVX-512 8.5 ns per block with G = 1, 6.1 with G = 4, scalar 13; AVX2
// on Zen 3 12.1 with G = 1, 8.7 with 2, 7.9 with 3 or 4, scalar 15.7). (Also measured
// on AVX-512: 2-4 scalar mulx blocks computed beside each vector step: no gain.)
template <typename Ops, int G>
inline void philox4x64_10_lanes(std::uint64_t first, std::uint64_t c1, std::uint64_t c2,
                                std::uint64_t c3, PhiloxKey key, typename Ops::V (&x)[4][G]) {
    using V = typename Ops::V;
    const Multiplier<Ops> m0(kPhiloxMul0), m1(kPhiloxMul1);
    for (int g = 0; g < G; ++g) {
        x[0][g] = Ops::add(Ops::set1(first + static_cast<std::uint64_t>(g * Ops::kLanes)),
                           Ops::lanes());
        x[1][g] = Ops::set1(c1);
        x[2][g] = Ops::set1(c2);
        x[3][g] = Ops::set1(c3);
    }
    std::uint64_t k0 = key.k0, k1 = key.k1;
#pragma GCC unroll 10
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            k0 += kPhiloxWeyl0;
            k1 += kPhiloxWeyl1;
        }
        const V vk0 = Ops::set1(k0), vk1 = Ops::set1(k1);
        for (int g = 0; g < G; ++g) {
            V hi0, lo0, hi1, lo1;
            mulhilo64(m0, x[0][g], hi0, lo0);
            mulhilo64(m1, x[2][g], hi1, lo1);
            x[0][g] = Ops::xor3(hi1, x[1][g], vk0);
            x[2][g] = Ops::xor3(hi0, x[3][g], vk1);
            x[1][g] = lo1;
            x[3][g] = lo0;
        }
    }
}
#endif

#if defined(__AVX512F__) && defined(__AVX512DQ__)
using VectorOps = Avx512;

// q[k] = the 8 words of blocks (2k, 2k + 1) of p (p[i] holds word i of blocks 0..7).
inline void transpose_4x8(const __m512i p[4], __m512i q[4]) {
    const __m512i a = _mm512_unpacklo_epi64(p[0], p[1]), b = _mm512_unpackhi_epi64(p[0], p[1]);
    const __m512i c = _mm512_unpacklo_epi64(p[2], p[3]), d = _mm512_unpackhi_epi64(p[2], p[3]);
    const __m512i ac01 = _mm512_shuffle_i64x2(a, c, 0x44), ac23 = _mm512_shuffle_i64x2(a, c, 0xEE);
    const __m512i bd01 = _mm512_shuffle_i64x2(b, d, 0x44), bd23 = _mm512_shuffle_i64x2(b, d, 0xEE);
    q[0] = _mm512_shuffle_i64x2(ac01, bd01, 0x88);
    q[1] = _mm512_shuffle_i64x2(ac01, bd01, 0xDD);
    q[2] = _mm512_shuffle_i64x2(ac23, bd23, 0x88);
    q[3] = _mm512_shuffle_i64x2(ac23, bd23, 0xDD);
}

// The uniforms of the 8 consecutive blocks of one group (64 floats / 32 doubles) at out;
// w[i] holds word i of the 8 blocks.
inline void store_uniforms(const __m512i w[4], float* out) {
    const __m512i low24 = _mm512_set1_epi64(0x00FFFFFF00000000LL);
    __m512i pairs[4], q[4];
    for (int i = 0; i < 4; ++i)  // (word >> 40) in the low half, (word >> 8) & 0xFFFFFF high
        pairs[i] = _mm512_ternarylogic_epi64(_mm512_srli_epi64(w[i], 40),
                                             _mm512_slli_epi64(w[i], 24), low24, 0xF8);
    transpose_4x8(pairs, q);
    const __m512 scale = _mm512_set1_ps(0x1.0p-24f);
    for (int k = 0; k < 4; ++k)
        _mm512_storeu_ps(out + 16 * k, _mm512_mul_ps(_mm512_cvtepi32_ps(q[k]), scale));
}
inline void store_uniforms(const __m512i w[4], double* out) {
    __m512i q[4];
    transpose_4x8(w, q);
    const __m512d scale = _mm512_set1_pd(0x1.0p-53);
    for (int k = 0; k < 4; ++k)
        _mm512_storeu_pd(out + 8 * k,
                         _mm512_mul_pd(_mm512_cvtepu64_pd(_mm512_srli_epi64(q[k], 11)), scale));
}
#elif defined(PYRBM_PHILOX_AVX2)
using VectorOps = Avx2;

// The 8 float32 uniforms of one block (its 4 words in q) at out.
inline void store_block_uniforms(__m256i q, float* out) {
    const __m256i low24 = _mm256_set1_epi64x(0x00FFFFFF00000000LL);
    // (word >> 40) in the low half, (word >> 8) & 0xFFFFFF in the high half
    const __m256i pairs = _mm256_or_si256(_mm256_srli_epi64(q, 40),
                                          _mm256_and_si256(_mm256_slli_epi64(q, 24), low24));
    _mm256_storeu_ps(out, _mm256_mul_ps(_mm256_cvtepi32_ps(pairs), _mm256_set1_ps(0x1.0p-24f)));
}
// The 4 float64 uniforms of one block: (word >> 11) 2^-53, the 53 bits converted in two
// exact halves (AVX2 has no 64-bit integer conversion).
inline void store_block_uniforms(__m256i q, double* out) {
    const __m256i bits = _mm256_srli_epi64(q, 11);
    const __m256i magic = _mm256_set1_epi64x(0x4330000000000000LL);  // 2^52
    const __m256d two52 = _mm256_set1_pd(0x1.0p52);
    const __m256d hi = _mm256_sub_pd(
        _mm256_castsi256_pd(_mm256_or_si256(_mm256_srli_epi64(bits, 26), magic)), two52);
    const __m256d lo = _mm256_sub_pd(
        _mm256_castsi256_pd(_mm256_or_si256(
            _mm256_and_si256(bits, _mm256_set1_epi64x((1LL << 26) - 1)), magic)),
        two52);
    // hi 2^26 + lo < 2^53: exact; then an exact scaling by 2^-53
    const __m256d value = _mm256_add_pd(_mm256_mul_pd(hi, _mm256_set1_pd(0x1.0p26)), lo);
    _mm256_storeu_pd(out, _mm256_mul_pd(value, _mm256_set1_pd(0x1.0p-53)));
}

// The same for the 4 blocks of one group (w[i]: word i of the 4 blocks): a 4 x 4
// transpose of 64-bit words, then one block at a time.
template <typename T> inline void store_uniforms(const __m256i w[4], T* out) {
    const __m256i a = _mm256_unpacklo_epi64(w[0], w[1]), b = _mm256_unpackhi_epi64(w[0], w[1]);
    const __m256i c = _mm256_unpacklo_epi64(w[2], w[3]), d = _mm256_unpackhi_epi64(w[2], w[3]);
    constexpr int width = UniformsPerBlock<T>::value;
    store_block_uniforms(_mm256_permute2x128_si256(a, c, 0x20), out);
    store_block_uniforms(_mm256_permute2x128_si256(b, d, 0x20), out + width);
    store_block_uniforms(_mm256_permute2x128_si256(a, c, 0x31), out + 2 * width);
    store_block_uniforms(_mm256_permute2x128_si256(b, d, 0x31), out + 3 * width);
}
#endif

template <typename T> inline void block_to_uniforms(const Philox4x64Block& r, T* out);
template <> inline void block_to_uniforms<float>(const Philox4x64Block& r, float* out) {
    for (int i = 0; i < 4; ++i) {
        out[2 * i] = uniform_float_hi(r.v[i]);
        out[2 * i + 1] = uniform_float_lo(r.v[i]);
    }
}
template <> inline void block_to_uniforms<double>(const Philox4x64Block& r, double* out) {
    for (int i = 0; i < 4; ++i) out[i] = uniform_double(r.v[i]);
}
}  // namespace detail

template <typename T>
void uniform_blocks(PhiloxKey key, std::uint64_t first_block, std::uint64_t sweep,
                    std::uint64_t chain, Stream stream, T* out, std::int64_t n_units) {
    constexpr std::int64_t width = UniformsPerBlock<T>::value;
    const auto id = static_cast<std::uint64_t>(stream);
    std::int64_t start = 0;
    std::uint64_t block = first_block;
#if defined(PYRBM_PHILOX_VECTOR)
    using Ops = detail::VectorOps;
    auto groups = [&](auto n_groups) {
        constexpr int G = decltype(n_groups)::value;
        constexpr std::int64_t step = G * Ops::kLanes;  // blocks
        for (; start + step * width <= n_units; start += step * width, block += step) {
            typename Ops::V x[4][G];
            detail::philox4x64_10_lanes<Ops, G>(block, sweep, chain, id, key, x);
            for (int g = 0; g < G; ++g) {
                const typename Ops::V w[4] = {x[0][g], x[1][g], x[2][g], x[3][g]};
                detail::store_uniforms(w, out + start + g * Ops::kLanes * width);
            }
        }
    };
    // 4 groups of 8 lanes on AVX-512, 3 of 4 on AVX2; then single groups
    groups(std::integral_constant<int, Ops::kLanes == 8 ? 4 : 3>{});
    groups(std::integral_constant<int, 1>{});
#endif
    for (; start + width <= n_units; start += width, ++block)
        detail::block_to_uniforms<T>(philox4x64_10(block, sweep, chain, id, key), out + start);
    if (start < n_units)
        uniform_block<T>(key, block, sweep, chain, stream, out + start,
                         static_cast<int>(n_units - start));
}

template void uniform_blocks<float>(PhiloxKey, std::uint64_t, std::uint64_t, std::uint64_t,
                                    Stream, float*, std::int64_t);
template void uniform_blocks<double>(PhiloxKey, std::uint64_t, std::uint64_t, std::uint64_t,
                                     Stream, double*, std::int64_t);

}  // namespace pyrbm
