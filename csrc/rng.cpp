// The row generator of rng.hpp, vectorized where the build machine has AVX-512.
#include "rng.hpp"

#include <type_traits>

#if defined(__AVX512F__) && defined(__AVX512DQ__)
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_epi32(), which -Wextra
// reports as "may be used uninitialized" (GCC bug 105593); nothing here reads it.
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#endif

namespace pyrbm {
namespace detail {
#if defined(__AVX512F__) && defined(__AVX512DQ__)
// Philox4x64-10 on 8 lanes: lane l computes the block at counter (c0[l], c1, c2, c3),
// the same words as philox4x64_10 (the 64 x 64 -> 128-bit products from four 32 x 32
// ones). (Also measured: 2-4 scalar mulx blocks computed beside each vector step, for
// the integer units: no gain.)
struct Philox8 {
    __m512i w[4];
};

// (hi, lo) of m * x per lane for the 64-bit constant m = (m1 : m0): the high word from
// four 32 x 32 -> 64-bit products, the low one by vpmullq.
inline void mulhilo64x8(__m512i m0, __m512i m1, __m512i m, __m512i x, __m512i& hi, __m512i& lo) {
    const __m512i mask = _mm512_set1_epi64(0xFFFFFFFFLL);
    const __m512i x1 = _mm512_srli_epi64(x, 32);
    const __m512i p00 = _mm512_mul_epu32(x, m0);
    const __m512i p01 = _mm512_mul_epu32(x, m1);
    const __m512i p10 = _mm512_mul_epu32(x1, m0);
    const __m512i p11 = _mm512_mul_epu32(x1, m1);
    // t = x1 m0 + (x0 m0 >> 32) and u = x0 m1 + (t mod 2^32) cannot overflow.
    const __m512i t = _mm512_add_epi64(p10, _mm512_srli_epi64(p00, 32));
    const __m512i u = _mm512_add_epi64(p01, _mm512_and_si512(t, mask));
    hi = _mm512_add_epi64(_mm512_add_epi64(p11, _mm512_srli_epi64(t, 32)),
                          _mm512_srli_epi64(u, 32));
    lo = _mm512_mullo_epi64(x, m);
}

// G independent groups of 8 lanes at once: one group's rounds are a dependency chain
// longer than the out-of-order window hides (bench/philox_simd.cpp, 784 float32
// uniforms per row, 1 thread: 8.5 ns per block with G = 1, 6.1 with G = 4, scalar 13).
template <int G>
inline void philox4x64_10x8(const __m512i* c0_in, std::uint64_t c1s, std::uint64_t c2s,
                            std::uint64_t c3s, PhiloxKey key, Philox8* out) {
    constexpr std::uint64_t kMul0 = 0xD2E7470EE14C6C93ULL;
    constexpr std::uint64_t kMul1 = 0xCA5A826395121157ULL;
    const __m512i m00 = _mm512_set1_epi64(static_cast<long long>(kMul0 & 0xFFFFFFFFULL));
    const __m512i m01 = _mm512_set1_epi64(static_cast<long long>(kMul0 >> 32));
    const __m512i m10 = _mm512_set1_epi64(static_cast<long long>(kMul1 & 0xFFFFFFFFULL));
    const __m512i m11 = _mm512_set1_epi64(static_cast<long long>(kMul1 >> 32));
    const __m512i mf0 = _mm512_set1_epi64(static_cast<long long>(kMul0));
    const __m512i mf1 = _mm512_set1_epi64(static_cast<long long>(kMul1));
    __m512i c0[G], c1[G], c2[G], c3[G];
    for (int g = 0; g < G; ++g) {
        c0[g] = c0_in[g];
        c1[g] = _mm512_set1_epi64(static_cast<long long>(c1s));
        c2[g] = _mm512_set1_epi64(static_cast<long long>(c2s));
        c3[g] = _mm512_set1_epi64(static_cast<long long>(c3s));
    }
    std::uint64_t k0 = key.k0, k1 = key.k1;
#pragma GCC unroll 10
    for (int round = 0; round < 10; ++round) {
        if (round > 0) {
            k0 += 0x9E3779B97F4A7C15ULL;
            k1 += 0xBB67AE8584CAA73BULL;
        }
        const __m512i vk0 = _mm512_set1_epi64(static_cast<long long>(k0));
        const __m512i vk1 = _mm512_set1_epi64(static_cast<long long>(k1));
        for (int g = 0; g < G; ++g) {
            __m512i hi0, lo0, hi1, lo1;
            mulhilo64x8(m00, m01, mf0, c0[g], hi0, lo0);
            mulhilo64x8(m10, m11, mf1, c2[g], hi1, lo1);
            c0[g] = _mm512_ternarylogic_epi64(hi1, c1[g], vk0, 0x96);  // a ^ b ^ c
            c2[g] = _mm512_ternarylogic_epi64(hi0, c3[g], vk1, 0x96);
            c1[g] = lo1;
            c3[g] = lo0;
        }
    }
    for (int g = 0; g < G; ++g) out[g] = Philox8{{c0[g], c1[g], c2[g], c3[g]}};
}

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

// The uniforms of 8 consecutive blocks (64 floats / 32 doubles) at out.
inline void store_uniforms8(const Philox8& r, float* out) {
    const __m512i low24 = _mm512_set1_epi64(0x00FFFFFF00000000LL);
    __m512i pairs[4], q[4];
    for (int i = 0; i < 4; ++i)  // (word >> 40) in the low half, (word >> 8) & 0xFFFFFF high
        pairs[i] = _mm512_ternarylogic_epi64(_mm512_srli_epi64(r.w[i], 40),
                                             _mm512_slli_epi64(r.w[i], 24), low24, 0xF8);
    transpose_4x8(pairs, q);
    const __m512 scale = _mm512_set1_ps(0x1.0p-24f);
    for (int k = 0; k < 4; ++k)
        _mm512_storeu_ps(out + 16 * k, _mm512_mul_ps(_mm512_cvtepi32_ps(q[k]), scale));
}
inline void store_uniforms8(const Philox8& r, double* out) {
    __m512i q[4];
    transpose_4x8(r.w, q);
    const __m512d scale = _mm512_set1_pd(0x1.0p-53);
    for (int k = 0; k < 4; ++k)
        _mm512_storeu_pd(out + 8 * k,
                         _mm512_mul_pd(_mm512_cvtepu64_pd(_mm512_srli_epi64(q[k], 11)), scale));
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
#if defined(__AVX512F__) && defined(__AVX512DQ__)
    const __m512i lanes = _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0);
    auto groups = [&](auto n_groups) {
        constexpr int G = decltype(n_groups)::value;
        for (; start + 8 * G * width <= n_units; start += 8 * G * width, block += 8 * G) {
            __m512i c0[G];
            for (int g = 0; g < G; ++g)
                c0[g] = _mm512_add_epi64(
                    _mm512_set1_epi64(static_cast<long long>(block + 8 * g)), lanes);
            detail::Philox8 r[G];
            detail::philox4x64_10x8<G>(c0, sweep, chain, id, key, r);
            for (int g = 0; g < G; ++g) detail::store_uniforms8(r[g], out + start + 8 * g * width);
        }
    };
    groups(std::integral_constant<int, 4>{});
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
